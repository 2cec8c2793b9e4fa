"""Offers are priced before they are routed: the probe's attacks through the HTTP API and the command line.

Each attack once reached a single CS manager: a percent that disagreed with its amount, an edit to an
amount inside the role's field limit, a renewal quote of 1 on a 301k account, free seats. Each must now
be refused or go to finance and then the CRO, and bad money must be a 422, never a server error.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select, update
from typer.testing import CliRunner

from approvals.queue import ACCOUNT, APPROVAL, OFFER
from cli.main import app as cli_app
from tests.integration.api_support import app_with_people, bearer
from tests.integration.approval_support import PASSWORD, account_ids, book_with_people

runner = CliRunner()
FINANCE_THEN_CRO = ["finance", "cro"]


def priced_account(engine, index: int, arr: str, seats: int | None = None) -> str:
    """Give one account of the book the ARR (and seats) an attack was made on; returns its external id."""
    account_id = account_ids(engine)[index]
    with engine.begin() as conn:
        conn.execute(update(ACCOUNT).where(ACCOUNT.c.id == account_id).values(arr=Decimal(arr), seats_purchased=seats))
        return conn.execute(select(ACCOUNT.c.external_id).where(ACCOUNT.c.id == account_id)).scalar_one()


@pytest.fixture
def api(engine, database_url):
    with app_with_people(engine, database_url) as served:
        yield served


def chain_of(engine, approval_id: int) -> list[str]:
    with engine.connect() as conn:
        groups = conn.execute(select(APPROVAL.c.groups).where(APPROVAL.c.id == approval_id)).scalar_one()
    return [g["key"] for g in groups]


def problem(answer) -> str:
    """The messages of an error answer: one for a 4xx with a reason, one per field for a 422."""
    detail = answer.json()["detail"]
    return detail if isinstance(detail, str) else " | ".join(d["msg"] for d in detail)


def offer_body(account: str, kind: str, terms: dict) -> dict:
    return {"account": account, "kind": kind, "terms": terms, "rationale": "probe"}


def test_a_percent_and_an_amount_that_disagree_are_refused_naming_both(api, engine):
    client, people = api
    account = priced_account(engine, 0, "11595.61")
    answer = client.post(
        "/api/offers",
        headers=bearer(engine, people["ae"]),
        json=offer_body(account, "discount", {"discount_pct": 1, "discount_amount": "11000"}),
    )
    assert answer.status_code == 422, answer.text
    detail = problem(answer)
    assert "discount_pct 1" in detail and "discount_amount 11000" in detail
    with engine.connect() as conn:
        assert conn.execute(select(OFFER.c.id)).first() is None


def test_an_amount_alone_is_priced_against_the_arr(api, engine):
    client, people = api
    account = priced_account(engine, 0, "11595.61")
    answer = client.post(
        "/api/offers",
        headers=bearer(engine, people["ae"]),
        json=offer_body(account, "discount", {"discount_amount": "11000"}),
    )
    assert answer.status_code == 201, answer.text
    assert chain_of(engine, answer.json()["approval_id"]) == FINANCE_THEN_CRO


def test_a_renewal_quote_below_the_current_arr_is_a_concession(api, engine):
    client, people = api
    account = priced_account(engine, 0, "301046.72")
    answer = client.post(
        "/api/offers",
        headers=bearer(engine, people["ae"]),
        json=offer_body(account, "renewal", {"renewal_arr": "1"}),
    )
    assert answer.status_code == 201, answer.text
    approval_id = answer.json()["approval_id"]
    assert chain_of(engine, approval_id) == FINANCE_THEN_CRO
    alone = client.post(
        f"/api/approvals/{approval_id}/decision",
        headers=bearer(engine, people["cs_manager"]),
        json={"decision": "approve", "reason": "list price"},
    )
    assert alone.status_code == 403
    with engine.connect() as conn:
        impact = conn.execute(select(OFFER.c.arr_impact)).scalar_one()
    assert impact == Decimal("-301045.72")


def test_free_seats_are_a_concession(api, engine):
    client, people = api
    account = priced_account(engine, 0, "100000", seats=50)
    answer = client.post(
        "/api/offers",
        headers=bearer(engine, people["ae"]),
        json=offer_body(account, "expansion", {"seats_added": 1000, "price_per_seat": "0"}),
    )
    assert answer.status_code == 201, answer.text
    assert chain_of(engine, answer.json()["approval_id"]) == FINANCE_THEN_CRO


def test_the_api_shows_the_concession_an_offer_was_routed_by(api, engine):
    client, people = api
    account = priced_account(engine, 0, "100000", seats=50)
    created = client.post(
        "/api/offers",
        headers=bearer(engine, people["ae"]),
        json=offer_body(account, "expansion", {"seats_added": 10, "price_per_seat": "1000"}),
    )
    assert created.status_code == 201, created.text
    manager = bearer(engine, people["finance"])
    offer = client.get(f"/api/offers/{created.json()['offer_id']}", headers=manager).json()
    approval = client.get(f"/api/approvals/{created.json()['approval_id']}", headers=manager).json()
    # List is 100,000 / 50 = 2,000 a seat: 10 seats at 1,000 give 10,000 away, 10% of the ARR.
    for shown in (offer["concession"], approval["concession"]):
        assert [Decimal(shown[k]) for k in ("pct", "amount", "base_arr")] == [10, 10000, 100000], shown
    assert offer["requester"] == {"name": "ae", "kind": "person", "launched_by": None}


def test_an_edit_is_bounded_by_the_concession_it_makes(api, engine):
    """A CS manager's amount limit is 10,000 and percent limit 10: 10,000 off 11,595.61 is 86%, not within it."""
    client, people = api
    account = priced_account(engine, 0, "11595.61")
    created = client.post(
        "/api/offers", headers=bearer(engine, people["ae"]), json=offer_body(account, "discount", {"discount_pct": 5})
    )
    approval_id = created.json()["approval_id"]
    assert chain_of(engine, approval_id) == ["cs_manager"]
    manager = bearer(engine, people["cs_manager"])
    url = f"/api/approvals/{approval_id}/decision"
    edit = {"decision": "edit", "reason": "x", "terms": {"discount_amount": 10000}}
    both = client.post(url, headers=manager, json=edit)
    assert both.status_code == 422 and "discount_pct 5" in problem(both), both.text
    amount = client.post(
        url,
        headers=manager,
        json={"decision": "edit", "reason": "x", "terms": {"discount_pct": None, "discount_amount": 10000}},
    )
    assert amount.status_code == 403, amount.text
    assert "discount_pct up to 10, not 86.24" in problem(amount)
    with engine.connect() as conn:
        status = conn.execute(select(APPROVAL.c.status).where(APPROVAL.c.id == approval_id)).scalar_one()
    assert status == "pending"


