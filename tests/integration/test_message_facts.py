"""The values behind the templates, computed from a hand-built account and checked against hand arithmetic.

One account with known rows (a contract, a champion, eight weeks of usage) goes through the watchtowers
and the scorecards as the weekly cycle runs them; the record a play's email is written from must hold the
values worked out by hand below, as raw values, and print them the way the templates show them.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import insert, select
from sqlalchemy.engine import Engine

from actions.drafting import message_facts, render
from core.faithfulness import check
from core.models import Account, Alert, Contact, Contract, UsageSnapshot
from playbooks.facts import load_facts
from prompts.templates import load_template
from tests.integration.watchtower_support import run

AS_OF = date(2026, 11, 23)  # a Monday: the eight weeks before it are complete
END = date(2027, 3, 14)


def _seed(engine: Engine) -> int:
    with engine.begin() as conn:
        account_id = conn.execute(
            insert(Account.__table__)  # type: ignore[attr-defined]
            .values(
                external_id="ACC-T1",
                name="Maple Robotics 4",
                arr=Decimal("11595.61"),
                seats_purchased=20,
                owner_csm="csm04@watchtower.example",
                customer_since=date(2024, 3, 15),
                segment="Growth",
            )
            .returning(Account.__table__.c.id)  # type: ignore[attr-defined]
        ).scalar_one()
        conn.execute(
            insert(Contract.__table__),  # type: ignore[attr-defined]
            [
                dict(external_id="ACC-T1-C1", account_id=account_id, start_date=date(2025, 3, 15),
                     end_date=date(2026, 3, 14), arr=Decimal("10000.00"), seats=15, status="renewed"),
                dict(external_id="ACC-T1-C2", account_id=account_id, start_date=date(2026, 3, 15), end_date=END,
                     arr=Decimal("11595.61"), seats=20, status="active"),
            ],
        )  # fmt: skip
        conn.execute(
            insert(Contact.__table__).values(  # type: ignore[attr-defined]
                external_id="ACC-T1-P1",
                account_id=account_id,
                name="Julia Chen",
                email="julia@maple.example",
                roles=["champion"],
            )
        )
        # Four weeks at 50 active users, then four at 18; 17 of the 20 seats in use in the last week.
        weeks = [(AS_OF - timedelta(weeks=8 - i), 50 if i < 4 else 18) for i in range(8)]
        conn.execute(
            insert(UsageSnapshot.__table__),  # type: ignore[attr-defined]
            [
                dict(account_id=account_id, period_start=start, period="week", logins=active * 10,
                     active_users=active, seats_used=17 if n == 7 else 16, features=["a", "b"])
                for n, (start, active) in enumerate(weeks)
            ],
        )  # fmt: skip
    return account_id


def test_the_record_holds_the_values_worked_out_by_hand(engine: Engine, database_url: str) -> None:
    account_id = _seed(engine)
    run(engine, database_url, AS_OF, plays=False)
    with engine.connect() as conn:
        account = load_facts(conn, [account_id], AS_OF)[account_id]
        title, alert_facts = conn.execute(
            select(Alert.title, Alert.facts).where(Alert.account_id == account_id, Alert.type == "usage_decline")
        ).one()
    contract = next(c for c in account.contracts if c.external_id == "ACC-T1-C2")
    champion = account.contacts[0]
    record = message_facts(
        account, account.for_contract(contract, AS_OF), play_name="Usage decline", recipient=champion
    )

    # 23 Nov 2026 to 14 Mar 2027: 7 days left in November, then 31 + 31 + 28 + 14.
    assert record.days_to_renewal == 7 + 31 + 31 + 28 + 14 == 111
    assert record.renewal_on == END
    assert record.usage_before == 50 and record.usage_now == 18
    assert record.usage_change == (18 - 50) / 50 == -0.64
    assert record.seat_usage == 17 / 20 == 0.85
    assert record.arr == 11595.61
    assert record.seats_purchased == 20
    assert (record.contact_name, record.contact_first_name, record.csm_name) == ("Julia Chen", "Julia", "Csm04")

    # The account's own facts (what a play not anchored on one contract is written from) count the same days.
    plain = message_facts(account, account.values, play_name="Usage decline", recipient=champion)
    assert (plain.days_to_renewal, plain.renewal_on, plain.arr) == (111, END, record.arr)

    printed = render(record)
    assert (printed["usage_change_pct"], printed["seat_usage_pct"]) == ("64%", "85%")
    assert (printed["arr"], printed["renewal_date"], printed["days_to_renewal"]) == ("$11,596", "14 March 2027", "111")

    # The alert title was printed from its own record, and traces to it.
    assert alert_facts == {"metric": "active_users", "change": -0.64, "window_days": 28}
    assert title == "Active users down 64% on the 28 days before" and check(title, alert_facts).faithful

    subject, body = load_template("plan_limit_options").render(printed)
    assert "using 85% of the 20 seats" in body
    assert check(f"{subject}\n{body}", record).faithful
