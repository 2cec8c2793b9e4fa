"""Whose turn an approval is, and how late it is: what decides whether a page offers a Decide form.

The decision service refuses anyone out of turn; showing its form only to the
people it would accept spares a finance approver a form that can only fail,
and tells everyone else who the approval waits for instead.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class Turn:
    """``can_decide`` now, or ``why_not`` in words the page shows instead of the form."""

    can_decide: bool
    why_not: str | None = None


def turn_of(
    *,
    status: str,
    waiting: Iterable[Mapping[str, Any]],
    requester: Mapping[str, Any],
    approved_by: Iterable[str],
    username: str,
    role: str,
) -> Turn:
    """The same checks as ``approvals.decisions.decide``, in its order, without touching the database.

    ``waiting`` are the open groups (``views.waiting_for``); ``approved_by`` who approved the terms as they
    stand (a person counts once per offer).
    """
    groups = list(waiting)
    who = "; ".join(f"{g['group']} ({', '.join(g['roles'])})" for g in groups) or "nobody"
    if status != "pending":
        return Turn(False, f"already {status}")
    if requester.get("kind") == "person" and requester.get("name") == username:
        return Turn(False, f"you proposed this offer; it waits for {who}")
    if requester.get("launched_by") == username:
        return Turn(False, f"you launched the run that proposed this offer; it waits for {who}")
    if username in set(approved_by):
        return Turn(False, f"you already approved; it waits for {who}")
    if not any(role in g["roles"] for g in groups):
        return Turn(False, f"it waits for {who}")
    return Turn(True)


def overdue_hours(due_at: str | datetime | None, now: datetime) -> int | None:
    """Whole hours past the SLA's due time (None: not due yet or no SLA), to say how late, not just that."""
    if not due_at:
        return None
    due = due_at if isinstance(due_at, datetime) else datetime.fromisoformat(due_at)
    if due.tzinfo is None and now.tzinfo is not None:
        due = due.replace(tzinfo=now.tzinfo)
    if due >= now:
        return None
    return int((now - due).total_seconds() // 3600)
