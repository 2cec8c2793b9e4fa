"""The web pages: the edit form refuses bad numbers with 422 naming the field, and every list pages.

Driven over HTTP like a browser: sign in, read the page, post its forms,
follow its next/previous links.
"""

from __future__ import annotations

import html
import re
from datetime import date

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import insert, select

from approvals.queue import APPROVAL, OFFER
from core.models import Scorecard
from tests.integration.api_support import OUTBOX, add_drafts, page_alert, page_status, web_login
from tests.integration.approval_support import PASSWORD, account_ids, propose

SCORECARD = Scorecard.__table__  # type: ignore[attr-defined]
NEXT = re.compile(r'<a rel="next" href="([^"]+)"')
PREVIOUS = re.compile(r'<a rel="prev" href="([^"]+)"')


#: (field, what was typed): text that is no number, numbers no float holds, and numbers out of the terms' bounds.
BAD_NUMBERS = [
    ("discount_pct", "abc"),
    ("discount_pct", "inf"),
    ("discount_pct", "nan"),
    ("discount_pct", "1e400"),
    ("discount_pct", "-5"),
    ("discount_pct", "0"),
    ("term_months", "abc"),
    ("term_months", "1e400"),
    ("term_months", "12.5"),
    ("term_months", "-3"),
    ("payment_terms_days", "inf"),
    ("payment_terms_days", "-1"),
    ("version", "abc"),
]


def test_bad_numbers_on_the_edit_form_are_a_422_naming_the_field(web, engine):
    client, people = web
    offer = propose(engine, account_ids(engine)[0], {"discount_pct": 5}, by=people["ae"])
    csrf = web_login(client, "cs-manager")
    for field, typed in BAD_NUMBERS:
        form = {"decision": "edit", "reason": "tidy the terms", "csrf": csrf, field: typed}
        answer = client.post(f"/approvals/{offer.approval_id}/decision", data=form, follow_redirects=False)
        assert answer.status_code == 422, (field, typed, answer.status_code)
        assert field in page_alert(answer.text), (field, typed, page_alert(answer.text))
        assert 'name="reason" required size="60" value="tidy the terms"' in answer.text
        if field != "version":  # what was typed comes back, to be corrected
            assert f'name="{field}" value="{html.escape(typed)}"' in answer.text, (field, typed)
    with engine.connect() as conn:
        approval = conn.execute(select(APPROVAL.c.status, APPROVAL.c.version)).one()
        terms = conn.execute(select(OFFER.c.terms)).scalar_one()
    assert tuple(approval) == ("pending", 1) and terms == {"discount_pct": 5}


