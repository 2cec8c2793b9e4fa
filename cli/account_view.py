"""One account as a CSM opens it: gathered from the copilot's read tools, so the screen and the copilot's
answers stand on the same rows.

The copilot's tools are bound to a person; the command line reads with the database's own rights, so it
binds them to the local operator (the user from WATCHTOWER_USER when set). The book-level tool, the only one
that reads by person, is not used here.
"""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict
from sqlalchemy import Connection, func, select

from core.identity import User
from core.models import Account, Alert, Contract, PlayStep
from tools.access import AccountRef
from tools.copilot_results import (
    AccountSummary,
    AlertItem,
    OfferItem,
    PlayItem,
    RenewalItem,
    ScorecardResult,
    Stakeholder,
)

#: The latest conversations shown, and how far back they are read.
CONVERSATIONS = 5
CONVERSATION_DAYS = 365
#: The reasons and the contributions (by points lost) shown under the score.
TOP = 5
#: Step statuses still ahead of a run.
AHEAD = ("pending", "waiting")


class _View(BaseModel):
    model_config = ConfigDict(frozen=True)


class AlertLine(_View):
    alert: AlertItem
    #: The raw values the alert's title was computed from (``Alert.facts``).
    numbers: dict[str, float | int | str | bool | None]


class PlayLine(_View):
    play: PlayItem
    next_step: str | None
    next_step_due: date | None


class ContractEnd(_View):
    """The next contract end when no forecast covers it yet (the timeline opens at T-120)."""

    contract: str
    end_date: date
    days_to_go: int
    arr: float | None


class Conversation(_View):
    occurred_on: date
    kind: str
    direction: str | None
    subject: str | None


class AccountView(_View):
    as_of: date
    account: AccountSummary
    segment: str | None
    arr: float | None
    status: str
    scorecard: ScorecardResult
    alerts: list[AlertLine]
    people: list[Stakeholder]
    renewals: list[RenewalItem]
    next_contract_end: ContractEnd | None
    plays: list[PlayLine]
    offers: list[OfferItem]
    conversations: list[Conversation]


class AccountNotFound(LookupError):
    """Neither an external id nor an exact name matched."""


def find_account(conn: Connection, key: str) -> AccountRef:
    """By external id, else by exact name (any case); a name two accounts share must be given as an id."""
    row = conn.execute(select(Account.id, Account.external_id, Account.name).where(Account.external_id == key)).first()
    if row is not None:
        return AccountRef(row.id, row.external_id, row.name)
    named = conn.execute(
        select(Account.id, Account.external_id, Account.name).where(func.lower(Account.name) == key.strip().lower())
    ).all()
    if len(named) == 1:
        return AccountRef(named[0].id, named[0].external_id, named[0].name)
    if named:
        ids = ", ".join(r.external_id for r in named)
        raise AccountNotFound(f"{len(named)} accounts are named {key!r} ({ids}); give the external id")
    raise AccountNotFound(f"no account with external id or name {key!r}")


def account_view(conn: Connection, user: User, ref: AccountRef, as_of: date) -> AccountView:
    from tools.copilot_tools import CopilotTools
    from tools.reads import read_account, read_interactions

    tools = CopilotTools(conn=conn, user=user, account=ref, as_of=as_of)
    profile = read_account(conn, ref.id)
    alerts = tools.open_alerts().alerts
    facts = dict(
        conn.execute(select(Alert.id, Alert.facts).where(Alert.id.in_([int(a.source.id) for a in alerts]))).all()
    )
    renewals = [r for r in tools.renewals().renewals if r.renewal_on >= as_of]
    plays = tools.open_plays().plays
    conversations = sorted(
        read_interactions(conn, ref.id, as_of, days=CONVERSATION_DAYS), key=lambda i: i.occurred_at, reverse=True
    )[:CONVERSATIONS]
    return AccountView(
        as_of=as_of,
        account=AccountSummary(external_id=ref.external_id, name=ref.name, owner_csm=profile.owner_csm),
        segment=profile.segment,
        arr=profile.arr,
        status=profile.status,
        scorecard=tools.scorecard(),
        alerts=[AlertLine(alert=a, numbers=_numbers(facts.get(int(a.source.id)) or {})) for a in alerts],
        people=tools.stakeholders().stakeholders,
        renewals=renewals,
        next_contract_end=None if renewals else _next_end(conn, ref.id, as_of),
        plays=_with_next_steps(conn, plays),
        offers=tools.offers().offers,
        conversations=[
            Conversation(occurred_on=i.occurred_at.date(), kind=i.kind, direction=i.direction, subject=i.subject)
            for i in conversations
        ],
    )


def _numbers(facts: dict) -> dict[str, float | int | str | bool | None]:
    return {k: v for k, v in facts.items() if isinstance(v, float | int | str | bool) or v is None}


def _next_end(conn: Connection, account_id: int, as_of: date) -> ContractEnd | None:
    row = conn.execute(
        select(Contract.external_id, Contract.end_date, Contract.arr)
        .where(Contract.account_id == account_id, Contract.status == "active", Contract.end_date >= as_of)
        .order_by(Contract.end_date)
        .limit(1)
    ).first()
    if row is None:
        return None
    arr = float(row.arr) if row.arr is not None else None
    return ContractEnd(contract=row.external_id, end_date=row.end_date, days_to_go=(row.end_date - as_of).days, arr=arr)


def _with_next_steps(conn: Connection, plays: list[PlayItem]) -> list[PlayLine]:
    """Each open run's next step: the earliest still ahead."""
    run_ids = [int(p.source.id) for p in plays]
    ahead: dict[int, tuple[str, date]] = {}
    for s in conn.execute(
        select(PlayStep.run_id, PlayStep.step, PlayStep.due_on)
        .where(PlayStep.run_id.in_(run_ids), PlayStep.status.in_(AHEAD))
        .order_by(PlayStep.run_id, PlayStep.start_on, PlayStep.id)
    ):
        ahead.setdefault(s.run_id, (s.step, s.due_on))
    lines = []
    for p in plays:
        step = ahead.get(int(p.source.id))
        lines.append(PlayLine(play=p, next_step=step[0] if step else None, next_step_due=step[1] if step else None))
    return lines
