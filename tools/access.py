"""Which accounts a person may ask the copilot about, decided from what the database records.

- ``csm``: the accounts they own. An account names its CSM by address (``account.owner_csm``) and a CSM's
  user carries the same address (``app_user.email``), so ownership is that match and nothing else.
- ``cs_manager``, ``cro``, ``admin``: every account; they oversee the whole book.
- ``finance``, ``legal``: the accounts of offers waiting for their decision, i.e. a pending approval with an
  open, unsatisfied group their role may decide (``approvals.views.waiting_for``, the same reading the queue's
  role filter uses). Once the offer is settled the account drops out of reach again.
- ``ae``: accounts record no account executive (there is no AE column and no opportunity table), so an AE's
  reach is the work handed to them: accounts with an open task for the ``ae`` role or assigned to their
  address (the renewal timeline's negotiation step, the expansion plays' hand-offs), and accounts of offers
  they proposed themselves that are still waiting for a decision.

A person who may not reach an account is told exactly what a person asking about a non-existent one is told:
``resolve_account`` returns ``None`` for both, so the copilot is no oracle for which external ids exist.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, or_, select

from approvals.views import waiting_for
from core.identity import User
from core.models import Account, Approval, Offer, Task

ACCOUNT = Account.__table__  # type: ignore[attr-defined]
APPROVAL = Approval.__table__  # type: ignore[attr-defined]
OFFER = Offer.__table__  # type: ignore[attr-defined]
TASK = Task.__table__  # type: ignore[attr-defined]

#: Roles that oversee the whole book.
ALL_ACCOUNTS_ROLES = frozenset({"cs_manager", "cro", "admin"})
#: Roles whose reach is the offers waiting for them.
DECIDING_ROLES = frozenset({"finance", "legal"})


@dataclass(frozen=True)
class AccountRef:
    """The account a conversation is bound to: its id for queries, its external id and name for answers."""

    id: int
    external_id: str
    name: str


def _awaiting_role(conn: Connection, role: str) -> set[int]:
    rows = conn.execute(select(APPROVAL.c.account_id, APPROVAL.c.groups).where(APPROVAL.c.status == "pending")).all()
    return {r.account_id for r in rows if any(role in w["roles"] for w in waiting_for(r.groups or []))}


def _ae_accounts(conn: Connection, user: User) -> set[int]:
    task_match = TASK.c.owner_role == "ae"
    if user.email:
        task_match = or_(task_match, TASK.c.assignee == user.email)
    tasks = conn.execute(select(TASK.c.account_id).where(TASK.c.status == "open", task_match).distinct()).scalars()
    offers = conn.execute(
        select(OFFER.c.account_id).where(OFFER.c.requester == user.username, OFFER.c.status == "proposed").distinct()
    ).scalars()
    return set(tasks) | set(offers)


def reachable_accounts(conn: Connection, user: User) -> list[int] | None:
    """The ids of the accounts ``user`` may reach, in id order; ``None`` means every account."""
    if user.role in ALL_ACCOUNTS_ROLES:
        return None
    if user.role == "csm":
        if not user.email:
            return []
        return list(
            conn.execute(select(ACCOUNT.c.id).where(ACCOUNT.c.owner_csm == user.email).order_by(ACCOUNT.c.id)).scalars()
        )
    if user.role in DECIDING_ROLES:
        return sorted(_awaiting_role(conn, user.role))
    if user.role == "ae":
        return sorted(_ae_accounts(conn, user))
    return []  # a role this module does not know reaches nothing rather than everything


def reachable(conn: Connection, user: User, account_id: int) -> bool:
    """Whether ``user`` may reach the account; ``False`` as well when no such account exists."""
    exists = conn.execute(select(ACCOUNT.c.id).where(ACCOUNT.c.id == account_id)).first() is not None
    if not exists:
        return False
    allowed = reachable_accounts(conn, user)
    return allowed is None or account_id in allowed


def resolve_account(conn: Connection, user: User, external_id: str) -> AccountRef | None:
    """The account ``user`` named, or ``None`` when it does not exist or is out of their reach (the same answer)."""
    row = conn.execute(
        select(ACCOUNT.c.id, ACCOUNT.c.external_id, ACCOUNT.c.name).where(ACCOUNT.c.external_id == external_id)
    ).first()
    if row is None or not reachable(conn, user, row.id):
        return None
    return AccountRef(row.id, row.external_id, row.name)


def reachable_external_ids(conn: Connection, user: User) -> dict[int, str]:
    """Id to external id of every account ``user`` may reach: what a book-level answer may cite."""
    allowed = reachable_accounts(conn, user)
    query = select(ACCOUNT.c.id, ACCOUNT.c.external_id)
    if allowed is not None:
        query = query.where(ACCOUNT.c.id.in_(allowed))
    return {r.id: r.external_id for r in conn.execute(query)}
