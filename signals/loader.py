"""Read the source rows the signals need, for a chunk of accounts, in one query per table.

Accounts are processed in chunks of consecutive ids so memory stays flat at
100k accounts; every query is bounded by the as-of date (nothing from the
future leaks into a backtest) and by the longest look-back a signal needs.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Connection, Select, and_, or_, select

from core.models import (
    Account,
    AccountMetric,
    Contact,
    Contract,
    Interaction,
    InteractionParticipant,
    Invoice,
    SupportTicket,
    SurveyResponse,
    UsageSnapshot,
)
from signals.data import AccountData, Person, Survey, Text, Ticket, Touch, Usage
from signals.data import Invoice as InvoiceRow


@dataclass(frozen=True)
class Window:
    """How far back each source is read, relative to the earliest date scored."""

    usage_days: int = 2 * 91 + 7
    ticket_days: int = 90
    survey_days: int = 365
    invoice_days: int = 365
    touch_days: int = 90
    metric_days: int = 90


def account_id_chunks(
    conn: Connection, size: int, account_ids: list[int] | None = None, *, active_on: date | None = None
) -> Iterator[list[int]]:
    """Account ids in chunks; with ``active_on``, leave out accounts that churned on or before that day."""
    if account_ids is None:
        query = select(Account.id).order_by(Account.id)
        if active_on is not None:
            query = query.where(or_(Account.churned_on.is_(None), Account.churned_on > active_on))
        account_ids = list(conn.execute(query).scalars())
    for start in range(0, len(account_ids), size):
        yield account_ids[start : start + size]


def _eod(day: date) -> datetime:
    return datetime.combine(day, time.max, tzinfo=UTC)


def chunk_statements(lo: int, hi: int, *, as_of: date, earliest: date, window: Window = Window()) -> dict[str, Select]:
    """The SELECTs that read one chunk of accounts (ids lo..hi); the benchmark's bare scan runs the same ones."""

    def in_chunk(column: Any) -> ColumnElement[bool]:
        return and_(column >= lo, column <= hi)

    ticket_start = _eod(earliest - timedelta(days=window.ticket_days))
    invoice_start = earliest - timedelta(days=window.invoice_days)
    touch_start = _eod(earliest - timedelta(days=window.touch_days))
    touch_window = and_(
        in_chunk(Interaction.account_id), Interaction.occurred_at > touch_start, Interaction.occurred_at <= _eod(as_of)
    )
    return {
        "account": select(
            Account.id, Account.external_id, Account.arr, Account.seats_purchased, Account.plan_limits, Account.segment
        ).where(in_chunk(Account.id)),
        "contract": select(Contract.account_id, Contract.start_date, Contract.products).where(
            in_chunk(Contract.account_id), Contract.start_date <= as_of
        ),
        "usage": select(
            UsageSnapshot.account_id, UsageSnapshot.period_start, UsageSnapshot.period, UsageSnapshot.logins,
            UsageSnapshot.active_users, UsageSnapshot.seats_used, UsageSnapshot.features, UsageSnapshot.api_calls,
            UsageSnapshot.storage_gb, UsageSnapshot.metrics,
        )
        .where(
            in_chunk(UsageSnapshot.account_id),
            UsageSnapshot.period_start >= earliest - timedelta(days=window.usage_days),
            UsageSnapshot.period_start <= as_of,
        )
        .order_by(UsageSnapshot.account_id, UsageSnapshot.period_start),
        "ticket": select(
            SupportTicket.account_id, SupportTicket.external_id, SupportTicket.opened_at, SupportTicket.closed_at,
            SupportTicket.priority, SupportTicket.status, SupportTicket.subject,
        ).where(
            in_chunk(SupportTicket.account_id),
            SupportTicket.opened_at <= _eod(as_of),
            or_(
                SupportTicket.opened_at > ticket_start,
                SupportTicket.closed_at.is_(None),
                SupportTicket.closed_at > ticket_start,
            ),
        ),
        "survey": select(
            SurveyResponse.account_id, SurveyResponse.external_id, SurveyResponse.contact_id, SurveyResponse.survey,
            SurveyResponse.score, SurveyResponse.responded_on, SurveyResponse.verbatim,
        ).where(
            in_chunk(SurveyResponse.account_id),
            SurveyResponse.responded_on > earliest - timedelta(days=window.survey_days),
            SurveyResponse.responded_on <= as_of,
        ),
        "invoice": select(
            Invoice.account_id, Invoice.external_id, Invoice.issued_on, Invoice.due_on, Invoice.paid_on, Invoice.status
        ).where(
            in_chunk(Invoice.account_id),
            Invoice.issued_on <= as_of,
            or_(Invoice.due_on > invoice_start, Invoice.paid_on.is_(None), Invoice.paid_on > invoice_start),
        ),
        "contact": select(
            Contact.account_id, Contact.id, Contact.external_id, Contact.roles, Contact.status, Contact.departed_on,
            Contact.name,
        ).where(in_chunk(Contact.account_id)),
        "interaction": select(
            Interaction.account_id, Interaction.id, Interaction.external_id, Interaction.occurred_at, Interaction.kind
        ).where(touch_window),
        "text": select(
            Interaction.account_id, Interaction.external_id, Interaction.occurred_at, Interaction.kind,
            Interaction.direction, Interaction.body,
        ).where(touch_window, Interaction.body.is_not(None)),
        "participant": select(InteractionParticipant.interaction_id, InteractionParticipant.contact_id)
        .join(Interaction, Interaction.id == InteractionParticipant.interaction_id)
        .where(touch_window),
        "metric": select(AccountMetric.account_id, AccountMetric.name, AccountMetric.date, AccountMetric.value)
        .where(
            in_chunk(AccountMetric.account_id),
            AccountMetric.date > earliest - timedelta(days=window.metric_days),
            AccountMetric.date <= as_of,
        )
        .order_by(AccountMetric.account_id, AccountMetric.name, AccountMetric.date),
    }  # fmt: skip


