"""Everything one account's page shows, read in one place: header, score history, signals with their evidence,
the stakeholder map, the renewal timeline, open plays and tasks, offers with their approval, and conversations.

The page and any later reader (the CLI's one-screen account view, a briefing) get the same typed record. Every
read is as of an explicit date; nothing after it is shown. Who may see the account is decided before this is
called (``tools.access``); here the account id is trusted.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Connection, select

from core.tables import ACCOUNT, APPROVAL, CONTACT, CONTRACT, INTERACTION, OFFER, OUTPUT, RUN, TASK
from playbooks.play_config import Play
from playbooks.timeline import Milestone, renewal_timelines
from scorecards.portfolio import score_history
from scorecards.reasons import describe, label

#: The stakeholder map's columns, in the order they are drawn; a person with none of these roles is "other".
ROLE_ORDER = ("champion", "sponsor", "decision_maker", "user", "detractor", "other")


@dataclass(frozen=True)
class Signal:
    """One signal of the latest scorecard: what it measured, its 0-100 score, its points and the rows behind it."""

    signal: str
    label: str
    value: str
    score: float | None
    weight: float
    points: float
    source: str
    evidence: list[str]


@dataclass(frozen=True)
class Person:
    name: str
    title: str | None
    role: str
    roles: list[str]
    stance: str | None
    left_on: date | None
    departed: bool
    last_engagement: str | None


@dataclass(frozen=True)
class TimelineView:
    contract: str
    renewal_on: date | None
    status: str
    milestones: list[Milestone]


@dataclass(frozen=True)
class AccountView:
    account: dict[str, Any]
    as_of: date
    history: list[dict[str, Any]]
    latest: dict[str, Any] | None
    signals: list[Signal]
    people: list[Person]
    stakeholders_as_of: date | None
    timelines: list[TimelineView]
    plays: list[dict[str, Any]]
    tasks: list[dict[str, Any]]
    offers: list[dict[str, Any]]
    conversations: list[dict[str, Any]]

    @property
    def reasons(self) -> list[dict[str, Any]]:
        return list(self.latest["reasons"] or []) if self.latest else []


def _signals(card: dict[str, Any] | None) -> list[Signal]:
    if card is None:
        return []
    out = [
        Signal(
            c["signal"],
            label(c["source"], c["signal"]),
            describe(c["source"], c["value"]),
            c["score"],
            c["weight"],
            c["points"],
            c["source"],
            list(c.get("evidence") or []),
        )
        for c in card["contributions"] or []
    ]
    return sorted(out, key=lambda s: (s.score if s.score is not None else 101, s.signal))


def _main_role(roles: list[str], stance: str | None) -> str:
    if stance == "detractor":
        return "detractor"
    return next((r for r in ROLE_ORDER if r in roles), "other")


def stakeholder_reads(conn: Connection, account_id: int, as_of: date) -> tuple[Any | None, dict[Any, dict[str, Any]]]:
    """The sentiment watchtower's latest output on or before ``as_of`` (the stored row, or None) and its read of
    each stakeholder by contact id. The account page and the copilot's stakeholder tool both draw the map from
    this one read, so they cannot disagree on who is engaged."""
    output = (
        conn.execute(
            select(OUTPUT)
            .where(OUTPUT.c.account_id == account_id, OUTPUT.c.agent == "sentiment", OUTPUT.c.as_of <= as_of)
            .order_by(OUTPUT.c.as_of.desc())
            .limit(1)
        )
        .mappings()
        .first()
    )
    read = {s.get("contact_id"): s for s in (output["payload"] or {}).get("stakeholders", [])} if output else {}
    return output, read


def stakeholders(conn: Connection, account_id: int, as_of: date) -> tuple[date | None, list[Person]]:
    """Contacts with roles, and the sentiment watchtower's read of each (its latest ``stakeholders`` payload on
    or before ``as_of``): the map's people, with who left and when."""
    output, read = stakeholder_reads(conn, account_id, as_of)
    people = []
    for c in conn.execute(select(CONTACT).where(CONTACT.c.account_id == account_id).order_by(CONTACT.c.id)).mappings():
        seen = read.get(c["id"])
        roles = list(c["roles"] or [])
        if not roles and seen is None:
            continue
        left = c["status"] == "departed" and (c["departed_on"] is None or c["departed_on"] <= as_of)
        stance = seen.get("stance") if seen else None
        people.append(
            Person(
                name=c["name"] or c["external_id"],
                title=c["title"],
                role=_main_role(roles, stance),
                roles=roles,
                stance=stance,
                left_on=c["departed_on"] if left else None,
                departed=left,
                last_engagement=seen.get("last_engagement") if seen else None,
            )
        )
    return (output["as_of"] if output else None), people