def test_good_numbers_on_the_edit_form_still_edit_and_approve(web, engine):
    client, people = web
    offer = propose(engine, account_ids(engine)[0], {"discount_pct": 5}, by=people["ae"])
    csrf = web_login(client, "cs-manager")
    form = {
        "decision": "edit",
        "reason": "a little less, a little longer to pay",
        "csrf": csrf,
        "version": "1",
        "discount_pct": " 4.5 ",
        "term_months": "",
        "payment_terms_days": "45",
    }
    answer = client.post(f"/approvals/{offer.approval_id}/decision", data=form, follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"] == "/approvals"
    with engine.connect() as conn:
        assert conn.execute(select(APPROVAL.c.status)).scalar_one() == "approved"
        assert conn.execute(select(OFFER.c.terms)).scalar_one() == {"discount_pct": 4.5, "payment_terms_days": 45}
    stale = client.post(f"/approvals/{offer.approval_id}/decision", data=form, follow_redirects=False)
    assert stale.status_code == 303  # a refusal still goes back, with the reason
    assert "already" in page_alert(client.get(stale.headers["location"]).text)


def test_the_approval_page_says_why_the_account_has_its_band_cap_first(web, engine):
    """An approver sees the cap that set the band, in its own words with the values that fired it."""
    client, people = web
    account = account_ids(engine)[0]
    cap = "capped at Orange: active users fell by half or more against the account's own level (-62%: 30.5 vs 80.0)"
    with engine.begin() as conn:
        conn.execute(
            insert(SCORECARD).values(
                account_id=account,
                as_of=date(2026, 11, 23),
                model_version="test",
                score=59.9,
                band="Orange",
                completeness=100.0,
                reasons=[
                    {
                        "signal": "active_users_vs_baseline",
                        "kind": "cap",
                        "delta_points": -20.0,
                        "text": cap,
                        "evidence": [],
                    },
                    {
                        "signal": "latest_nps",
                        "kind": "change",
                        "delta_points": -3.0,
                        "text": "latest NPS 6",
                        "evidence": [],
                    },
                ],
            )
        )
    offer = propose(engine, account, {"discount_pct": 5}, by=people["ae"])
    web_login(client, "cs-manager")
    page = client.get(f"/approvals/{offer.approval_id}")
    assert page.status_code == 200, page.text
    # 59.9 is Orange; a score rounded to 60 beside the word Orange would read as Yellow's first point.
    assert re.search(r"band-Orange\">Orange</span> 59\.9\b", page.text)
    why = re.search(r"<th>Why</th><td>(.*?)</td>", page.text, re.S)
    assert why and html.unescape(why.group(1)).split("<br>")[:2] == [cap, "latest NPS 6"]


def _walk(client: TestClient, first: str) -> tuple[list[int], list[str]]:
    """Follow the next links from ``first``; the row ids in page order and each page's URL."""
    ids: list[int] = []
    urls = [first]
    while True:
        page = client.get(urls[-1])
        assert page.status_code == 200, page.text
        ids.extend(int(i) for i in re.findall(r'<tr id="(?:approval|message)-(\d+)"', page.text))
        found = NEXT.search(page.text)
        if not found:
            return ids, urls
        urls.append(html.unescape(found.group(1)))


def test_the_queue_page_pages_and_a_decision_returns_to_its_page(web, engine):
    client, people = web
    ids = [propose(engine, a, {"discount_pct": 3}, by=people["ae"]).approval_id for a in account_ids(engine)[:7]]
    csrf = web_login(client, "cs-manager")
    seen, urls = _walk(client, "/approvals?limit=3")
    assert seen == ids and urls == ["/approvals?limit=3", "/approvals?limit=3&offset=3", "/approvals?limit=3&offset=6"]
    second = client.get(urls[1]).text
    assert "Approvals 4–6 of 7" in second
    assert html.unescape(PREVIOUS.search(second).group(1)) == "/approvals?limit=3&offset=0"
    back = re.search(r'name="back" value="([^"]+)"', second).group(1)
    form = {"decision": "approve", "reason": "fine", "csrf": csrf, "back": html.unescape(back)}
    done = client.post(f"/approvals/{ids[4]}/decision", data=form)
    assert done.url.path == "/approvals" and done.url.params["offset"] == "3"
    assert f"Approval {ids[4]}: offer" in page_status(done.text)
    assert "Approvals 4–6 of 6" in done.text and f'id="approval-{ids[4]}"' not in done.text
    beyond = client.get("/approvals?limit=3&offset=300").text  # past the end: the last page
    assert "Approvals 4–6 of 6" in beyond


def test_every_outbox_draft_can_be_approved_on_the_web_past_the_first_200(web, engine):
    client, _ = web
    ids = add_drafts(engine, account_ids(engine), 205)
    csrf = web_login(client, "cs-manager")
    seen, urls = _walk(client, "/outbox")
    assert seen == ids and len(urls) == 5  # 50 a page
    last = client.get(urls[-1]).text
    assert "Drafts 201–205 of 205" in last
    back = html.unescape(re.search(r'name="back" value="([^"]+)"', last).group(1))
    target = ids[202]  # draft 203
    form = {"decision": "approve", "reason": "tone is right", "csrf": csrf, "back": back}
    done = client.post(f"/outbox/{target}/decision", data=form)
    assert done.url.path == "/outbox" and done.url.params["offset"] == "200"
    assert f"Message {target}: approved" in page_status(done.text)
    assert "Drafts 201–204 of 204" in done.text
    odd = client.post(f"/outbox/{ids[204]}/decision", data={**form, "decision": "send"})
    assert "decision must be approve or discard, not 'send'" in page_alert(odd.text)
    discard = client.post(f"/outbox/{ids[204]}/decision", data={**form, "decision": "discard"})
    assert f"Message {ids[204]}: discarded" in page_status(discard.text)
    with engine.connect() as conn:
        statuses = dict(conn.execute(select(OUTBOX.c.id, OUTBOX.c.status).where(OUTBOX.c.id.in_(ids[200:]))).all())
    assert statuses == {
        ids[200]: "drafted",
        ids[201]: "drafted",
        ids[202]: "approved",
        ids[203]: "drafted",
        ids[204]: "discarded",
    }


def test_a_csm_pages_only_through_their_own_drafts(web, engine):
    client, people = web
    mine = account_ids(engine, owner=people["csm"].email)
    others = [a for a in account_ids(engine) if a not in mine]
    own = add_drafts(engine, mine, 60)
    theirs = add_drafts(engine, others, 60)
    csrf = web_login(client, "csm")
    seen, _ = _walk(client, "/outbox")
    assert seen == own
    refused = client.post(f"/outbox/{theirs[-1]}/decision", data={"decision": "approve", "reason": "x", "csrf": csrf})
    assert f"message {theirs[-1]} is not a draft you may approve" in page_alert(refused.text)


@pytest.mark.parametrize("query", ["limit=0", "limit=201", "offset=-1", "offset=99999999999999999999", "limit=x"])
def test_page_bounds_are_a_422_not_a_500(web, query):
    client, _ = web
    web_login(client, "cs-manager")
    for path in ("/approvals", "/outbox"):
        assert client.get(f"{path}?{query}").status_code == 422, (path, query)


def test_signing_in_returns_to_the_page_of_the_list_asked_for(web):
    client, _ = web
    asked = client.get("/outbox?limit=10&offset=20", follow_redirects=False)
    assert asked.status_code == 303 and asked.headers["location"] == "/login?next=%2Foutbox%3Flimit%3D10%26offset%3D20"
    signed = client.post(
        "/login",
        data={"username": "cs-manager", "password": PASSWORD, "next": "/outbox?limit=10&offset=20"},
        follow_redirects=False,
    )
    assert signed.headers["location"] == "/outbox?limit=10&offset=20"
