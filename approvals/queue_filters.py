"""How a CS manager narrows and orders the queue: by kind, account, requester and overdue SLA; by due, age or money.

The filters are SQL so the database pages what they leave; ordering by the
concession's amount reads the priced concession stored as JSON, which the two
backends index differently, so that order is applied to the rows in Python.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Literal

from sqlalchemy import func, or_

from approvals.queue import ACCOUNT, APPROVAL, OFFER

QueueSort = Literal["due", "age", "concession"]
SORTS: tuple[str, ...] = ("due", "age", "concession")


@dataclass(frozen=True)
class QueueFilter:
    """Empty fields filter nothing; ``overdue`` keeps approvals with a group past its SLA at ``now``."""

    kind: str | None = None
    account: str | None = None
    requester: str | None = None
    overdue: bool = False
    sort: QueueSort = "due"

    @property
    def narrows(self) -> bool:
        return bool(self.kind or self.account or self.requester or self.overdue)


def filtered(query: Any, wanted: QueueFilter, now: datetime | None) -> Any:
    """``query`` (over approval, offer and account) keeping only what ``wanted`` asks for; ``now`` is when an
    SLA counts as overdue, needed only by that filter."""
    if wanted.kind:
        query = query.where(OFFER.c.kind == wanted.kind)
    if wanted.requester:
        query = query.where(or_(OFFER.c.requester == wanted.requester, OFFER.c.launched_by == wanted.requester))
    if wanted.account:
        literal = wanted.account.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        needle = f"%{literal}%"
        query = query.where(
            or_(ACCOUNT.c.external_id == wanted.account, func.lower(ACCOUNT.c.name).like(needle, escape="\\"))
        )
    if wanted.overdue:
        if now is None:
            raise ValueError("the overdue filter needs the time the SLAs are measured at")
        query = query.where(APPROVAL.c.status == "pending", APPROVAL.c.next_due_at < now)
    return query


def ordered(query: Any, sort: QueueSort) -> Any:
    """The database order: oldest first for ``age``, soonest due first otherwise (``concession`` re-sorts)."""
    if sort == "age":
        return query.order_by(APPROVAL.c.created_at, APPROVAL.c.id)
    return query.order_by(APPROVAL.c.next_due_at.is_(None), APPROVAL.c.next_due_at, APPROVAL.c.id)


def concession_amount(row: dict[str, Any]) -> Decimal:
    """The priced concession's amount, 0 when the offer gives no money away or could not be priced."""
    try:
        return Decimal(str((row.get("concession") or {}).get("amount") or 0))
    except InvalidOperation:
        return Decimal(0)


def by_concession(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Largest concession first; ties keep their due order."""
    return sorted(rows, key=lambda r: -concession_amount(r))
