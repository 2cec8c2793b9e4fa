"""Replay the renewal forecast at fixed points before each past renewal, from the data as it was then.

For every contract that ended in a period (renewed, churned or cancelled) and for each checkpoint (T-120,
T-90, T-30 by default), the facts the forecast rules read are rebuilt from rows dated on or before that day:
the health score computed in memory from the signals, days since the customer's last call, meeting, QBR or
inbound email, whether an active champion was on record, alerts that were open that day (by their opened and
resolved dates), and the renewal timeline's milestones as they stood. Nothing stored later leaks in; a fact
with no history that day (an agent measure, an alert raised only after it) is simply absent, as it would have
been. The first rule that holds gives the category and its probability, exactly as the weekly run does.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, or_, select
from sqlalchemy.engine import Engine

from core.models import Account, Alert, Contract, Interaction, PlayRun
from playbooks.facts import RESPONSE_KINDS
from playbooks.forecast import ForecastConfig, categorise, contract_facts
from playbooks.play_config import Play
from playbooks.timeline import Milestone, renewal_timelines, worst
from scorecards.health_model import ResolvedModel
from scorecards.scoring import score_account
from scorecards.weekly import ScoringConfig, signal_values
from signals.data import AccountData
from signals.loader import load_chunk

CHECKPOINTS = (120, 90, 30)
CHURNED = ("churned", "cancelled")


@dataclass(frozen=True)
class ReplayedForecast:
    """What the forecast said about one renewal at one checkpoint, and what happened."""

    contract_id: int
    account_id: int
    segment: str | None
    end_date: date
    days_before: int
    category: str
    probability: float
    renewed: bool
    arr: Decimal
    #: The facts the rules read that day (band, days since contact ...), for calibration of thresholds.
    facts: dict[str, Any]


@dataclass(frozen=True)
class _Renewal:
    contract_id: int
    account_id: int
    end_date: date
    arr: Decimal
    renewed: bool


def _renewals(conn: Connection, start: date, end: date) -> list[_Renewal]:
    rows = conn.execute(
        select(Contract.id, Contract.account_id, Contract.end_date, Contract.arr, Contract.status)
        .where(Contract.end_date >= start, Contract.end_date <= end, Contract.status.in_(("renewed", *CHURNED)))
        .order_by(Contract.account_id, Contract.end_date, Contract.id)
    )
    return [_Renewal(r.id, r.account_id, r.end_date, r.arr or Decimal("0"), r.status == "renewed") for r in rows]


def _responses(conn: Connection, ids: list[int], until: date) -> dict[int, list[date]]:
    """Each account's customer replies up to ``until``, sorted, as the facts define a reply."""
    found: dict[int, list[date]] = defaultdict(list)
    for account_id, when in conn.execute(
        select(Interaction.account_id, Interaction.occurred_at).where(
            Interaction.account_id.in_(ids),
            Interaction.occurred_at <= datetime.combine(until, time.max, tzinfo=UTC),
            or_(Interaction.direction == "inbound", Interaction.kind.in_(RESPONSE_KINDS)),
        )
    ):
        found[account_id].append(when.date() if isinstance(when, datetime) else when)
    return {a: sorted(days) for a, days in found.items()}


