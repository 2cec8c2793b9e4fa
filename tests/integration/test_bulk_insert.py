from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from sqlalchemy import select

from core.bulk import bulk_insert
from core.models import Account, SupportTicket


def test_keys_present_only_in_later_rows_are_kept(engine) -> None:
    rows = [
        {"external_id": "A1", "name": "First", "currency": "USD", "plan_limits": {}, "status": "active"},
        {"external_id": "A2", "name": "Second", "currency": "USD", "plan_limits": {"seats": 5.0}, "status": "churned",
         "churned_on": date(2026, 3, 1), "arr": Decimal("1234.50")},
    ]  # fmt: skip
    with engine.begin() as conn:
        bulk_insert(conn, Account.__table__, rows)
    with engine.connect() as conn:
        got = {r.external_id: r for r in conn.execute(select(Account))}
    assert got["A1"].churned_on is None and got["A1"].arr is None
    assert got["A2"].churned_on == date(2026, 3, 1)
    assert got["A2"].arr == Decimal("1234.50")
    assert got["A2"].plan_limits == {"seats": 5.0}


def test_types_round_trip_like_core_inserts(engine) -> None:
    with engine.begin() as conn:
        bulk_insert(
            conn,
            Account.__table__,
            [{"external_id": "A1", "name": "x", "currency": "USD", "plan_limits": {}, "status": "active"}],
        )
        [account_id] = conn.execute(select(Account.id)).scalars()
        opened = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
        ticket = {"external_id": "T1", "account_id": account_id, "priority": "high", "status": "open"}
        bulk_insert(conn, SupportTicket.__table__, [{**ticket, "opened_at": opened, "escalated": True}])
    with engine.connect() as conn:
        ticket = conn.execute(select(SupportTicket)).one()
    assert ticket.opened_at == opened and ticket.escalated is True
