"""The briefings archive in the web app: a CSM sees their own briefings and no one else's, the people who run
the team see them all, anyone else none; a briefing one may not read is a 404; a briefing is served as stored
under a policy that allows its inline styles and nothing else."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient

from agents.briefing.service import Briefer
from api.app import create_app
from tests.integration.api_support import web_login
from tests.integration.approval_support import POLICY
from tests.integration.briefing_support import AS_OF, BriefingBook, briefing_book

NOW = datetime(2026, 11, 23, 7, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def book(tmp_path_factory: pytest.TempPathFactory) -> BriefingBook:
    made = briefing_book(tmp_path_factory, "briefings-web")
    briefer = Briefer.from_settings(made.engine, made.settings)
    for audience in ("leadership", f"csm:{made.csm}", f"csm:{made.other_csm}"):
        briefer.produce(audience=audience, as_of=AS_OF, now=NOW, deliver=False)
    return made


@pytest.fixture(scope="module")
def client(book: BriefingBook) -> Iterator[TestClient]:
    app = create_app(book.settings, engine=book.engine, policy=POLICY, clock=lambda: NOW)
    with TestClient(app, base_url="https://testserver") as test_client:
        yield test_client


def ids_on_archive(client: TestClient) -> dict[str, int]:
    import re

    page = client.get("/briefings")
    assert page.status_code == 200, page.text
    rows = re.findall(r'<td>([^<]+)</td>\s*<td><a href="/briefings/(\d+)">', page.text)
    return {who: int(n) for who, n in rows}


def test_a_csm_sees_their_own_briefing_and_no_one_elses(client: TestClient, book: BriefingBook) -> None:
    web_login(client, "cs-manager")
    every = ids_on_archive(client)
    assert set(every) == {"Leadership", book.csm, book.other_csm}
    web_login(client, "csm-1")
    mine = ids_on_archive(client)
    assert set(mine) == {book.csm}
    shown = client.get(f"/briefings/{mine[book.csm]}")
    assert shown.status_code == 200 and book.csm in shown.text
    for other in ("Leadership", book.other_csm):
        refused = client.get(f"/briefings/{every[other]}")
        assert refused.status_code == 404, other
        assert "Leadership: the week" not in refused.text


@pytest.mark.parametrize("username", ["cs-manager", "cro"])
def test_the_people_who_run_the_team_read_every_briefing(client: TestClient, book: BriefingBook, username: str) -> None:
    web_login(client, username)
    found = ids_on_archive(client)
    assert set(found) == {"Leadership", book.csm, book.other_csm}
    assert next(iter(found)) == "Leadership"
    for briefing_id in found.values():
        assert client.get(f"/briefings/{briefing_id}").status_code == 200


def test_another_role_sees_none(client: TestClient) -> None:
    web_login(client, "finance")
    assert ids_on_archive(client) == {}
    assert client.get("/briefings/1").status_code == 404


def test_a_briefing_is_served_as_stored_under_a_strict_policy(client: TestClient) -> None:
    web_login(client, "cro")
    leadership = ids_on_archive(client)["Leadership"]
    shown = client.get(f"/briefings/{leadership}")
    policy = shown.headers["content-security-policy"]
    assert "default-src 'none'" in policy and "script-src" not in policy and "frame-ancestors 'none'" in policy
    assert shown.text.startswith("<!doctype html>") and "<svg" in shown.text
    assert client.get("/briefings/999999").status_code == 404
    assert client.get("/briefings/0").status_code == 422


def test_the_archive_needs_a_session(book: BriefingBook) -> None:
    app = create_app(book.settings, engine=book.engine, policy=POLICY, clock=lambda: NOW)
    with TestClient(app, base_url="https://testserver", follow_redirects=False) as anonymous:
        assert anonymous.get("/briefings").status_code in (303, 307)
        assert anonymous.get("/briefings/1").status_code in (303, 307)