@pytest.mark.parametrize(
    ("kind", "terms"),
    [
        ("discount", {"discount_amount": "1e999"}),
        ("discount", {"discount_amount": "NaN"}),
        ("discount", {"discount_amount": "Infinity"}),
        ("discount", {"discount_amount": "-5"}),
        ("discount", {"discount_pct": "NaN"}),
        ("service_credit", {"service_credit_amount": "1e30"}),
        ("renewal", {"renewal_arr": "sNaN"}),
        ("expansion", {"seats_added": 10**12, "price_per_seat": "999999999999"}),
        ("expansion", {"seats_added": 10**6, "price_per_seat": "999999999"}),
    ],
)
def test_money_that_cannot_be_computed_is_a_422(api, engine, kind, terms):
    client, people = api
    account = priced_account(engine, 0, "100000", seats=50)
    answer = client.post("/api/offers", headers=bearer(engine, people["ae"]), json=offer_body(account, kind, terms))
    assert answer.status_code == 422, answer.text


def wt(database_url: str, *args: str):
    return runner.invoke(cli_app, ["--database-url", database_url, *args])


def test_the_command_line_refuses_disagreeing_terms_and_prices_quotes(engine, database_url):
    book_with_people(engine)
    small = priced_account(engine, 0, "11595.61")
    refused = wt(
        database_url, "offers", "propose", small, "--kind", "discount", "--as", "ae", "--rationale", "probe",
        "--term", "discount_pct=1", "--term", "discount_amount=11000",
    )  # fmt: skip
    assert refused.exit_code == 1 and "discount_pct 1" in refused.output and "discount_amount 11000" in refused.output
    large = priced_account(engine, 1, "301046.72")
    quote = wt(
        database_url, "offers", "propose", large, "--kind", "renewal", "--as", "ae", "--rationale", "probe",
        "--term", "renewal_arr=1",
    )  # fmt: skip
    assert quote.exit_code == 0 and "routed to finance, cro" in quote.output, quote.output
    listed = wt(database_url, "approvals", "list", "--as", "finance")
    assert "100.0%" in listed.output, listed.output
    shown = wt(database_url, "approvals", "show", "1", "--as", "finance")
    assert '"amount": "301045.72"' in shown.output and '"renewal_below_current": "301045.72"' in shown.output


def test_the_approver_reads_what_the_offer_gives_away_on_the_web(api, engine):
    client, people = api
    account = priced_account(engine, 0, "100000", seats=50)
    created = client.post(
        "/api/offers",
        headers=bearer(engine, people["ae"]),
        json=offer_body(account, "expansion", {"seats_added": 1000, "price_per_seat": "0"}),
    )
    approval_id = created.json()["approval_id"]
    client.post("/login", data={"username": "finance", "password": PASSWORD})
    queue = client.get("/approvals").text
    assert "2000.0%" in queue and "$2,000,000" in queue and "seats below list" in queue
    page = client.get(f"/approvals/{approval_id}").text
    assert "$2,000,000 (2000.00% of ARR $100,000)" in page


@pytest.mark.parametrize("status", ["expired", "renewed", "cancelled", "churned"])
def test_an_offer_is_not_priced_against_a_contract_the_customer_no_longer_pays(api, engine, status):
    """An old contract's larger ARR would make 9,000 off an account paying 10,000 look like 0.9%."""
    from datetime import date

    from approvals.queue import CONTRACT

    client, people = api
    account = priced_account(engine, 0, "10000")
    with engine.begin() as conn:
        account_id = conn.execute(select(ACCOUNT.c.id).where(ACCOUNT.c.external_id == account)).scalar_one()
        old = conn.execute(
            CONTRACT.insert()
            .values(
                external_id=f"OLD-{status}",
                account_id=account_id,
                start_date=date(2020, 1, 1),
                end_date=date(2022, 1, 1),
                arr=Decimal("1000000"),
                status=status,
            )
            .returning(CONTRACT.c.id)
        ).scalar_one()
    body = {**offer_body(account, "discount", {"discount_amount": "9000"}), "contract_id": old}
    answer = client.post("/api/offers", headers=bearer(engine, people["ae"]), json=body)
    assert answer.status_code == 422, answer.text
    assert status in problem(answer)
