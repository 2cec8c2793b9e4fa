"""The pages a CS team opens every morning, over HTTP on a seeded book scored weekly for six weeks: each role
lands on its page, a CSM sees only their book everywhere, and the dashboard and account page show what the
database holds (each figure compared with an independent query)."""

from __future__ import annotations

import html
import os
import re
from collections import Counter
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update

from core.models import Account, Alert, Contact, Interaction, RenewalForecast, Scorecard
from scorecards.reasons import explain, label
from scorecards.weekly import ScoringConfig, score_book
from tests.integration.api_support import app_with_people, web_login
from tests.integration.approval_support import propose
from tests.integration.copilot_doors_support import doors_app
from tests.integration.copilot_support import AS_OF, Book
from tests.integration.portfolio_support import portfolio_book
from tools.access import reachable_accounts

ACCOUNT = Account.__table__  # type: ignore[attr-defined]
ALERT = Alert.__table__  # type: ignore[attr-defined]
CONTACT = Contact.__table__  # type: ignore[attr-defined]
INTERACTION = Interaction.__table__  # type: ignore[attr-defined]
FORECAST = RenewalForecast.__table__  # type: ignore[attr-defined]
SCORECARD = Scorecard.__table__  # type: ignore[attr-defined]
TODAY = date(2026, 11, 24)  # the tests' clock (NOW) in UTC
EXTERNAL_ID = re.compile(r"ACC-\d{5}\b")


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Book, dict]]:
    book, people = portfolio_book(tmp_path_factory.mktemp("portfolio"))
    yield book, people
    book.engine.dispose()


@pytest.fixture
def client(built) -> Iterator[TestClient]:
    book, _ = built
    with TestClient(doors_app(book), base_url="https://testserver") as served:
        yield served


