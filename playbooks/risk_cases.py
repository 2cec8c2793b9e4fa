"""Risk cases: the account-level record churn-prevention plays act on.

A case moves at_risk -> plan_in_place -> saving and ends recovered or lost.
Stages only move forward; each stage's entry and exit dates are kept, so time
in stage and time to resolve are measured, not estimated. A case ends when a
play run on it closes as recovered or lost, or when the playbook's case rules
say so (health back, or the customer gone).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from statistics import median
from typing import Any

from sqlalchemy import Connection, insert, select, update

from core.models import Account, PlayRun, RiskCase, RiskCaseStage
from core.models.plays import OPEN_RUN_STATUSES

CASE = RiskCase.__table__  # type: ignore[attr-defined]
STAGE = RiskCaseStage.__table__  # type: ignore[attr-defined]
STAGES = ("at_risk", "plan_in_place", "saving", "recovered", "lost")
_ORDER = {name: n for n, name in enumerate(STAGES)}


def open_or_attach(conn: Connection, account_id: int, as_of: date, reason: dict[str, Any], *, by: str) -> int:
    """The account's open case, with this reason added; or a new case at ``at_risk``."""
    row = conn.execute(
        select(CASE.c.id, CASE.c.reasons).where(CASE.c.account_id == account_id, CASE.c.closed_on.is_(None))
    ).first()
    if row is not None:
        if reason not in row.reasons:
            conn.execute(update(CASE).where(CASE.c.id == row.id).values(reasons=[*row.reasons, reason]))
        return row.id
    case_id = conn.execute(
        insert(CASE)
        .values(account_id=account_id, stage="at_risk", stage_since=as_of, opened_on=as_of, reasons=[reason])
        .returning(CASE.c.id)
    ).scalar_one()
    conn.execute(insert(STAGE).values(case_id=case_id, stage="at_risk", entered_on=as_of, actor=by))
    return case_id


def move(conn: Connection, case_id: int, stage: str, as_of: date, *, by: str) -> bool:
    """Move the case forward to ``stage`` (never back); True when it moved."""
    row = conn.execute(select(CASE.c.stage, CASE.c.closed_on).where(CASE.c.id == case_id)).one()
    if row.closed_on is not None or _ORDER[stage] <= _ORDER[row.stage]:
        return False
    conn.execute(update(STAGE).where(STAGE.c.case_id == case_id, STAGE.c.left_on.is_(None)).values(left_on=as_of))
    conn.execute(insert(STAGE).values(case_id=case_id, stage=stage, entered_on=as_of, actor=by))
    values: dict[str, Any] = {"stage": stage, "stage_since": as_of}
    if stage in ("recovered", "lost"):
        values.update(closed_on=as_of, outcome=stage)
    conn.execute(update(CASE).where(CASE.c.id == case_id).values(**values))
    return True


def other_open_runs(conn: Connection, case_id: int, *, but: int | None = None) -> int:
    """Open runs working on the case, leaving out run ``but`` (the one closing now)."""
    query = select(PlayRun.id).where(PlayRun.risk_case_id == case_id, PlayRun.status.in_(OPEN_RUN_STATUSES))
    if but is not None:
        query = query.where(PlayRun.id != but)
    return len(conn.execute(query).all())


def open_cases(conn: Connection, account_ids: list[int]) -> dict[int, int]:
    """Open case id by account."""
    rows = conn.execute(
        select(CASE.c.account_id, CASE.c.id).where(CASE.c.account_id.in_(account_ids), CASE.c.closed_on.is_(None))
    )
    return {r.account_id: r.id for r in rows}


@dataclass(frozen=True)
class CaseStats:
    open_by_stage: dict[str, int]
    #: (account external id, stage, days in stage, days open) for open cases, longest in stage first.
    open_cases: list[tuple[str, str, int, int]]
    resolved: dict[str, int]
    median_days_to_resolve: dict[str, float]
    mean_days_to_resolve: dict[str, float]
    median_days_in_stage: dict[str, float]


def case_stats(conn: Connection, as_of: date) -> CaseStats:
    """Time in stage and time to resolve, measured from the stage history up to ``as_of``."""
    rows = conn.execute(
        select(CASE, Account.external_id)
        .join(Account, Account.id == CASE.c.account_id)
        .where(CASE.c.opened_on <= as_of)
    ).mappings()
    by_stage: dict[str, int] = {}
    open_list: list[tuple[str, str, int, int]] = []
    durations: dict[str, list[int]] = {}
    for r in rows:
        closed = r["closed_on"] is not None and r["closed_on"] <= as_of
        if closed:
            durations.setdefault(r["outcome"], []).append((r["closed_on"] - r["opened_on"]).days)
        else:
            by_stage[r["stage"]] = by_stage.get(r["stage"], 0) + 1
            open_list.append(
                (r["external_id"], r["stage"], (as_of - r["stage_since"]).days, (as_of - r["opened_on"]).days)
            )
    in_stage: dict[str, list[int]] = {}
    for s in conn.execute(select(STAGE).where(STAGE.c.entered_on <= as_of)).mappings():
        end = s["left_on"] if s["left_on"] is not None and s["left_on"] <= as_of else as_of
        if s["stage"] not in ("recovered", "lost"):
            in_stage.setdefault(s["stage"], []).append((end - s["entered_on"]).days)
    open_list.sort(key=lambda c: (-c[2], c[0]))
    return CaseStats(
        open_by_stage=by_stage,
        open_cases=open_list,
        resolved={k: len(v) for k, v in durations.items()},
        median_days_to_resolve={k: float(median(v)) for k, v in durations.items()},
        mean_days_to_resolve={k: sum(v) / len(v) for k, v in durations.items()},
        median_days_in_stage={k: float(median(v)) for k, v in in_stage.items()},
    )
