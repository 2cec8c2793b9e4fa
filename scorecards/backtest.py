"""Replay weekly scores over a past period and measure what they would have told us.

Scores are computed in memory for each week (stored scorecards are left
alone) from rows dated on or before that week, so nothing from the future
leaks in. Churn comes from the data: contracts that ended churned or
cancelled, and accounts marked churned with a date.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from statistics import mean, median

from sqlalchemy import select
from sqlalchemy.engine import Engine

from core.models import Account, Contract
from scorecards.health_model import ResolvedModel
from scorecards.scoring import score_account
from scorecards.weekly import ScoringConfig, signal_values
from signals.loader import account_id_chunks, load_chunk

CHURNED = ("churned", "cancelled")


@dataclass(frozen=True)
class Renewal:
    account_id: int
    end_date: date
    arr: Decimal
    churned: bool


@dataclass
class BandAtT90:
    renewals: int = 0
    churned: int = 0
    arr: Decimal = Decimal("0")
    retained_arr: Decimal = Decimal("0")

    @property
    def churn_rate(self) -> float:
        return self.churned / self.renewals if self.renewals else 0.0

    @property
    def grr(self) -> float | None:
        return float(self.retained_arr / self.arr) if self.arr else None


@dataclass
class Backtest:
    start: date
    end: date
    weeks: int
    accounts: int
    churned_accounts: int = 0
    #: weeks between the first Orange or Red score and the churn date, per churned account that was flagged
    lead_weeks: list[int] = field(default_factory=list)
    missed: int = 0
    #: the same, for the first score below the best band (Yellow or worse by default)
    lead_weeks_any: list[int] = field(default_factory=list)
    at_t90: dict[str, BandAtT90] = field(default_factory=dict)

    @property
    def median_lead(self) -> float | None:
        return median(self.lead_weeks) if self.lead_weeks else None

    @property
    def mean_lead(self) -> float | None:
        return mean(self.lead_weeks) if self.lead_weeks else None


def _renewals(engine: Engine, start: date, end: date) -> tuple[list[Renewal], dict[int, date]]:
    """Contracts that ended in the period, and each churned account's churn date."""
    renewals: list[Renewal] = []
    churn_on: dict[int, date] = {}
    with engine.connect() as conn:
        for r in conn.execute(
            select(Contract.account_id, Contract.end_date, Contract.arr, Contract.status).where(
                Contract.end_date >= start, Contract.end_date <= end, Contract.status.in_(("renewed", *CHURNED))
            )
        ):
            churned = r.status in CHURNED
            renewals.append(Renewal(r.account_id, r.end_date, r.arr or Decimal("0"), churned))
            if churned:
                churn_on[r.account_id] = min(churn_on.get(r.account_id, r.end_date), r.end_date)
        for r in conn.execute(
            select(Account.id, Account.churned_on).where(Account.churned_on >= start, Account.churned_on <= end)
        ):
            churn_on[r.id] = min(churn_on.get(r.id, r.churned_on), r.churned_on)
    return renewals, churn_on


def run_backtest(engine: Engine, config: ScoringConfig, start: date, end: date, *, chunk_size: int = 1000) -> Backtest:
    weeks = [start + timedelta(weeks=k) for k in range((end - start).days // 7 + 1)]
    renewals, churn_on = _renewals(engine, start, end)
    at_risk = {b.name for b in config.model.bands[-2:]}  # the two worst bands: Orange and Red by default
    below_best = {b.name for b in config.model.bands[1:]}
    bands: dict[int, dict[date, str | None]] = defaultdict(dict)
    cache: dict[str, ResolvedModel] = {}
    accounts = 0
    with engine.connect() as conn:
        for ids in account_id_chunks(conn, chunk_size):
            chunk = load_chunk(conn, ids, as_of=end, earliest=start)
            for account_id, data in chunk.items():
                accounts += 1
                segment = config.segments.segment_for(data.arr, data.products, data.segment).name
                resolved = cache.get(segment) or cache.setdefault(segment, config.model.resolve(segment))
                for week in weeks:
                    if account_id in churn_on and week > churn_on[account_id]:
                        break
                    bands[account_id][week] = score_account(resolved, signal_values(config.model, data, week)).band

    result = Backtest(start, end, len(weeks), accounts, churned_accounts=len(churn_on))
    for account_id, day in churn_on.items():
        flagged = [w for w, band in sorted(bands[account_id].items()) if band in at_risk and w <= day]
        if flagged:
            result.lead_weeks.append((day - flagged[0]).days // 7)
        else:
            result.missed += 1
        warned = [w for w, band in sorted(bands[account_id].items()) if band in below_best and w <= day]
        if warned:
            result.lead_weeks_any.append((day - warned[0]).days // 7)
    for renewal in renewals:
        checkpoint = renewal.end_date - timedelta(days=90)
        history = bands.get(renewal.account_id, {})
        candidates = [w for w in history if w <= checkpoint]
        if not candidates:
            continue  # the replay does not reach back to T-90 for this renewal
        band = history[max(candidates)] or "no data"
        line = result.at_t90.setdefault(band, BandAtT90())
        line.renewals += 1
        line.churned += renewal.churned
        line.arr += renewal.arr
        line.retained_arr += Decimal("0") if renewal.churned else renewal.arr
    return result