def _text(page: str) -> str:
    """The page's visible words, tags dropped and entities decoded, spaces collapsed."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


@pytest.mark.parametrize(
    ("username", "landing"),
    [
        ("finance-web", "/approvals"),
        ("legal-web", "/approvals"),
        ("owner-web", "/book"),
        ("ae-web", "/book"),
        ("cs-manager-web", "/dashboard"),
        ("cro-web", "/dashboard"),
        ("admin-web", "/dashboard"),
    ],
)
def test_each_role_lands_where_its_work_is(client: TestClient, username: str, landing: str) -> None:
    web_login(client, username)
    answer = client.get("/", follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"] == landing
    assert client.get(landing).status_code == 200


def test_signed_out_the_pages_ask_to_sign_in(client: TestClient, built) -> None:
    book, _ = built
    for path in ("/", "/book", "/dashboard", f"/accounts/{book.at_risk}"):
        answer = client.get(path, follow_redirects=False)
        assert answer.status_code in (302, 303, 307) and "/login" in answer.headers["location"], path


def test_a_csm_reaches_only_their_own_accounts(client: TestClient, built) -> None:
    book, _ = built
    web_login(client, "owner-web")
    with book.engine.connect() as conn:
        owned = set(
            conn.execute(select(ACCOUNT.c.external_id).where(ACCOUNT.c.owner_csm == book.owner.email)).scalars()
        )
    assert book.foreign not in owned
    for path in ("/dashboard", "/book", "/book?sort=-arr"):
        page = client.get(path)
        assert page.status_code == 200
        shown = set(EXTERNAL_ID.findall(page.text))
        assert shown and shown <= owned, (path, shown - owned)
    with book.engine.connect() as conn:
        active = set(
            conn.execute(
                select(ACCOUNT.c.external_id).where(
                    ACCOUNT.c.owner_csm == book.owner.email, ACCOUNT.c.status == "active"
                )
            ).scalars()
        )
    listed = set(EXTERNAL_ID.findall(client.get("/book").text))
    assert listed == active  # a churned account leaves the book
    foreign = client.get(f"/accounts/{book.foreign}", headers={"accept": "text/html"})
    missing = client.get("/accounts/ACC-99999", headers={"accept": "text/html"})
    assert foreign.status_code == missing.status_code == 404
    assert "No such account" in foreign.text and "No such account" in missing.text
    assert book.foreign not in foreign.text
    assert client.get(f"/accounts/{book.at_risk}").status_code == 200


def test_unreadable_account_ids_and_query_params_are_clear_errors(client: TestClient) -> None:
    web_login(client, "cs-manager-web")
    for weird in ("x" * 500, "ACC%00", "%F0%9F%98%80", "..%2F..%2Fetc"):
        answer = client.get(f"/accounts/{weird}", headers={"accept": "text/html"})
        assert answer.status_code in (404, 422), (weird, answer.status_code)
    for query, field in (("sort=banana", "sort"), ("band=Purple", "band"), ("sort=" + "x" * 3000, "sort")):
        answer = client.get(f"/book?{query}", headers={"accept": "text/html"})
        assert answer.status_code == 422 and field in _text(answer.text), query


def test_the_dashboard_counts_what_the_scorecards_and_forecast_hold(client: TestClient, built) -> None:
    book, _ = built
    web_login(client, "cs-manager-web")
    page = client.get("/dashboard")
    assert page.status_code == 200
    text = _text(page.text)
    with book.engine.connect() as conn:
        bands = Counter(conn.execute(select(SCORECARD.c.band).where(SCORECARD.c.as_of == AS_OF)).scalars())
        weeks = conn.execute(
            select(func.count(func.distinct(SCORECARD.c.as_of))).where(SCORECARD.c.as_of > AS_OF - timedelta(weeks=12))
        ).scalar_one()
        latest = conn.execute(select(func.max(FORECAST.c.as_of))).scalar_one()
        due = conn.execute(
            select(FORECAST.c.arr, FORECAST.c.weighted_arr).where(
                FORECAST.c.as_of == latest,
                FORECAST.c.renewal_on >= TODAY,
                FORECAST.c.renewal_on <= TODAY + timedelta(days=180),
            )
        ).all()
        at_risk = conn.execute(
            select(func.sum(ACCOUNT.c.arr))
            .join(SCORECARD, SCORECARD.c.account_id == ACCOUNT.c.id)
            .where(SCORECARD.c.as_of == AS_OF, SCORECARD.c.band.in_(("Orange", "Red")), ACCOUNT.c.status == "active")
        ).scalar_one()
    for band in ("Green", "Yellow", "Orange", "Red"):
        assert f"{band} {bands.get(band, 0)}" in text, band
    assert f"ARR at risk (Orange + Red): {at_risk:,.0f}" in text
    assert weeks == 7  # the six weeks scored back and this week's run
    chart = re.search(r'<svg[^>]*role="img".*?</svg>', page.text, re.S)
    assert chart and "Accounts per health band" in chart.group(0)
    assert len(re.findall(r"<rect[^>]*><title>", chart.group(0))) >= weeks  # a column (of stacked bands) per week
    assert f"{len(due)} renewals" in text
    assert f"ARR {sum(r.arr for r in due):,.0f}" in text
    assert f"weighted {sum(r.weighted_arr for r in due):,.0f}" in text


def test_the_movers_are_the_largest_score_changes_over_four_weeks(client: TestClient, built) -> None:
    book, _ = built
    web_login(client, "cs-manager-web")
    text = _text(client.get("/dashboard").text)
    section = text.split("Biggest movers, last 4 weeks", 1)[1].split("Renewals calendar", 1)[0]
    with book.engine.connect() as conn:
        now = dict(
            conn.execute(select(SCORECARD.c.account_id, SCORECARD.c.score).where(SCORECARD.c.as_of == AS_OF)).all()
        )
        then = dict(
            conn.execute(
                select(SCORECARD.c.account_id, SCORECARD.c.score).where(SCORECARD.c.as_of == AS_OF - timedelta(weeks=4))
            ).all()
        )
        ids = dict(conn.execute(select(ACCOUNT.c.id, ACCOUNT.c.external_id)).all())
    changes = {
        ids[a]: round(now[a] - then[a], 1) for a in now if a in then and now[a] is not None and then[a] is not None
    }
    biggest = max(changes.items(), key=lambda kv: (abs(kv[1]), kv[0]))
    assert biggest[1] != 0, "the fixture's book should move"
    first = EXTERNAL_ID.search(section)
    assert first and first.group(0) == biggest[0]
    assert f"{biggest[1]:+.1f}" in section
    # The reason reads the latest scorecard against the one four weeks back, in that order.
    account = next(a for a, external in ids.items() if external == biggest[0])
    with book.engine.connect() as conn:
        cards = dict(
            conn.execute(
                select(SCORECARD.c.as_of, SCORECARD.c.contributions).where(
                    SCORECARD.c.account_id == account, SCORECARD.c.as_of.in_([AS_OF, AS_OF - timedelta(weeks=4)])
                )
            ).all()
        )
    why = explain(cards[AS_OF], cards[AS_OF - timedelta(weeks=4)], limit=1, direction=biggest[1])
    row = section.split(biggest[0], 1)[1].split("since", 1)[0]
    assert why and html.unescape(why[0].text) in html.unescape(row)


def test_a_csm_dashboard_counts_only_their_book(client: TestClient, built) -> None:
    book, people = built
    web_login(client, "owner-web")
    text = _text(client.get("/dashboard").text)
    with book.engine.connect() as conn:
        mine = reachable_accounts(conn, people["csm"])
        bands = Counter(
            conn.execute(
                select(SCORECARD.c.band).where(SCORECARD.c.as_of == AS_OF, SCORECARD.c.account_id.in_(mine))
            ).scalars()
        )
    assert "Your accounts" in text
    for band in ("Green", "Yellow", "Orange", "Red"):
        assert f"{band} {bands.get(band, 0)}" in text, band


def test_the_account_page_shows_what_the_database_holds(client: TestClient, built) -> None:
    book, people = built
    with book.engine.begin() as conn:
        card = (
            conn.execute(select(SCORECARD).where(SCORECARD.c.account_id == book.at_risk_id, SCORECARD.c.as_of == AS_OF))
            .mappings()
            .one()
        )
        contacts = conn.execute(
            select(CONTACT.c.id, CONTACT.c.name, CONTACT.c.roles).where(CONTACT.c.account_id == book.at_risk_id)
        ).all()
        leaver = next(c for c in contacts if c.roles)
        conn.execute(
            update(CONTACT).where(CONTACT.c.id == leaver.id).values(status="departed", departed_on=date(2026, 11, 3))
        )
        talks = conn.execute(
            select(INTERACTION.c.subject, INTERACTION.c.external_id)
            .where(INTERACTION.c.account_id == book.at_risk_id)
            .order_by(INTERACTION.c.occurred_at.desc())
            .limit(3)
        ).all()
        name = conn.execute(select(ACCOUNT.c.name).where(ACCOUNT.c.id == book.at_risk_id)).scalar_one()
    offer = propose(book.engine, book.at_risk_id, {"discount_pct": 8}, by=people["csm"])
    web_login(client, "owner-web")
    page = client.get(f"/accounts/{book.at_risk}")
    assert page.status_code == 200
    text = _text(page.text)
    assert name in text and f"score {card['score']:.1f}" in text and card["band"] in text
    for reason in card["reasons"]:
        assert reason["text"] in text
    for c in card["contributions"]:
        assert label(c["source"], c["signal"]) in text, c["signal"]
    svgs = re.findall(r"<svg.*?</svg>", page.text, re.S)
    score_chart = next(s for s in svgs if "Health score of" in s)
    assert len(re.findall(r"<circle", score_chart)) == 7  # one point per weekly scorecard
    people_map = next(s for s in svgs if "Stakeholder map of" in s)
    assert f"left on {date(2026, 11, 3).isoformat()}" in people_map and html.escape(leaver.name) in people_map
    for c in contacts:
        if c.roles:
            assert html.escape(c.name) in people_map, c.name
    for subject, external_id in talks:
        assert html.escape(subject or "(no subject)") in page.text
        assert f"/copilot/sources/kb/interaction%3A{external_id}%3A0" in page.text
    assert f'href="/approvals/{offer.approval_id}"' in page.text
    assert f'action="/accounts/{book.at_risk}/copilot"' in page.text


def test_the_book_sorts_and_filters(client: TestClient, built) -> None:
    book, _ = built
    web_login(client, "cs-manager-web")
    with book.engine.connect() as conn:
        rows = conn.execute(
            select(ACCOUNT.c.external_id, SCORECARD.c.score, SCORECARD.c.band, ACCOUNT.c.arr)
            .join(SCORECARD, SCORECARD.c.account_id == ACCOUNT.c.id)
            .where(SCORECARD.c.as_of == AS_OF, ACCOUNT.c.status == "active")
        ).all()
    worst_first = [r.external_id for r in sorted(rows, key=lambda r: (r.score, r.external_id))]
    shown = _ids(client.get("/book").text)
    assert [round(r.score, 1) for r in sorted(rows, key=lambda r: r.score)] == [
        round(next(r.score for r in rows if r.external_id == x), 1) for x in shown
    ]
    assert shown[0] == worst_first[0] and set(shown) == set(worst_first)
    arr_page = client.get("/book?sort=-arr").text
    assert re.search(r'<th scope="col" class="num" aria-sort="descending"><a href="\?sort=arr">ARR', arr_page)
    by_arr = _ids(arr_page)
    assert by_arr[0] == max(rows, key=lambda r: r.arr).external_id
    assert by_arr == [r.external_id for r in sorted(rows, key=lambda r: r.arr, reverse=True)]
    band = Counter(r.band for r in rows).most_common(1)[0][0]
    only = _ids(client.get(f"/book?band={band}").text)
    assert sorted(only) == sorted(r.external_id for r in rows if r.band == band)
    assert _ids(client.get("/book?band=&sort=score").text) == shown  # the form's "All bands"
    with book.engine.begin() as conn:  # a resolved alert no longer counts
        one = conn.execute(select(ALERT.c.id).where(ALERT.c.status == "open").order_by(ALERT.c.id).limit(1)).scalar()
        conn.execute(update(ALERT).where(ALERT.c.id == one).values(status="resolved", resolved_on=AS_OF))
        alerts = Counter(
            conn.execute(
                select(ACCOUNT.c.external_id)
                .join(ALERT, ALERT.c.account_id == ACCOUNT.c.id)
                .where(ALERT.c.status == "open", ALERT.c.opened_on <= TODAY)
            ).scalars()
        )
    assert alerts, "the fixture's book should have open alerts"
    page = client.get("/book").text
    for external_id in shown:
        row = re.search(rf"<tr>\s*<td><a href=\"/accounts/{external_id}\">.*?</tr>", page, re.S).group(0)
        cells = re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
        assert _text(cells[-1]) == str(alerts.get(external_id, 0)), external_id


def _ids(page: str) -> list[str]:
    """The account ids a page lists, in order, each once."""
    return list(dict.fromkeys(EXTERNAL_ID.findall(page)))


@pytest.mark.parametrize("scored", [False, True], ids=["unscored", "scored"])
def test_every_page_serves_every_role_on_both_databases(engine, database_url, scored: bool) -> None:
    """A new install (no scorecard, no forecast yet) and a scored one: no page fails for any role, on SQLite
    and PostgreSQL alike."""
    with app_with_people(engine, database_url) as (served, _):
        if scored:
            score_book(engine, ScoringConfig.load(), AS_OF)
        with engine.connect() as conn:
            first = conn.execute(select(ACCOUNT.c.external_id).order_by(ACCOUNT.c.id).limit(1)).scalar_one()
        for username in ("csm", "cs-manager", "finance", "ae", "cro"):
            web_login(served, username)
            for path in ("/", "/book", "/book?sort=-renewal&band=Red", "/dashboard", f"/accounts/{first}"):
                answer = served.get(path, headers={"accept": "text/html"})
                assert answer.status_code in (200, 404), (username, path, answer.status_code)
                if path == f"/accounts/{first}" and answer.status_code == 404:
                    assert username in ("finance", "ae") and "No such account" in answer.text


def test_a_broken_play_file_leaves_the_pages_up_and_says_why(engine, database_url) -> None:
    """The team's plays.yaml feeds the renewal timeline and the play metrics; a mistake in it is shown where
    those would be, and the rest of each page still serves."""
    folder = Path(os.environ["WATCHTOWER_CONFIG_DIR"])
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "plays.yaml").write_text("version: [not, a, string\n", encoding="utf-8")
    with app_with_people(engine, database_url) as (served, _):
        score_book(engine, ScoringConfig.load(), AS_OF)
        with engine.connect() as conn:
            first = conn.execute(select(ACCOUNT.c.external_id).order_by(ACCOUNT.c.id).limit(1)).scalar_one()
        web_login(served, "cs-manager")
        dashboard = served.get("/dashboard")
        account = served.get(f"/accounts/{first}")
    assert dashboard.status_code == 200 and "The success metrics could not be computed" in _text(dashboard.text)
    assert "Health bands now" in dashboard.text
    assert account.status_code == 200 and "The renewal play could not be read" in _text(account.text)
    assert "plays.yaml" in _text(account.text)