def _timelines(
    conn: Connection, account_id: int, as_of: date, play: Play | None, stuck_after_days: int
) -> list[TimelineView]:
    contracts = conn.execute(
        select(CONTRACT.c.id, CONTRACT.c.external_id, CONTRACT.c.end_date)
        .where(CONTRACT.c.account_id == account_id, CONTRACT.c.status == "active")
        .order_by(CONTRACT.c.end_date)
    ).all()
    if play is None or not contracts:
        return []
    found = renewal_timelines(conn, play, [c.id for c in contracts], as_of, stuck_after_days=stuck_after_days)
    return [
        TimelineView(c.external_id, c.end_date, found[c.id].status, found[c.id].milestones)
        for c in contracts
        if found[c.id].run is not None
    ]


def account_view(
    conn: Connection,
    account_id: int,
    *,
    as_of: date,
    renewal_play: Play | None,
    stuck_after_days: int,
    weeks: int = 26,
    conversations: int = 10,
) -> AccountView:
    account = dict(conn.execute(select(ACCOUNT).where(ACCOUNT.c.id == account_id)).mappings().one())
    history = score_history(conn, account_id, as_of=as_of, weeks=weeks)
    latest = history[-1] if history else None
    on, people = stakeholders(conn, account_id, as_of)
    plays = [
        dict(r)
        for r in conn.execute(
            select(RUN.c.id, RUN.c.play, RUN.c.status, RUN.c.started_on, RUN.c.owner, RUN.c.arm, RUN.c.last_advanced_on)
            .where(RUN.c.account_id == account_id, RUN.c.status != "closed", RUN.c.started_on <= as_of)
            .order_by(RUN.c.started_on, RUN.c.id)
        ).mappings()
    ]
    tasks = [
        {**dict(r), "overdue": r["due_on"] < as_of}
        for r in conn.execute(
            select(TASK.c.id, TASK.c.title, TASK.c.owner_role, TASK.c.assignee, TASK.c.due_on, TASK.c.run_id)
            .where(TASK.c.account_id == account_id, TASK.c.status == "open", TASK.c.created_on <= as_of)
            .order_by(TASK.c.due_on, TASK.c.id)
        ).mappings()
    ]
    offers = [
        dict(r)
        for r in conn.execute(
            select(
                OFFER.c.id,
                OFFER.c.kind,
                OFFER.c.terms,
                OFFER.c.arr_impact,
                OFFER.c.status,
                OFFER.c.created_on,
                OFFER.c.requester,
                APPROVAL.c.id.label("approval_id"),
                APPROVAL.c.status.label("approval_status"),
                APPROVAL.c.next_due_at,
            )
            .outerjoin(APPROVAL, APPROVAL.c.offer_id == OFFER.c.id)
            .where(OFFER.c.account_id == account_id, OFFER.c.created_on <= as_of)
            .order_by(OFFER.c.created_on.desc(), OFFER.c.id.desc())
        ).mappings()
    ]
    talks = [
        dict(r)
        for r in conn.execute(
            select(
                INTERACTION.c.id,
                INTERACTION.c.external_id,
                INTERACTION.c.kind,
                INTERACTION.c.occurred_at,
                INTERACTION.c.subject,
                INTERACTION.c.direction,
            )
            .where(
                INTERACTION.c.account_id == account_id,
                INTERACTION.c.occurred_at < datetime.combine(as_of + timedelta(days=1), time(), tzinfo=UTC),
            )
            .order_by(INTERACTION.c.occurred_at.desc(), INTERACTION.c.id.desc())
            .limit(conversations)
        ).mappings()
    ]
    return AccountView(
        account=account,
        as_of=as_of,
        history=history,
        latest=latest,
        signals=_signals(latest),
        people=people,
        stakeholders_as_of=on,
        timelines=_timelines(conn, account_id, as_of, renewal_play, stuck_after_days),
        plays=plays,
        tasks=tasks,
        offers=offers,
        conversations=talks,
    )
