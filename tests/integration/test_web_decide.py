"""What a decider needs on the approval page and the queue, driven over HTTP as finance and a CS manager would.

The money in whole units with its currency, the account's score and reasons,
how it pays, its renewal forecast and earlier concessions; the Decide form only
for someone whose turn it is; an overdue SLA in words; an edit audited once
with the terms before and after; the queue filtered, sorted and decided in bulk.
"""

from __future__ import annotations

import html
import re
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import func, insert, select

from approvals.queue import APPROVAL, CONTRACT, OFFER
from core.audit import AUDIT
from core.models import Invoice, RenewalForecast, Scorecard
from tests.integration.api_support import web_login
from tests.integration.approval_support import NOW, account_ids, propose

SCORECARD = Scorecard.__table__  # type: ignore[attr-defined]
INVOICE = Invoice.__table__  # type: ignore[attr-defined]
FORECAST = RenewalForecast.__table__  # type: ignore[attr-defined]
DECIDE_FORM = re.compile(r'<form[^>]+action="/approvals/\d+/decision"')


def _text(page: str) -> str:
    """The page's main content as a person reads it: no tags, entities decoded, spaces collapsed."""
    main = page.split("<main>", 1)[-1]
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", main)))


def _section(page: str, heading: str) -> str:
    """The text under an ``<h2>`` up to the next one."""
    found = re.search(rf"<h2[^>]*>{heading}</h2>(.*?)(?=<h2|</main>)", page, re.S)
    assert found, f"no section {heading!r}"
    return _text(found.group(1))


def _whole_dollars(amount: str) -> str:
    whole = Decimal(amount).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return f"${whole:,}"


def test_the_queue_lives_at_approvals_one_click_from_a_managers_landing(web, engine):
    client, people = web
    offer = propose(engine, account_ids(engine)[0], {"discount_pct": 5}, by=people["ae"])
    web_login(client, "cs-manager")
    root = client.get("/", follow_redirects=False)
    assert root.status_code in (302, 303, 307) and root.headers["location"] == "/dashboard"
    assert 'href="/approvals"' in client.get("/dashboard").text
    queue = client.get("/approvals")
    assert queue.status_code == 200 and f'id="approval-{offer.approval_id}"' in queue.text


def test_the_approval_page_shows_what_finance_needs_to_decide(web, engine):
    client, people = web
    account = account_ids(engine)[0]
    with engine.begin() as conn:
        conn.execute(
            insert(SCORECARD).values(
                account_id=account,
                as_of=date(2026, 11, 23),
                model_version="test",
                score=41.5,
                band="Red",
                completeness=100.0,
                reasons=[{"signal": "logins", "kind": "change", "delta_points": -9.0, "text": "logins fell 63%"}],
            )
        )
        conn.execute(
            insert(INVOICE),
            [
                {
                    "external_id": "INV-LATE-PAID",
                    "account_id": account,
                    "amount": Decimal("12000"),
                    "issued_on": date(2026, 9, 1),
                    "due_on": date(2026, 10, 1),
                    "paid_on": date(2026, 10, 15),
                    "status": "paid",
                },
                {
                    "external_id": "INV-STILL-OPEN",
                    "account_id": account,
                    "amount": Decimal("5000"),
                    "issued_on": date(2026, 10, 2),
                    "due_on": date(2026, 11, 1),
                    "paid_on": None,
                    "status": "open",
                },
            ],
        )
        contract = conn.execute(
            select(CONTRACT.c.id).where(CONTRACT.c.account_id == account, CONTRACT.c.status == "active")
        ).scalar()
        conn.execute(
            insert(FORECAST).values(
                contract_id=contract,
                account_id=account,
                as_of=date(2026, 11, 23),
                renewal_on=date(2027, 2, 1),
                days_to_renewal=70,
                band="Red",
                timeline="behind",
                engaged=False,
                category="at_risk",
                probability=0.4,
                arr=Decimal("100000"),
                weighted_arr=Decimal("40000"),
                rule="band == 'Red'",
            )
        )
    earlier = propose(engine, account, {"discount_pct": 8}, by=people["ae"])
    web_login(client, "cs-manager")
    csrf = web_login(client, "cs-manager")
    client.post(
        f"/approvals/{earlier.approval_id}/decision",
        data={"decision": "reject", "reason": "not this quarter", "csrf": csrf},
    )
    offer = propose(engine, account, {"discount_pct": 12}, by=people["ae"])
    with engine.connect() as conn:
        amount = conn.execute(select(OFFER.c.concession).where(OFFER.c.id == offer.offer_id)).scalar_one()["amount"]
    web_login(client, "finance")
    page = client.get(f"/approvals/{offer.approval_id}")
    assert page.status_code == 200, page.text
    text = _text(page.text)
    assert f"Concession {_whole_dollars(str(amount))}" in text, text
    assert "Red 41.5" in text and "logins fell 63%" in text
    payments = _section(page.text, "Payment history")
    assert "INV-LATE-PAID 2026-09-01 2026-10-01 2026-10-15 $12,000 14 days late $0" in payments, payments
    assert "INV-STILL-OPEN 2026-10-02 2026-11-01 unpaid $5,000 23 days late $5,000" in payments, payments
    assert "Forecast at risk (40%)" in text, text
    before = _section(page.text, "Earlier concessions")
    assert "discount_pct: 8" in before and "rejected" in before and "not this quarter" in before, before
    assert f'href="/accounts/{html.escape(_external_id(engine, account))}"' in page.text


