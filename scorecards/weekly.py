"""Score the whole book (or some accounts) for one as-of date and store the scorecards.

Per account: segment from the rules, the model resolved for that segment,
signal values at ``as_of`` and ``trend_days`` earlier (from the same rows),
the score, band, trend and completeness, the reasons for the change since the
previous scorecard, and the CSM's assessment beside it. Re-running a date
replaces that date's scorecards.
"""

from __future__ import annotations

import csv
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from statistics import fmean
from typing import IO, Any

from sqlalchemy import Connection, and_, delete, func, select
from sqlalchemy.engine import Engine

from core.bulk import bulk_insert
from core.config_files import policy_path
from core.models import Account, CsmAssessment, Scorecard
from scorecards.health_model import HealthModel, ResolvedModel, load_health_model
from scorecards.reasons import explain, limit_text
from scorecards.scoring import ScoreResult, score_account
from scorecards.segments import SegmentRules, load_segment_rules
from signals.data import AccountData
from signals.derived import MONTH, REGISTRY, SignalValue, usage_ref, usage_window
from signals.loader import account_id_chunks, load_chunk

Progress = Callable[[int], None]


@dataclass(frozen=True)
class ScoringConfig:
    model: HealthModel
    segments: SegmentRules

    @classmethod
    def load(
        cls, *, model: Path | None = None, segments: Path | None = None, directory: Path | None = None
    ) -> ScoringConfig:
        return cls(
            load_health_model(policy_path("health_model.yaml", model, directory=directory)),
            load_segment_rules(policy_path("segments.yaml", segments, directory=directory)),
        )


def source_value(source: str, data: AccountData, as_of: date, *, metric_max_age_days: int) -> SignalValue:
    """The value of one model source (``signal:``, ``usage:`` or ``metric:``) for an account on a date."""
    kind, name = source.split(":", 1)
    if kind == "signal":
        return REGISTRY[name].fn(data, as_of)
    if kind == "usage":
        rows = usage_window(data, as_of, MONTH)
        if name.startswith("metrics."):
            points = [u.metrics[name[8:]] for u in rows if name[8:] in u.metrics]
        else:
            points = [getattr(u, name) for u in rows if getattr(u, name) is not None]
        return SignalValue(fmean(points) if points else None, usage_ref(rows) if points else ())
    oldest = as_of - timedelta(days=metric_max_age_days)
    series = [(d, v) for d, v in data.metrics.get(name, []) if oldest < d <= as_of]
    return SignalValue(series[-1][1], (f"account_metric {name} {series[-1][0]}",)) if series else SignalValue(None)


def signal_values(model: HealthModel, data: AccountData, as_of: date) -> dict[str, SignalValue]:
    return {s: source_value(s, data, as_of, metric_max_age_days=model.metric_max_age_days) for s in model.sources}


@dataclass
class ScoreRun:
    as_of: date
    model_version: str
    accounts: int = 0
    bands: Counter[str] = field(default_factory=Counter)
    disagreements: int = 0
    #: How many accounts each cap or floor set the band of ("cap usage_collapse": 12).
    limits: Counter[str] = field(default_factory=Counter)


def _previous_scorecards(conn: Connection, ids: list[int], as_of: date) -> dict[int, list[dict[str, Any]]]:
    """Each account's latest scorecard before ``as_of``: only that one, however long the history is."""
    in_chunk = and_(Scorecard.account_id >= ids[0], Scorecard.account_id <= ids[-1])
    latest = (
        select(Scorecard.account_id, func.max(Scorecard.as_of).label("as_of"))
        .where(in_chunk, Scorecard.as_of < as_of)
        .group_by(Scorecard.account_id)
        .subquery()
    )
    rows = conn.execute(
        select(Scorecard.account_id, Scorecard.contributions).join(
            latest, and_(Scorecard.account_id == latest.c.account_id, Scorecard.as_of == latest.c.as_of)
        )
    )
    return {r.account_id: r.contributions for r in rows}


def _assessments(conn: Connection, ids: list[int], as_of: date, days: int) -> dict[int, tuple[date, str]]:
    found: dict[int, tuple[date, str]] = {}
    for r in conn.execute(
        select(CsmAssessment.account_id, CsmAssessment.assessed_on, CsmAssessment.band)
        .where(
            CsmAssessment.account_id >= ids[0],
            CsmAssessment.account_id <= ids[-1],
            CsmAssessment.assessed_on <= as_of,
            CsmAssessment.assessed_on > as_of - timedelta(days=days),
        )
        .order_by(CsmAssessment.account_id, CsmAssessment.assessed_on)
    ):
        found[r.account_id] = (r.assessed_on, r.band)
    return found


