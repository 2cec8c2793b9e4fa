"""What a decider reads beside an offer: how the account pays, how its renewal is forecast, what it got before.

Finance asked for these on the approval page: a discount to an account that
pays 40 days late, or that got 15% last year, is a different decision. Every
figure is computed here from the rows, against an explicit ``as_of`` date.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, select

from approvals.queue import ACCOUNT, APPROVAL, CONTRACT, OFFER
from approvals.turns import overdue_hours, turn_of
from core.identity import User
from core.models import Invoice, RenewalForecast

INVOICE = Invoice.__table__  # type: ignore[attr-defined]
FORECAST = RenewalForecast.__table__  # type: ignore[attr-defined]
#: How many invoices and earlier offers the page lists: enough for a year of monthly billing.
RECENT = 12


@dataclass(frozen=True)
class PaymentLine:
    """One invoice as a decider reads it: when it fell due, when (if) it was paid, and what is still owed."""

    external_id: str
    issued_on: date
    due_on: date
    paid_on: date | None
    amount: Decimal
    currency: str
    days_late: int
    open_balance: Decimal


def days_late(due_on: date, paid_on: date | None, as_of: date) -> int:
    """Days past due when paid, or so far when still unpaid on ``as_of``; never negative (early is on time)."""
    settled = paid_on if paid_on is not None and paid_on <= as_of else as_of
    return max((settled - due_on).days, 0)


def open_balance(amount: Decimal, amount_paid: Decimal | None, paid_on: date | None, as_of: date) -> Decimal:
    """What is still owed on ``as_of``: nothing once paid in full, else the amount less what was paid."""
    if paid_on is not None and paid_on <= as_of and amount_paid is None:
        return Decimal("0")
    return max(amount - (amount_paid or Decimal("0")), Decimal("0"))


def payment_history(conn: Connection, account_id: int, as_of: date, *, limit: int = RECENT) -> list[PaymentLine]:
    """The account's most recent invoices issued by ``as_of``, newest first."""
    rows = conn.execute(
        select(INVOICE)
        .where(INVOICE.c.account_id == account_id, INVOICE.c.issued_on <= as_of)
        .order_by(INVOICE.c.issued_on.desc(), INVOICE.c.id.desc())
        .limit(limit)
    ).mappings()
    return [
        PaymentLine(
            external_id=r["external_id"],
            issued_on=r["issued_on"],
            due_on=r["due_on"],
            paid_on=r["paid_on"] if r["paid_on"] and r["paid_on"] <= as_of else None,
            amount=Decimal(r["amount"]),
            currency=r["currency"],
            days_late=days_late(r["due_on"], r["paid_on"], as_of),
            open_balance=open_balance(Decimal(r["amount"]), r["amount_paid"], r["paid_on"], as_of),
        )
        for r in rows
    ]


def renewal_forecast(conn: Connection, contract_id: int | None, as_of: date) -> dict[str, Any] | None:
    """The latest stored forecast of this contract's renewal on or before ``as_of`` (None: never forecast)."""
    if contract_id is None:
        return None
    row = (
        conn.execute(
            select(FORECAST.c.category, FORECAST.c.probability, FORECAST.c.as_of, FORECAST.c.csm_category)
            .where(FORECAST.c.contract_id == contract_id, FORECAST.c.as_of <= as_of)
            .order_by(FORECAST.c.as_of.desc())
            .limit(1)
        )
        .mappings()
        .first()
    )
    return dict(row) if row else None


def earlier_concessions(
    conn: Connection, account_id: int, offer_id: int, *, limit: int = RECENT
) -> list[dict[str, Any]]:
    """The account's other offers before this one, newest first, with their terms, cost and how they ended."""
    rows = conn.execute(
        select(
            OFFER.c.id,
            OFFER.c.kind,
            OFFER.c.terms,
            OFFER.c.concession,
            OFFER.c.status,
            OFFER.c.created_on,
            OFFER.c.settled_at,
            APPROVAL.c.id.label("approval_id"),
            APPROVAL.c.settled_by,
            APPROVAL.c.reason,
        )
        .outerjoin(APPROVAL, APPROVAL.c.offer_id == OFFER.c.id)
        .where(OFFER.c.account_id == account_id, OFFER.c.id < offer_id)
        .order_by(OFFER.c.id.desc())
        .limit(limit)
    ).mappings()
    return [dict(r) for r in rows]


def _renewal_contract(conn: Connection, account_id: int) -> int | None:
    return conn.execute(
        select(CONTRACT.c.id)
        .where(CONTRACT.c.account_id == account_id, CONTRACT.c.status == "active")
        .order_by(CONTRACT.c.end_date)
        .limit(1)
    ).scalar()


def decider_view(conn: Connection, detail: dict[str, Any], user: User, now: datetime) -> dict[str, Any]:
    """Everything the approval page adds to ``views.approval_detail`` for the person reading it at ``now``."""
    account_id = detail["account"]["id"]
    as_of = now.date()
    currency = conn.execute(select(ACCOUNT.c.currency).where(ACCOUNT.c.id == account_id)).scalar() or "USD"
    approved_by = [
        d["by"] for d in detail["decisions"] if d["revision"] == detail["revision"] and d["decision"] != "reject"
    ]
    turn = turn_of(
        status=detail["status"],
        waiting=detail["waiting_for"],
        requester=detail["requester"],
        approved_by=approved_by,
        username=user.username,
        role=user.role,
    )
    waiting = [{**w, "overdue_hours": overdue_hours(w["due_at"], now)} for w in detail["waiting_for"]]
    return {
        "currency": currency,
        "turn": turn,
        "waiting": waiting,
        "payments": payment_history(conn, account_id, as_of),
        "forecast": renewal_forecast(conn, detail.get("contract_id") or _renewal_contract(conn, account_id), as_of),
        "earlier": earlier_concessions(conn, account_id, detail["offer_id"]),
    }
