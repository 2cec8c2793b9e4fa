"""Does a play work? Compare its treatment arm with its holdout arm on outcomes the data records.

Outcomes per enrolled account (a run, in either arm):

- **renewal**: of the contracts that ended between enrolment and the report
  date, renewed (a later contract, or marked renewed) or churned;
- **health change**: score ``days`` after enrolment minus the score at
  enrolment, from stored scorecards;
- **expansion**: a contract starting after enrolment with more ARR than the
  one in force at enrolment.

Proportions get a Newcombe (Wilson score) interval for the difference, means a
normal-approximation interval. Below ``min_per_arm`` observations in either
arm the report says the sample is too small instead of implying a result.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta
from statistics import fmean, variance
from typing import Any

from sqlalchemy import Connection, select

from core.models import Account, Contract, PlayRun, Scorecard

Z95 = 1.959964


@dataclass(frozen=True)
class ArmResult:
    n: int
    observed: int
    value: float | None  # a rate (0-1) or a mean
    detail: str


@dataclass(frozen=True)
class Comparison:
    play: str
    metric: str
    treatment: ArmResult
    holdout: ArmResult
    difference: float | None
    low: float | None
    high: float | None
    verdict: str


def wilson(successes: int, n: int) -> tuple[float, float]:
    if n == 0:
        return 0.0, 1.0
    p = successes / n
    denominator = 1 + Z95**2 / n
    centre = (p + Z95**2 / (2 * n)) / denominator
    half = Z95 * math.sqrt(p * (1 - p) / n + Z95**2 / (4 * n * n)) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)


def newcombe(s1: int, n1: int, s2: int, n2: int) -> tuple[float, float, float]:
    """Difference p1 - p2 with Newcombe's hybrid score interval (method 10)."""
    p1, p2 = s1 / n1, s2 / n2
    l1, u1 = wilson(s1, n1)
    l2, u2 = wilson(s2, n2)
    d = p1 - p2
    return d, d - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2), d + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)


def mean_difference(a: list[float], b: list[float]) -> tuple[float, float, float]:
    d = fmean(a) - fmean(b)
    se = math.sqrt((variance(a) if len(a) > 1 else 0.0) / len(a) + (variance(b) if len(b) > 1 else 0.0) / len(b))
    return d, d - Z95 * se, d + Z95 * se


def _verdict(low: float | None, high: float | None, observed: tuple[int, int], minimum: int, unit: str) -> str:
    if min(observed) < minimum:
        return (
            f"sample too small to tell: {observed[0]} treated and {observed[1]} held-out accounts with an "
            f"outcome; at least {minimum} per arm needed"
        )
    assert low is not None and high is not None
    if low > 0:
        return f"treatment higher ({unit}), 95% interval excludes no effect"
    if high < 0:
        return f"treatment lower ({unit}), 95% interval excludes no effect"
    return "no detectable difference: the 95% interval includes zero"


@dataclass
class Enrolment:
    run_id: int
    account_id: int
    arm: str
    started_on: date


def _contracts(conn: Connection, account_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    out: dict[int, list[dict[str, Any]]] = {}
    for r in conn.execute(
        select(Contract.account_id, Contract.start_date, Contract.end_date, Contract.arr, Contract.status)
        .where(Contract.account_id.in_(account_ids))
        .order_by(Contract.account_id, Contract.start_date)
    ).mappings():
        out.setdefault(r["account_id"], []).append(dict(r))
    return out


def _renewal(contracts: list[dict[str, Any]], churned_on: date | None, start: date, as_of: date) -> bool | None:
    """True renewed, False churned, None no renewal decided yet."""
    ended = [c for c in contracts if c["end_date"] is not None and start <= c["end_date"] <= as_of]
    if not ended:
        return None
    first = ended[0]
    if churned_on is not None and churned_on <= as_of and churned_on <= first["end_date"] + timedelta(days=31):
        return False
    later = [c for c in contracts if c["start_date"] > first["start_date"]]
    if later or first["status"] == "renewed":
        return True
    return None


def _expanded(contracts: list[dict[str, Any]], start: date, as_of: date) -> bool:
    before = [c for c in contracts if c["start_date"] <= start]
    base = float(before[-1]["arr"] or 0) if before else 0.0
    return any(start < c["start_date"] <= as_of and float(c["arr"] or 0) > base for c in contracts)


def _score_on(conn: Connection, account_id: int, day: date, window: int = 14) -> float | None:
    return conn.execute(
        select(Scorecard.score)
        .where(
            Scorecard.account_id == account_id, Scorecard.as_of <= day, Scorecard.as_of > day - timedelta(days=window)
        )
        .order_by(Scorecard.as_of.desc())
        .limit(1)
    ).scalar_one_or_none()


def compare_play(
    conn: Connection, play: str, as_of: date, *, health_days: int = 30, min_per_arm: int = 30
) -> list[Comparison]:
    enrolments = [
        Enrolment(r.id, r.account_id, r.arm, r.started_on)
        for r in conn.execute(
            select(PlayRun.id, PlayRun.account_id, PlayRun.arm, PlayRun.started_on).where(
                PlayRun.play == play, PlayRun.started_on <= as_of
            )
        )
    ]
    ids = sorted({e.account_id for e in enrolments})
    contracts = _contracts(conn, ids) if ids else {}
    churned = dict(conn.execute(select(Account.id, Account.churned_on).where(Account.id.in_(ids))).all()) if ids else {}
    arms: dict[str, dict[str, list[Any]]] = {
        arm: {"renewal": [], "health": [], "expansion": [], "n": []} for arm in ("treatment", "holdout")
    }
    for e in enrolments:
        arm = arms[e.arm]
        arm["n"].append(e.run_id)
        renewed = _renewal(contracts.get(e.account_id, []), churned.get(e.account_id), e.started_on, as_of)
        if renewed is not None:
            arm["renewal"].append(renewed)
        if e.started_on + timedelta(days=health_days) <= as_of:
            before = _score_on(conn, e.account_id, e.started_on)
            after = _score_on(conn, e.account_id, e.started_on + timedelta(days=health_days))
            if before is not None and after is not None:
                arm["health"].append(after - before)
        arm["expansion"].append(_expanded(contracts.get(e.account_id, []), e.started_on, as_of))
    t, h = arms["treatment"], arms["holdout"]
    out = []
    for metric, label in (("renewal", "renewal rate"), ("expansion", "expansion rate")):
        a, b = t[metric], h[metric]
        diff = low = high = None
        if a and b:
            diff, low, high = newcombe(sum(a), len(a), sum(b), len(b))
        out.append(
            Comparison(
                play,
                label,
                ArmResult(len(t["n"]), len(a), sum(a) / len(a) if a else None, f"{sum(a)} of {len(a)}"),
                ArmResult(len(h["n"]), len(b), sum(b) / len(b) if b else None, f"{sum(b)} of {len(b)}"),
                diff,
                low,
                high,
                _verdict(low, high, (len(a), len(b)), min_per_arm, "percentage points"),
            )
        )
    a, b = t["health"], h["health"]
    diff = low = high = None
    if a and b:
        diff, low, high = mean_difference(a, b)
    out.append(
        Comparison(
            play,
            f"health change after {health_days} days",
            ArmResult(len(t["n"]), len(a), fmean(a) if a else None, f"{len(a)} scored"),
            ArmResult(len(h["n"]), len(b), fmean(b) if b else None, f"{len(b)} scored"),
            diff,
            low,
            high,
            _verdict(low, high, (len(a), len(b)), min_per_arm, "score points"),
        )
    )
    return out
