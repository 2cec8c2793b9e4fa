"""Which reviews are due: product health daily, the other watchtowers weekly, each segment at its own cadence.

An account is due for an agent when that agent's last output for it is at
least the cadence old (or there is none). For agents that follow the segment
cadence, the cadence is the longer of the agent's and the segment's
``review_cadence_days`` (Strategic 7, Growth 14, Core 30 by default). Due
accounts are grouped by the set of agents due for them, so each group is one
cycle run, and only groups with a segment review refresh scorecards. A failed
tick is retried after a delay that grows while it keeps failing, up to a cap
(``next_wait``).

Cadence alone cannot see a scheduled run that died after its reviews committed (killed, or failed in the
scorecards or the plays): its accounts are no longer due, yet their scorecards and plays never ran. Such a
run is still "running" or "failed" in ``agent_run``, and ``unfinished_runs`` hands it back to be run again
with the same scope; the cycle's writes are keyed, so what the first attempt wrote is not written twice.

The week's briefings carry the date of the week's Monday (``briefing_week``), so every tick of a week asks for
the same ones and a scheduler that was down on Monday writes them on its next tick.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import Connection, func, or_, select, update

from agents.configuration import AGENTS, Schedule
from core.models import Account, AgentOutput, AgentRun
from scorecards.segments import SegmentRules


@dataclass(frozen=True)
class DueGroup:
    agents: tuple[str, ...]
    account_ids: list[int]
    #: True when a segment-paced review is due, so the group also refreshes scorecards.
    scorecards: bool


#: How far back an unfinished scheduled run is still run again: the longest default review cadence. Older
#: ones are left as they are; their accounts have fallen due again by cadence since.
RETRY_WINDOW_DAYS = 31


@dataclass(frozen=True)
class UnfinishedRun:
    run_id: int
    as_of: date
    status: str
    agents: tuple[str, ...]
    account_ids: list[int]
    segments: list[str]


def refreshes_scorecards(schedule: Schedule, agents: tuple[str, ...] | list[str]) -> bool:
    """A group with a segment-paced review also refreshes scorecards."""
    return any(schedule.cadence(a).follows_segment_cadence for a in agents)  # type: ignore[arg-type]


def unfinished_runs(conn: Connection, as_of: date) -> list[UnfinishedRun]:
    """Scheduled runs up to ``as_of`` that failed or died midway, oldest first. A run whose process died is
    ``abandoned`` once ``agents.run_records.reap_abandoned`` has seen it gone, which the tick does first; a run
    still ``running`` may belong to a live process and is never run twice."""
    rows = conn.execute(
        select(AgentRun.id, AgentRun.as_of, AgentRun.status, AgentRun.agents, AgentRun.scope)
        .where(
            AgentRun.trigger == "schedule",
            AgentRun.status.in_(("failed", "abandoned")),  # type: ignore[attr-defined]
            AgentRun.as_of <= as_of,
            AgentRun.as_of > as_of - timedelta(days=RETRY_WINDOW_DAYS),
        )
        .order_by(AgentRun.id)
    ).all()
    return [
        UnfinishedRun(
            r.id,
            r.as_of,
            r.status,
            tuple(r.agents),
            list((r.scope or {}).get("account_ids") or []),
            list((r.scope or {}).get("segments") or []),
        )
        for r in rows
    ]


def mark_retried(conn: Connection, run: UnfinishedRun) -> bool:
    """Close an unfinished run before it is run again, saying what it was; False if another process did first."""
    done = conn.execute(
        update(AgentRun)
        .where(AgentRun.id == run.run_id, AgentRun.status == run.status)  # type: ignore[arg-type]
        .values(status="retried")
    )
    return done.rowcount == 1


#: The weekday whose date a week's briefings carry (Monday): written on that day's tick, or the first after it.
BRIEFING_WEEKDAY = 0


def briefing_week(day: date, weekday: int = BRIEFING_WEEKDAY) -> date:
    """The as-of date of the week's briefings on ``day``: the latest ``weekday`` on or before it, so a scheduler
    that was down on Monday writes Monday's briefings on Tuesday, and every tick of the week asks for the same."""
    return day - timedelta(days=(day.weekday() - weekday) % 7)


def cadence_days(schedule: Schedule, agent: str, segment_days: int | None) -> int:
    cadence = schedule.cadence(agent)  # type: ignore[arg-type]
    if cadence.follows_segment_cadence and segment_days is not None:
        return max(cadence.cadence_days, segment_days)
    return cadence.cadence_days


def is_due(last: date | None, as_of: date, days: int) -> bool:
    return last is None or (as_of - last).days >= days


def next_wait(schedule: Schedule, failures_in_row: int) -> int:
    """Seconds until the next tick: the tick interval after a success; after n failures in a row,
    ``retry_seconds * 2**(n-1)``, at most ``retry_max_seconds``."""
    if failures_in_row <= 0:
        return schedule.tick_seconds
    return min(schedule.retry_max_seconds, schedule.retry_seconds * 2 ** min(failures_in_row - 1, 32))


def due_groups(conn: Connection, schedule: Schedule, segments: SegmentRules, as_of: date) -> list[DueGroup]:
    accounts = conn.execute(
        select(Account.id, Account.segment, Account.arr)
        .where(or_(Account.churned_on.is_(None), Account.churned_on > as_of))
        .order_by(Account.id)
    ).all()
    last: dict[tuple[int, str], date] = {
        (r.account_id, r.agent): r.last
        for r in conn.execute(
            select(AgentOutput.account_id, AgentOutput.agent, func.max(AgentOutput.as_of).label("last"))
            .where(AgentOutput.as_of <= as_of)
            .group_by(AgentOutput.account_id, AgentOutput.agent)
        )
    }
    groups: dict[tuple[str, ...], list[int]] = defaultdict(list)
    for account in accounts:
        rule = segments.segment_for(account.arr, 1, account.segment)
        due = tuple(
            agent
            for agent in AGENTS
            if is_due(last.get((account.id, agent)), as_of, cadence_days(schedule, agent, rule.review_cadence_days))
        )
        if due:
            groups[due].append(account.id)
    return [DueGroup(agents, ids, refreshes_scorecards(schedule, agents)) for agents, ids in sorted(groups.items())]
