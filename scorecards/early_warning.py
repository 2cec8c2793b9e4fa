"""Early-warning figures from replayed weekly bands: did the score warn before customers left, and only then?

Kept apart from the replay so the definitions can be read, and tested, over plain data: weekly bands per
account ``{account: {week: band}}``, the days each account left, and the renewals that ended.

Definitions (the bands are the model's, best first; "at risk" is the two worst, Orange and Red by default):

- **Lead** of a departure: whole weeks from the first at-risk week on or before the day the customer left to
  that day, looking back no further than its previous departure (an account that left, came back and left
  again is judged on the weeks after it returned). Never at risk: no lead, a miss. At risk only in its last
  week: lead 0. A departure counts only when its ``lead_target_weeks`` before it are inside the replay;
  one earlier could not have been warned that far ahead by the replay, so it is left out and counted.
- **False alarm**: a renewal that ended ``renewed`` and was at risk in any replayed week of the
  ``window_weeks`` up to and including its end date (after any earlier departure). Only renewals whose whole
  window is inside the replay count; the rest are left out and counted.
- **At T-90**: each renewal (renewed or churned) under the band of the last replayed week on or before
  ``checkpoint_days`` before its end date; renewals whose checkpoint precedes the replay are left out.
  The ratio is the best band's churn rate over the at-risk bands' pooled churn rate.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from statistics import median, quantiles

#: Two records of one departure (the contract's end, the account's churn date) closer than this are one.
SAME_DEPARTURE_DAYS = 90

BandHistory = Mapping[date, str | None]


@dataclass(frozen=True)
class Renewal:
    account_id: int
    end_date: date
    arr: Decimal
    churned: bool


@dataclass(frozen=True)
class Departure:
    account_id: int
    day: date
    #: whole weeks from the first Orange or Red week to the day it left; None when never flagged
    lead_weeks: int | None
    #: the same for the first week below the best band
    lead_weeks_any: int | None


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


#: Lead-time buckets for the distribution, in weeks (lower bound, upper bound inclusive; None: open).
LEAD_BUCKETS: tuple[tuple[int, int | None], ...] = ((0, 3), (4, 7), (8, 12), (13, 25), (26, None))


@dataclass
class EarlyWarning:
    at_risk: tuple[str, ...]
    best: str
    lead_target_weeks: int
    window_weeks: int
    checkpoint_days: int
    #: departures whose lead window is inside the replay
    departures: list[Departure] = field(default_factory=list)
    departures_left_out: int = 0
    #: renewals that ended renewed with their whole window replayed, and those flagged in it
    renewed: int = 0
    renewed_flagged: int = 0
    #: of those, renewals with no score at all in their window (neither flagged nor cleared by the score)
    renewed_unscored: int = 0
    renewals_left_out: int = 0
    at_t90: dict[str, BandAtT90] = field(default_factory=dict)
    at_t90_left_out: int = 0

    @property
    def leads(self) -> list[int]:
        return sorted(d.lead_weeks for d in self.departures if d.lead_weeks is not None)

    @property
    def missed(self) -> int:
        return sum(d.lead_weeks is None for d in self.departures)

    @property
    def flagged_early(self) -> int:
        return sum(d.lead_weeks is not None and d.lead_weeks >= self.lead_target_weeks for d in self.departures)

    @property
    def flagged_early_share(self) -> float | None:
        """(a) the share of departures flagged Orange or Red at least the target weeks before."""
        return self.flagged_early / len(self.departures) if self.departures else None

    @property
    def false_alarm_share(self) -> float | None:
        """(b) the share of renewals that were Orange or Red in the window before renewing."""
        return self.renewed_flagged / self.renewed if self.renewed else None

    def churn_at_t90(self, bands: Iterable[str]) -> float | None:
        lines = [self.at_t90[b] for b in bands if b in self.at_t90]
        n = sum(line.renewals for line in lines)
        return sum(line.churned for line in lines) / n if n else None

    @property
    def best_churn(self) -> float | None:
        return self.churn_at_t90([self.best])

    @property
    def at_risk_churn(self) -> float | None:
        return self.churn_at_t90(self.at_risk)

    @property
    def churn_ratio(self) -> float | None:
        """(c) best-band churn over at-risk churn at T-90; None when the at-risk bands had no churn to compare."""
        best, risky = self.best_churn, self.at_risk_churn
        return best / risky if best is not None and risky else None

    def lead_distribution(self) -> dict[str, int]:
        """How many departures fell in each lead bucket, the misses included, in reading order."""
        out = {"never": self.missed}
        for lo, hi in LEAD_BUCKETS:
            label = f"{lo}+" if hi is None else f"{lo}-{hi}"
            out[label] = sum(lo <= lead and (hi is None or lead <= hi) for lead in self.leads)
        return out

    def figures(self) -> dict[str, object]:
        """The figures as plain data, for `backtest --json` and the evaluation suite."""
        return {
            "definitions": {
                "at_risk_bands": list(self.at_risk),
                "lead_target_weeks": self.lead_target_weeks,
                "window_weeks": self.window_weeks,
                "checkpoint_days": self.checkpoint_days,
            },
            "departures": len(self.departures),
            "departures_left_out": self.departures_left_out,
            "flagged_early": self.flagged_early,
            "flagged_early_share": self.flagged_early_share,
            "missed": self.missed,
            "lead_weeks": self.leads,
            "lead_distribution": self.lead_distribution(),
            "lead_weeks_any": sorted(d.lead_weeks_any for d in self.departures if d.lead_weeks_any is not None),
            "renewed": self.renewed,
            "renewed_flagged": self.renewed_flagged,
            "renewed_unscored": self.renewed_unscored,
            "false_alarm_share": self.false_alarm_share,
            "renewals_left_out": self.renewals_left_out,
            "at_t90": {
                band: {
                    "renewals": line.renewals,
                    "churned": line.churned,
                    "churn_rate": line.churn_rate,
                    "grr": line.grr,
                }
                for band, line in self.at_t90.items()
            },
            "at_t90_left_out": self.at_t90_left_out,
            "best_churn_t90": self.best_churn,
            "at_risk_churn_t90": self.at_risk_churn,
            "churn_ratio_t90": self.churn_ratio,
        }

    def lead_quartiles(self) -> tuple[float, float, float] | None:
        leads = self.leads
        if not leads:
            return None
        if len(leads) == 1:
            return (leads[0], leads[0], leads[0])
        q1, _, q3 = quantiles(leads, n=4, method="inclusive")
        return (q1, median(leads), q3)


def departures(contract_churns: Iterable[date], churned_on: date | None) -> list[date]:
    """One date per departure: the contract's end and the account's churn date within SAME_DEPARTURE_DAYS of
    each other record one departure, dated by the earlier."""
    days = sorted({*contract_churns, *([churned_on] if churned_on else [])})
    kept: list[date] = []
    for day in days:
        if not kept or (day - kept[-1]).days > SAME_DEPARTURE_DAYS:
            kept.append(day)
    return kept


def _first(history: BandHistory, bands: set[str], after: date | None, until: date) -> date | None:
    weeks = (w for w, b in history.items() if b in bands and w <= until and (after is None or w > after))
    return min(weeks, default=None)


def _before(days: Sequence[date], day: date) -> date | None:
    earlier = [d for d in days if d < day]
    return max(earlier) if earlier else None


def measure(
    bands: Mapping[int, BandHistory],
    churns: Mapping[int, Sequence[date]],
    renewals: Iterable[Renewal],
    *,
    start: date,
    order: Sequence[str],
    lead_target_weeks: int = 8,
    window_weeks: int = 12,
    checkpoint_days: int = 90,
) -> EarlyWarning:
    """The early-warning figures of a replay that began on ``start``; ``order`` is the bands, best first."""
    at_risk = tuple(order[-2:])
    result = EarlyWarning(at_risk, order[0], lead_target_weeks, window_weeks, checkpoint_days)
    earliest_departure = start + timedelta(weeks=lead_target_weeks)
    for account_id, days in sorted(churns.items()):
        history = bands.get(account_id, {})
        for day in sorted(days):
            if day < earliest_departure:
                result.departures_left_out += 1
                continue
            previous = _before(days, day)
            flagged = _first(history, set(at_risk), previous, day)
            warned = _first(history, set(order[1:]), previous, day)
            result.departures.append(
                Departure(
                    account_id,
                    day,
                    None if flagged is None else (day - flagged).days // 7,
                    None if warned is None else (day - warned).days // 7,
                )
            )
    for renewal in renewals:
        history = bands.get(renewal.account_id, {})
        previous = _before(churns.get(renewal.account_id, ()), renewal.end_date)
        _renewal_window(result, renewal, history, previous, start)
        _renewal_at_t90(result, renewal, history, start)
    return result


def _renewal_window(
    result: EarlyWarning, renewal: Renewal, history: BandHistory, previous: date | None, start: date
) -> None:
    if renewal.churned:
        return
    opens = renewal.end_date - timedelta(weeks=result.window_weeks)
    if opens < start:
        result.renewals_left_out += 1
        return
    after = max(previous, opens - timedelta(days=1)) if previous else opens - timedelta(days=1)
    window = [b for w, b in history.items() if after < w <= renewal.end_date]
    result.renewed += 1
    result.renewed_flagged += any(b in result.at_risk for b in window)
    result.renewed_unscored += all(b is None for b in window)


def _renewal_at_t90(result: EarlyWarning, renewal: Renewal, history: BandHistory, start: date) -> None:
    checkpoint = renewal.end_date - timedelta(days=result.checkpoint_days)
    if checkpoint < start:
        result.at_t90_left_out += 1
        return
    weeks = [w for w in history if w <= checkpoint]
    band = (history[max(weeks)] if weeks else None) or "no data"
    line = result.at_t90.setdefault(band, BandAtT90())
    line.renewals += 1
    line.churned += renewal.churned
    line.arr += renewal.arr
    line.retained_arr += Decimal("0") if renewal.churned else renewal.arr
