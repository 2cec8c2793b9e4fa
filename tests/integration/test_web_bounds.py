"""The web forms are held to the API's bounds: text that is not text and ids out of range are a 422, never a 500.

A form that cannot be read comes back as its page with status 422 and the reason, as the edit form's bad
numbers do (tests/integration/test_web_pages.py).
"""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from api.app import create_app
from api.bounds import MAX_TEXT
from approvals.queue import APPROVAL
from core.settings import Settings
from tests.integration.api_support import OUTBOX, add_drafts, page_alert, web_login
from tests.integration.approval_support import NOW, POLICY, account_ids, book_with_people, propose

#: A NUL byte (Postgres refuses it) and text past the bound. A browser's form cannot carry a lone surrogate:
#: the form decoder turns bytes that are not UTF-8 into U+FFFD.
NOT_TEXT = ["a\x00b", "x" * (MAX_TEXT + 1)]


@pytest.fixture
def web(engine, database_url):
    people = book_with_people(engine)
    app = create_app(Settings(database_url=database_url), engine=engine, policy=POLICY, clock=lambda: NOW)
    with TestClient(app, base_url="https://testserver", raise_server_exceptions=False) as client:
        yield client, people


def _form(values: dict[str, str]) -> bytes:
    """URL-encoded as a browser sends it."""
    return urlencode(values).encode()


FORM = {"content-type": "application/x-www-form-urlencoded"}


@pytest.mark.parametrize("bad", NOT_TEXT, ids=["nul", "too-long"])
def test_a_reason_that_is_not_text_comes_back_as_a_422_page(web, engine, bad):
    client, people = web
    offer = propose(engine, account_ids(engine)[0], {"discount_pct": 5}, by=people["ae"])
    csrf = web_login(client, "cs-manager")
    for decision in ("approve", "reject", "edit"):
        form = {"decision": decision, "reason": bad, "csrf": csrf, "discount_pct": "4"}
        answer = client.post(f"/approvals/{offer.approval_id}/decision", content=_form(form), headers=FORM)
        assert answer.status_code == 422, (decision, answer.status_code, answer.text[:300])
        assert "reason" in page_alert(answer.text), page_alert(answer.text)
    with engine.connect() as conn:
        assert conn.execute(select(APPROVAL.c.status, APPROVAL.c.version)).one() == ("pending", 1)


@pytest.mark.parametrize("bad", NOT_TEXT, ids=["nul", "too-long"])
def test_an_outbox_reason_that_is_not_text_comes_back_as_a_422_page(web, engine, bad):
    client, _ = web
    [draft] = add_drafts(engine, account_ids(engine), 1)
    csrf = web_login(client, "cs-manager")
    form = {"decision": "discard", "reason": bad, "csrf": csrf, "back": "/outbox"}
    answer = client.post(f"/outbox/{draft}/decision", content=_form(form), headers=FORM)
    assert answer.status_code == 422, (answer.status_code, answer.text[:300])
    assert "reason" in page_alert(answer.text) and f'id="message-{draft}"' in answer.text
    with engine.connect() as conn:
        assert conn.execute(select(OUTBOX.c.status)).scalar_one() == "drafted"


@pytest.mark.parametrize("bad", NOT_TEXT, ids=["nul", "too-long"])
def test_a_sign_in_that_is_not_text_comes_back_as_a_422_page(web, bad):
    client, _ = web
    answer = client.post("/login", content=_form({"username": bad, "password": bad}), headers=FORM)
    assert answer.status_code == 422, (answer.status_code, answer.text[:300])
    assert "username" in page_alert(answer.text)


@pytest.mark.parametrize("big", [2**31, 2**63, 0])
def test_web_ids_out_of_range_are_a_422(web, big):
    client, _ = web
    csrf = web_login(client, "cs-manager")
    assert client.get(f"/approvals/{big}").status_code == 422
    for path in (f"/approvals/{big}/decision", f"/outbox/{big}/decision"):
        answer = client.post(path, data={"decision": "approve", "reason": "ok", "csrf": csrf})
        assert answer.status_code == 422, (path, answer.status_code)