def _external_id(engine, account: int) -> str:
    from approvals.queue import ACCOUNT

    with engine.connect() as conn:
        return conn.execute(select(ACCOUNT.c.external_id).where(ACCOUNT.c.id == account)).scalar_one()


def test_the_decide_form_is_shown_only_to_whom_may_decide_now(web, engine):
    client, people = web
    # 25% off: finance first, then the CRO (ordered); the AE proposed it.
    offer = propose(engine, account_ids(engine)[0], {"discount_pct": 25}, by=people["ae"])
    url = f"/approvals/{offer.approval_id}"
    seen = {}
    for username in ("finance", "cro", "cs-manager", "ae", "legal"):
        web_login(client, username)
        seen[username] = client.get(url).text
    assert DECIDE_FORM.search(seen["finance"])
    for username in ("cro", "cs-manager", "ae", "legal"):
        assert not DECIDE_FORM.search(seen[username]), username
        assert "Waiting for finance (finance" in _text(seen[username]), username
    assert "you proposed this offer" in _text(seen["ae"])
    csrf = web_login(client, "finance")
    done = client.post(f"{url}/decision", data={"decision": "approve", "reason": "ok for finance", "csrf": csrf})
    assert done.status_code == 200
    after = client.get(url).text
    assert not DECIDE_FORM.search(after) and "you already approved" in _text(after)
    web_login(client, "cro")
    assert DECIDE_FORM.search(client.get(url).text)


def test_an_overdue_sla_says_so_in_words(web, engine):
    client, people = web
    late = propose(engine, account_ids(engine)[0], {"discount_pct": 5}, by=people["ae"], now=NOW - timedelta(days=3))
    fresh = propose(engine, account_ids(engine)[1], {"discount_pct": 5}, by=people["ae"])
    web_login(client, "cs-manager")
    page = client.get(f"/approvals/{late.approval_id}").text
    assert "OVERDUE by 2 days" in _text(page) and 'class="overdue"' in page
    assert "OVERDUE" not in _text(client.get(f"/approvals/{fresh.approval_id}").text)
    queue = client.get("/approvals").text
    row = re.search(rf'<tr id="approval-{late.approval_id}"[^>]*>(.*?)</tr>', queue, re.S).group(1)
    assert "OVERDUE by 2 days" in _text(row)


def test_an_edit_is_audited_once_with_the_terms_before_and_after(web, engine):
    client, people = web
    offer = propose(engine, account_ids(engine)[0], {"discount_pct": 25}, by=people["ae"])
    csrf = web_login(client, "finance")
    form = {"decision": "edit", "reason": "15 is enough", "csrf": csrf, "discount_pct": "15", "version": "1"}
    assert client.post(f"/approvals/{offer.approval_id}/decision", data=form).status_code == 200
    with engine.connect() as conn:
        edits = conn.execute(select(AUDIT).where(AUDIT.c.action == "edit")).mappings().all()
    assert len(edits) == 1
    assert edits[0]["before"]["terms"] == {"discount_pct": 25.0} and edits[0]["after"]["terms"] == {
        "discount_pct": 15.0
    }
    trail = _section(client.get(f"/approvals/{offer.approval_id}").text, "Audit trail")
    assert trail.count(" edit ") == 1 and "discount_pct: 25.0 → 15.0" in trail, trail