def _alerts(conn: Connection, ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    found: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for r in conn.execute(select(Alert).where(Alert.account_id.in_(ids))).mappings():
        found[r["account_id"]].append(dict(r))
    return found


def _open_alerts(alerts: list[dict[str, Any]], day: date) -> dict[str, dict[str, Any]]:
    """Alerts open on ``day`` by type, from their own dates: opened on or before, not yet resolved."""
    out: dict[str, dict[str, Any]] = {}
    for a in alerts:
        if a["opened_on"] <= day and (a["resolved_on"] is None or a["resolved_on"] > day) and a["type"] not in out:
            out[a["type"]] = {
                **(a["detail"] or {}),
                "severity": a["severity"],
                "reason": a["reason"],
                "title": a["title"],
                "days_open": (day - a["opened_on"]).days,
            }
    return out


def _contracts_with_runs(conn: Connection, play: Play | None, contract_ids: list[int]) -> set[int]:
    if play is None or not contract_ids:
        return set()
    return set(
        conn.execute(
            select(PlayRun.contract_id).where(PlayRun.play == play.id, PlayRun.contract_id.in_(contract_ids))
        ).scalars()
    )


def _milestones_on(conn: Connection, play: Play, contract_id: int, day: date, stuck_after_days: int) -> list[Milestone]:
    """The timeline's milestones as they stood on ``day``; none when its run began later."""
    timeline = renewal_timelines(conn, play, [contract_id], day, stuck_after_days=stuck_after_days)[contract_id]
    return timeline.milestones if timeline.run is not None and timeline.run["started_on"] <= day else []


def _facts_on(
    day: date,
    account: dict[str, Any],
    data: AccountData,
    resolved: ResolvedModel,
    config: ScoringConfig,
    replies: list[date],
    alerts: list[dict[str, Any]],
) -> dict[str, Any]:
    scored = score_account(resolved, signal_values(config.model, data, day))
    last = bisect_right(replies, day)
    return {
        "arr": float(account["arr"]) if account["arr"] is not None else None,
        "segment": account["segment"],
        "plan": account["plan"],
        "seats_purchased": account["seats_purchased"],
        "churned": account["churned_on"] is not None and account["churned_on"] <= day,
        "days_as_customer": (day - account["customer_since"]).days if account["customer_since"] else None,
        "scored": scored.band is not None,
        "score": scored.score,
        "band": scored.band,
        "days_since_engagement": (day - replies[last - 1]).days if last else None,
        "champion_present": any(p.active_on(day) and "champion" in p.roles for p in data.contacts),
        "alert": _open_alerts(alerts, day),
        "signal": {},
    }


def replay_forecast(
    engine: Engine,
    scoring: ScoringConfig,
    forecast: ForecastConfig,
    start: date,
    end: date,
    *,
    renewal_play: Play | None = None,
    checkpoints: tuple[int, ...] = CHECKPOINTS,
    chunk_size: int = 500,
) -> list[ReplayedForecast]:
    """The forecast at each checkpoint before every renewal that ended between ``start`` and ``end``."""
    out: list[ReplayedForecast] = []
    cache: dict[str, ResolvedModel] = {}
    with engine.connect() as conn:
        renewals = _renewals(conn, start, end)
        by_account: dict[int, list[_Renewal]] = defaultdict(list)
        for r in renewals:
            by_account[r.account_id].append(r)
        ids = sorted(by_account)
        for lo in range(0, len(ids), chunk_size):
            chunk = ids[lo : lo + chunk_size]
            earliest = min(r.end_date for a in chunk for r in by_account[a]) - timedelta(days=max(checkpoints))
            data = load_chunk(conn, chunk, as_of=end, earliest=earliest)
            accounts = {r["id"]: dict(r) for r in conn.execute(select(Account).where(Account.id.in_(chunk))).mappings()}
            replies = _responses(conn, chunk, end)
            alerts = _alerts(conn, chunk)
            with_runs = _contracts_with_runs(conn, renewal_play, [r.contract_id for a in chunk for r in by_account[a]])
            for account_id in chunk:
                account, rows = accounts[account_id], data[account_id]
                segment = scoring.segments.segment_for(rows.arr, rows.products, rows.segment).name
                resolved = cache.get(segment) or cache.setdefault(segment, scoring.model.resolve(segment))
                for renewal in by_account[account_id]:
                    for before in checkpoints:
                        day = renewal.end_date - timedelta(days=before)
                        facts = _facts_on(
                            day, account, rows, resolved, scoring, replies.get(account_id, []), alerts[account_id]
                        )
                        facts.update(
                            days_to_renewal=before, renewal_on=renewal.end_date, renewal_arr=float(renewal.arr)
                        )
                        milestones = (
                            _milestones_on(conn, renewal_play, renewal.contract_id, day, forecast.stuck_after_days)
                            if renewal_play is not None and renewal.contract_id in with_runs
                            else []
                        )
                        replayed = contract_facts(forecast, facts, worst(milestones), milestones)
                        rule, _ = categorise(forecast, replayed)
                        out.append(
                            ReplayedForecast(
                                renewal.contract_id,
                                account_id,
                                account["segment"],
                                renewal.end_date,
                                before,
                                rule.name,
                                rule.probability,
                                renewal.renewed,
                                renewal.arr,
                                {k: replayed.get(k) for k in ("band", "score", "days_since_engagement", "segment")},
                            )
                        )
    return out
