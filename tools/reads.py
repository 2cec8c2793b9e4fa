"""Read-only service functions over one account's sources, bounded by an as-of date.

Each takes the account id explicitly and filters every query by it, so a
caller bound to one account cannot read another's rows. Nothing dated after
``as_of`` is returned: a backtest sees only what was known then. Rows are
fetched in full (``.all()``) before they are validated: a cursor left half-read
by bad data would keep SQLite's shared lock, and every writer waiting, until it
is garbage-collected.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import Connection, and_, func, or_, select

from core.models import (
    Account,
    Contact,
    Interaction,
    InteractionParticipant,
    Invoice,
    MarketSignal,
    SupportTicket,
    SurveyResponse,
    UsageSnapshot,
)
from tools.records import (
    AccountProfile,
    ContactRecord,
    InteractionRecord,
    InvoiceRecord,
    MarketSignalRecord,
    SurveyRecord,
    TicketRecord,
    UsageRecord,
)


class UnknownAccount(LookupError):
    """The account id does not exist."""


def _end_of(day: date) -> datetime:
    return datetime.combine(day, time.max, tzinfo=UTC)


def _known(day: date | None, as_of: date, *, missing: bool = False) -> bool:
    """Whether a dated fact had happened by ``as_of``; ``missing`` is the answer for an undated one."""
    return missing if day is None else day <= as_of


def read_account(conn: Connection, account_id: int) -> AccountProfile:
    row = conn.execute(select(Account).where(Account.id == account_id)).mappings().first()
    if row is None:
        raise UnknownAccount(f"account {account_id} does not exist")
    return AccountProfile(
        id=row["id"],
        external_id=row["external_id"],
        name=row["name"],
        segment=row["segment"],
        arr=float(row["arr"]) if row["arr"] is not None else None,
        plan=row["plan"],
        plan_limits=row["plan_limits"] or {},
        seats_purchased=row["seats_purchased"],
        owner_csm=row["owner_csm"],
        status=row["status"],
    )


def read_usage(conn: Connection, account_id: int, as_of: date, days: int = 189) -> list[UsageRecord]:
    t = UsageSnapshot
    rows = conn.execute(
        select(t)
        .where(t.account_id == account_id, t.period_start < as_of, t.period_start >= as_of - timedelta(days=days))
        .order_by(t.period_start)
    ).mappings()
    return [
        UsageRecord.model_validate({**r, "features": r["features"] or [], "metrics": r["metrics"] or {}})
        for r in rows.all()
    ]


def read_invoices(conn: Connection, account_id: int, as_of: date, days: int = 365) -> list[InvoiceRecord]:
    t = Invoice
    rows = conn.execute(
        select(t)
        .where(t.account_id == account_id, t.issued_on <= as_of, t.due_on >= as_of - timedelta(days=days))
        .order_by(t.due_on, t.external_id)
    ).mappings()
    # A payment after as_of was not known then.
    return [
        InvoiceRecord.model_validate(
            {**r, "amount": float(r["amount"])}
            if _known(r["paid_on"], as_of)
            else {**r, "amount": float(r["amount"]), "paid_on": None, "status": "open"}
        )
        for r in rows.all()
    ]


def read_tickets(conn: Connection, account_id: int, as_of: date, days: int = 90) -> list[TicketRecord]:
    t = SupportTicket
    rows = conn.execute(
        select(t)
        .where(
            t.account_id == account_id,
            t.opened_at <= _end_of(as_of),
            or_(t.closed_at.is_(None), t.closed_at >= _end_of(as_of - timedelta(days=days))),
        )
        .order_by(t.opened_at)
    ).mappings()
    end = _end_of(as_of)
    return [
        TicketRecord.model_validate(
            r if r["closed_at"] is None or r["closed_at"] <= end else {**r, "closed_at": None, "status": "open"}
        )
        for r in rows.all()
    ]


def read_surveys(conn: Connection, account_id: int, as_of: date, days: int = 365) -> list[SurveyRecord]:
    t = SurveyResponse
    rows = conn.execute(
        select(t)
        .where(t.account_id == account_id, t.responded_on <= as_of, t.responded_on > as_of - timedelta(days=days))
        .order_by(t.responded_on, t.external_id)
    ).mappings()
    return [SurveyRecord.model_validate(r) for r in rows.all()]


def read_contacts(conn: Connection, account_id: int, as_of: date) -> list[ContactRecord]:
    """Every contact of the account; one who left after ``as_of`` is shown as still active then."""
    rows = conn.execute(select(Contact).where(Contact.account_id == account_id).order_by(Contact.id)).mappings()
    out = []
    for r in rows.all():
        left = r["status"] == "departed" and _known(r["departed_on"], as_of, missing=True)
        status = {"status": "departed"} if left else {"status": "active", "departed_on": None}
        out.append(ContactRecord.model_validate({**r, "roles": r["roles"] or [], **status}))
    return out


def read_interactions(conn: Connection, account_id: int, as_of: date, days: int = 365) -> list[InteractionRecord]:
    t = Interaction
    rows = list(
        conn.execute(
            select(t)
            .where(
                t.account_id == account_id,
                t.occurred_at <= _end_of(as_of),
                t.occurred_at > _end_of(as_of - timedelta(days=days)),
            )
            .order_by(t.occurred_at, t.external_id)
        ).mappings()
    )
    people: dict[int, list[int]] = defaultdict(list)
    if rows:
        p = InteractionParticipant
        for r in conn.execute(
            select(p.interaction_id, p.contact_id)
            .where(p.interaction_id.in_([r["id"] for r in rows]))
            .order_by(p.contact_id)
        ):
            people[r.interaction_id].append(r.contact_id)
    return [InteractionRecord.model_validate({**r, "contact_ids": people.get(r["id"], [])}) for r in rows]


def read_market_signals(conn: Connection, account_id: int, as_of: date, days: int = 365) -> list[MarketSignalRecord]:
    """Signals the import tied to this account, plus unmatched ones that name the company exactly."""
    name = select(func.lower(Account.name)).where(Account.id == account_id).scalar_subquery()
    t = MarketSignal
    rows = conn.execute(
        select(t)
        .where(
            or_(
                t.account_id == account_id,
                and_(t.account_id.is_(None), func.lower(t.company_name) == name),
            ),
            t.published_on <= as_of,
            t.published_on > as_of - timedelta(days=days),
        )
        .order_by(t.published_on, t.external_id)
    ).mappings()
    return [
        MarketSignalRecord.model_validate({**r, "matched_by_import": r["account_id"] is not None}) for r in rows.all()
    ]