def test_the_queue_filters_and_sorts(web, engine):
    client, people = web
    accounts = account_ids(engine)
    small = propose(engine, accounts[0], {"discount_pct": 3}, by=people["ae"], now=NOW - timedelta(hours=2))
    large = propose(engine, accounts[1], {"discount_pct": 9}, by=people["csm"], now=NOW - timedelta(hours=1))
    old = propose(engine, accounts[2], {"discount_pct": 6}, by=people["ae"], now=NOW - timedelta(days=3))
    web_login(client, "cs-manager")

    def ids(query: str) -> list[int]:
        page = client.get(f"/approvals?{query}")
        assert page.status_code == 200, page.text
        return [int(i) for i in re.findall(r'<tr id="approval-(\d+)"', page.text)]

    every = {small.approval_id, large.approval_id, old.approval_id}
    assert set(ids("")) == every
    assert ids("overdue=true") == [old.approval_id]
    assert set(ids("requester=ae")) == {small.approval_id, old.approval_id}
    assert ids(f"account={_external_id(engine, accounts[1])}") == [large.approval_id]
    assert ids("kind=term_change") == []
    assert "No approval matches these filters" in _text(client.get("/approvals?kind=term_change").text)
    assert ids("sort=age") == [old.approval_id, small.approval_id, large.approval_id]
    with engine.connect() as conn:
        amounts = dict(conn.execute(select(APPROVAL.c.id, OFFER.c.concession).join(OFFER)).all())
    by_amount = sorted(every, key=lambda i: -Decimal(str(amounts[i]["amount"])))
    assert ids("sort=concession") == by_amount
    assert ids("sort=due")[0] == old.approval_id
    assert client.get("/approvals?sort=nonsense").status_code == 422
    assert "sort" in client.get("/approvals?sort=nonsense").text


def test_bulk_decide_decides_each_and_reports_a_failure_per_item(web, engine):
    client, people = web
    accounts = account_ids(engine)
    first = propose(engine, accounts[0], {"discount_pct": 3}, by=people["ae"])
    mine = propose(engine, accounts[1], {"discount_pct": 4}, by=people["cs_manager"])  # its requester cannot decide
    third = propose(engine, accounts[2], {"discount_pct": 5}, by=people["ae"])
    csrf = web_login(client, "cs-manager")
    ids = [first.approval_id, mine.approval_id, third.approval_id]
    done = client.post(
        "/approvals/bulk",
        data={"csrf": csrf, "decision": "approve", "reason": "quarter-end batch", "ids": [str(i) for i in ids]},
    )
    assert done.status_code == 200
    with engine.connect() as conn:
        statuses = dict(conn.execute(select(APPROVAL.c.id, APPROVAL.c.status)).all())
        approvals_audited = conn.execute(
            select(func.count()).select_from(AUDIT).where(AUDIT.c.action == "approve", AUDIT.c.entity == "approval")
        ).scalar_one()
        reasons = set(conn.execute(select(APPROVAL.c.reason).where(APPROVAL.c.status == "approved")).scalars())
    assert statuses == {first.approval_id: "approved", mine.approval_id: "pending", third.approval_id: "approved"}
    assert approvals_audited == 2 and reasons == {"quarter-end batch"}
    shown = _text(done.text)
    assert "2 of 3 decided" in shown, shown
    failed = re.search(rf'<tr id="result-{mine.approval_id}"[^>]*>(.*?)</tr>', done.text, re.S).group(1)
    assert "Not decided: cs-manager proposed offer" in _text(failed), failed
    bad = client.post("/approvals/bulk", data={"csrf": csrf, "decision": "approve", "reason": "x"})
    assert bad.status_code == 422 and "ids" in _text(bad.text)
    no_csrf = client.post(
        "/approvals/bulk", data={"decision": "approve", "reason": "x", "ids": [str(first.approval_id)]}
    )
    assert no_csrf.status_code in (400, 403)


def test_bulk_decide_refuses_an_id_out_of_range_naming_the_field(web, engine):
    """An id past the database's integer is a 422 on ``ids``, never a crash; nothing is decided."""
    client, people = web
    first = propose(engine, account_ids(engine)[0], {"discount_pct": 3}, by=people["ae"])
    csrf = web_login(client, "cs-manager")
    for bad in (str(2**63), "0", "-1"):
        refused = client.post(
            "/approvals/bulk",
            data={"csrf": csrf, "decision": "approve", "reason": "x", "ids": [str(first.approval_id), bad]},
        )
        assert refused.status_code == 422, (bad, refused.status_code)
        assert "ids" in refused.text
    with engine.connect() as conn:
        assert conn.execute(select(APPROVAL.c.status).where(APPROVAL.c.id == first.approval_id)).scalar() == "pending"


def test_queue_filters_that_are_no_text_are_refused_naming_the_filter(web, engine):
    """A NUL byte in a filter is a 422 naming it on both backends (Postgres refuses NUL in text), never a 500."""
    client, people = web
    propose(engine, account_ids(engine)[0], {"discount_pct": 3}, by=people["ae"])
    web_login(client, "cs-manager")
    for name in ("kind", "account", "requester"):
        refused = client.get("/approvals", params={name: "a\x00b"})
        assert refused.status_code == 422, (name, refused.status_code)
        assert name in refused.text