def load_chunk(
    conn: Connection, ids: list[int], *, as_of: date, earliest: date, window: Window = Window()
) -> dict[int, AccountData]:
    """AccountData for ``ids``, with rows dated up to ``as_of`` and far enough before ``earliest``."""
    q = chunk_statements(ids[0], ids[-1], as_of=as_of, earliest=earliest, window=window)
    wanted = set(ids)
    accounts: dict[int, AccountData] = {}
    for r in conn.execute(q["account"]):
        if r.id in wanted:
            accounts[r.id] = AccountData(
                r.id, r.external_id, r.arr, r.seats_purchased, r.plan_limits or {}, r.segment, 1
            )

    current: dict[int, tuple[date, int]] = {}
    for r in conn.execute(q["contract"]):
        if r.account_id in accounts and (r.account_id not in current or r.start_date > current[r.account_id][0]):
            current[r.account_id] = (r.start_date, max(1, len(r.products or [])))
    for account_id, (_, products) in current.items():
        accounts[account_id].products = products

    for r in conn.execute(q["usage"]):
        data = accounts.get(r.account_id)
        if data is not None:
            data.usage.append(
                Usage(
                    r.period_start,
                    r.period,
                    r.logins,
                    r.active_users,
                    r.seats_used,
                    tuple(r.features or ()),
                    r.api_calls,
                    r.storage_gb,
                    r.metrics or {},
                )
            )
    for r in conn.execute(q["ticket"]):
        if r.account_id in accounts:
            accounts[r.account_id].tickets.append(Ticket(r.external_id, r.opened_at, r.closed_at, r.priority, r.status))
            if r.subject:
                accounts[r.account_id].texts.append(
                    Text("support_ticket", r.external_id, r.opened_at.date(), "ticket", None, r.subject)
                )
    for r in conn.execute(q["survey"]):
        if r.account_id in accounts:
            accounts[r.account_id].surveys.append(
                Survey(r.external_id, r.contact_id, r.survey, r.score, r.responded_on)
            )
            if r.verbatim:
                accounts[r.account_id].texts.append(
                    Text("survey_response", r.external_id, r.responded_on, "survey", None, r.verbatim)
                )
    for r in conn.execute(q["invoice"]):
        if r.account_id in accounts:
            accounts[r.account_id].invoices.append(
                InvoiceRow(r.external_id, r.issued_on, r.due_on, r.paid_on, r.status)
            )
    for r in conn.execute(q["contact"]):
        if r.account_id in accounts:
            accounts[r.account_id].contacts.append(
                Person(r.id, r.external_id, tuple(r.roles or ()), r.status, r.departed_on, r.name)
            )

    participants: dict[int, list[int]] = defaultdict(list)
    for r in conn.execute(q["participant"]):
        participants[r.interaction_id].append(r.contact_id)
    for r in conn.execute(q["interaction"]):
        if r.account_id in accounts:
            contacts = tuple(sorted(participants.get(r.id, ())))
            accounts[r.account_id].touches.append(Touch(r.external_id, r.occurred_at, r.kind, contacts))
    for r in conn.execute(q["text"]):
        if r.account_id in accounts:
            accounts[r.account_id].texts.append(
                Text("interaction", r.external_id, r.occurred_at.date(), r.kind, r.direction, r.body)
            )
    for r in conn.execute(q["metric"]):
        if r.account_id in accounts:
            accounts[r.account_id].metrics.setdefault(r.name, []).append((r.date, r.value))
    return accounts