def build_scorecard(
    config: ScoringConfig,
    data: AccountData,
    as_of: date,
    *,
    stored_previous: list[dict[str, Any]] | None,
    assessment: tuple[date, str] | None,
    resolved_cache: dict[str, ResolvedModel],
) -> dict[str, Any]:
    """One scorecard row, as a dict ready to insert."""
    model = config.model
    segment = config.segments.segment_for(data.arr, data.products, data.segment).name
    resolved = resolved_cache.get(segment)
    if resolved is None:
        resolved = resolved_cache[segment] = model.resolve(segment)
    now = score_account(resolved, signal_values(model, data, as_of))
    before: ScoreResult = score_account(resolved, signal_values(model, data, as_of - timedelta(days=model.trend_days)))
    contributions = [c.as_dict() for c in now.contributions]
    baseline = stored_previous if stored_previous is not None else [c.as_dict() for c in before.contributions]
    trend = round(now.score - before.score, 1) if now.score is not None and before.score is not None else None
    limits = [
        {
            # The first condition's signal, so a reader keyed by signal still finds one; ``limit`` names the cap.
            "signal": fired.limit.when[0].signal or fired.limit.when[0].source.split(":", 1)[1],  # type: ignore[union-attr]
            "limit": fired.limit.name,
            "kind": fired.kind,
            "delta_points": round(now.score - now.uncapped, 1),  # type: ignore[operator]
            "text": limit_text(fired.kind, model.band_for(fired.level), fired.limit.reason, list(fired.values)),
            "evidence": list(fired.evidence),
        }
        for fired in now.caps
    ]
    # Order reasons by the change against the same baseline they are computed from.
    direction = sum(c["points"] for c in contributions) - sum(c["points"] for c in baseline)
    csm_band = assessment[1] if assessment else None
    disagreement = False
    if csm_band and now.band and csm_band in {b.name for b in model.bands}:
        disagreement = abs(model.band_rank(csm_band) - model.band_rank(now.band)) >= 1
    return {
        "account_id": data.account_id,
        "as_of": as_of,
        "segment": segment,
        "model_version": model.version,
        "score": now.score,
        "band": now.band,
        "completeness": now.completeness,
        "trend": trend,
        "previous_score": before.score,
        "group_scores": now.groups,
        "contributions": contributions,
        "reasons": [*limits, *(r.as_dict() for r in explain(contributions, baseline, direction=direction))],
        "csm_band": csm_band,
        "csm_assessed_on": assessment[0] if assessment else None,
        "disagreement": disagreement,
    }


def score_book(
    engine: Engine,
    config: ScoringConfig,
    as_of: date,
    *,
    account_ids: list[int] | None = None,
    chunk_size: int = 2000,
    progress: Progress | None = None,
) -> ScoreRun:
    run = ScoreRun(as_of, config.model.version)
    cache: dict[str, ResolvedModel] = {}
    earliest = as_of - timedelta(days=config.model.trend_days)
    table = Scorecard.__table__  # type: ignore[attr-defined]
    with engine.begin() as conn:
        for ids in account_id_chunks(conn, chunk_size, account_ids, active_on=as_of):
            chunk = load_chunk(conn, ids, as_of=as_of, earliest=earliest)
            previous = _previous_scorecards(conn, ids, as_of)
            assessments = _assessments(conn, ids, as_of, config.model.csm_assessment_days)
            rows = [
                build_scorecard(
                    config,
                    chunk[i],
                    as_of,
                    stored_previous=previous.get(i),
                    assessment=assessments.get(i),
                    resolved_cache=cache,
                )
                for i in ids
                if i in chunk
            ]
            conn.execute(delete(table).where(and_(table.c.as_of == as_of, table.c.account_id.in_(ids))))
            bulk_insert(conn, table, rows)
            run.accounts += len(rows)
            run.bands.update(r["band"] or "no data" for r in rows)
            run.disagreements += sum(r["disagreement"] for r in rows)
            run.limits.update(
                f"{reason['kind']} {reason['limit']}"
                for r in rows
                for reason in r["reasons"][:1]
                if reason["kind"] in ("cap", "floor")
            )
            if progress:
                progress(len(rows))
    return run


def account_ids_for(engine: Engine, external_ids: list[str]) -> list[int]:
    with engine.connect() as conn:
        found = dict(
            conn.execute(select(Account.external_id, Account.id).where(Account.external_id.in_(external_ids))).all()
        )
    missing = [e for e in external_ids if e not in found]
    if missing:
        raise LookupError(f"no account with external_id {', '.join(repr(m) for m in missing)}")
    return sorted(found.values())


def export_scorecards(engine: Engine, as_of: date, stream: IO[str], groups: list[str]) -> int:
    """One row per account: the columns the issue names, then one column per signal group."""
    writer = csv.writer(stream, lineterminator="\n")
    writer.writerow(["account_external_id", "as_of", "score", "band", "completeness", "trend", *groups])
    count = 0
    with engine.connect() as conn:
        rows = conn.execute(
            select(
                Account.external_id,
                Scorecard.as_of,
                Scorecard.score,
                Scorecard.band,
                Scorecard.completeness,
                Scorecard.trend,
                Scorecard.group_scores,
            )
            .join(Account, Account.id == Scorecard.account_id)
            .where(Scorecard.as_of == as_of)
            .order_by(Account.external_id)
        )
        for r in rows:
            cells = [
                r.external_id,
                r.as_of.isoformat(),
                _num(r.score),
                r.band or "",
                _num(r.completeness),
                _num(r.trend),
            ]
            writer.writerow(cells + [_num((r.group_scores or {}).get(g)) for g in groups])
            count += 1
    return count


def _num(value: float | None) -> str:
    return "" if value is None else f"{value:.1f}"
