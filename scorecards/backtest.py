"""Replay weekly scores over a past period and measure what they would have told us.

Scores are computed in memory for each week (stored scorecards are left
alone) from rows dated on or before that week, so nothing from the future
leaks in. Churn comes from the data: contracts that ended churned or
cancelled, and accounts marked churned with a date. Only accounts that left
or renewed in the period are scored, each up to its last such day: nothing
else is measured. The figures themselves are defined in
``scorecards.early_warning``.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.engine import Engine

from core.models import Account, Contract
from scorecards.early_warning import EarlyWarning, Renewal, departures, measure
from scorecards.health_model import ResolvedModel
from scorecards.scoring import score_account
from scorecards.weekly import ScoringConfig, signal_values
from signals.loader import account_id_chunks, load_chunk

CHURNED = ("churned", "cancelled")


@dataclass
class Backtest:
    start: date
    end: date
    weeks: int
    accounts: int
    #: accounts that left or renewed in the period, the ones replayed week by week
    replayed: int
    churned_accounts: int
    early: EarlyWarning


def _renewals(engine: Engine, start: date, end: date) -> tuple[list[Renewal], dict[int, list[date]]]:
    """Contracts that ended in the period, and each churned account's departures."""
    renewals: list[Renewal] = []
    contract_churns: dict[int, list[date]] = defaultdict(list)
    churned_on: dict[int, date] = {}
    with engine.connect() as conn:
        for r in conn.execute(
            select(Contract.account_id, Contract.end_date, Contract.arr, Contract.status).where(
                Contract.end_date >= start, Contract.end_date <= end, Contract.status.in_(("renewed", *CHURNED))
            )
        ):
            churned = r.status in CHURNED
            renewals.append(Renewal(r.account_id, r.end_date, r.arr or Decimal("0"), churned))
            if churned:
                contract_churns[r.account_id].append(r.end_date)
        for r in conn.execute(
            select(Account.id, Account.churned_on).where(Account.churned_on >= start, Account.churned_on <= end)
        ):
            churned_on[r.id] = r.churned_on
    churns = {a: departures(contract_churns.get(a, []), churned_on.get(a)) for a in {*contract_churns, *churned_on}}
    return renewals, churns


def run_backtest(engine: Engine, config: ScoringConfig, start: date, end: date, *, chunk_size: int = 1000) -> Backtest:
    weeks = [start + timedelta(weeks=k) for k in range((end - start).days // 7 + 1)]
    renewals, churns = _renewals(engine, start, end)
    last_day: dict[int, date] = {a: max(days) for a, days in churns.items()}
    for r in renewals:
        last_day[r.account_id] = max(last_day.get(r.account_id, r.end_date), r.end_date)
    bands: dict[int, dict[date, str | None]] = defaultdict(dict)
    cache: dict[str, ResolvedModel] = {}
    accounts = 0
    with engine.connect() as conn:
        for ids in account_id_chunks(conn, chunk_size):
            accounts += len(ids)
            wanted = [a for a in ids if a in last_day]
            if not wanted:
                continue
            chunk = load_chunk(conn, wanted, as_of=end, earliest=start)
            for account_id, data in chunk.items():
                segment = config.segments.segment_for(data.arr, data.products, data.segment).name
                resolved = cache.get(segment) or cache.setdefault(segment, config.model.resolve(segment))
                for week in weeks:
                    if week > last_day[account_id]:
                        break
                    bands[account_id][week] = score_account(resolved, signal_values(config.model, data, week)).band
    early = measure(bands, churns, renewals, start=start, order=[b.name for b in config.model.bands])
    return Backtest(start, end, len(weeks), accounts, len(last_day), len(churns), early)
