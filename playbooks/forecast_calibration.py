"""How well replayed forecasts matched what happened, and a proposal drawn from it.

The forecast's probability is the chance the renewal renews. Its Brier score (the mean squared gap between
that probability and the outcome, 1 renewed, 0 churned) is compared with the simplest honest forecast: every
renewal given the period's renewal rate, whose Brier score is rate x (1 - rate). A forecast that cannot beat
that adds nothing. The reliability table sets each category's probability beside the rate at which its
renewals actually renewed.

The proposal replaces each category's probability with its observed renewal rate, shrunk toward the base rate
by ``prior_weight`` pseudo-renewals so a category seen a handful of times moves only a little, and proposes a
segment's engagement window only where one window separates churners from renewals clearly (a two-proportion
z of at least ``min_z`` with ``min_group`` renewals on each side). It changes no rule and no category order.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from playbooks.forecast import CATEGORIES, ForecastConfig
from playbooks.forecast_replay import ReplayedForecast

#: Engagement windows a proposal may choose between, in days.
WINDOWS = (30, 45, 60, 90, 120, 150, 180)
#: The checkpoint a window is judged at: the renewal conversation is under way and there is time to act.
WINDOW_CHECKPOINT = 90


@dataclass(frozen=True)
class Reliability:
    n: int
    renewed: int
    #: mean probability the forecast gave
    predicted: float

    @property
    def observed(self) -> float:
        return self.renewed / self.n if self.n else 0.0


@dataclass(frozen=True)
class CheckpointScore:
    days_before: int
    n: int
    brier: float
    base_rate: float
    reliability: dict[str, Reliability] = field(default_factory=dict)

    @property
    def base_brier(self) -> float:
        return self.base_rate * (1 - self.base_rate)

    @property
    def skill(self) -> float | None:
        """1 - Brier / base-rate Brier: 0.2 means 20% better than the base rate; below 0, worse."""
        return 1 - self.brier / self.base_brier if self.base_brier else None


def _score(days_before: int, rows: list[ReplayedForecast]) -> CheckpointScore:
    n = len(rows)
    brier = sum((r.probability - r.renewed) ** 2 for r in rows) / n
    by_category: dict[str, list[ReplayedForecast]] = defaultdict(list)
    for r in rows:
        by_category[r.category].append(r)
    reliability = {
        c: Reliability(len(rs), sum(r.renewed for r in rs), sum(r.probability for r in rs) / len(rs))
        for c, rs in sorted(by_category.items(), key=lambda kv: CATEGORIES.index(kv[0]))
    }
    return CheckpointScore(days_before, n, brier, sum(r.renewed for r in rows) / n, reliability)


def score_replay(replayed: Iterable[ReplayedForecast]) -> dict[int, CheckpointScore]:
    """Brier score, base rate and reliability per checkpoint (days before renewal), latest checkpoint last."""
    by_checkpoint: dict[int, list[ReplayedForecast]] = defaultdict(list)
    for r in replayed:
        by_checkpoint[r.days_before].append(r)
    return {d: _score(d, rows) for d, rows in sorted(by_checkpoint.items(), reverse=True) if rows}


@dataclass(frozen=True)
class Proposal:
    config: ForecastConfig
    #: One line per change or per thing left as it was, with the counts behind it.
    notes: list[str]


def _z(a_hit: int, a_n: int, b_hit: int, b_n: int) -> float:
    """Two-proportion z statistic of rate a above rate b, pooled variance."""
    pooled = (a_hit + b_hit) / (a_n + b_n)
    spread = math.sqrt(pooled * (1 - pooled) * (1 / a_n + 1 / b_n))
    return (a_hit / a_n - b_hit / b_n) / spread if spread else 0.0


def _window(rows: list[ReplayedForecast], min_group: int, min_z: float) -> tuple[int, float] | None:
    """The window whose 'no contact within it' group churns most clearly more than the rest, if any does."""
    best: tuple[int, float] | None = None
    for window in WINDOWS:
        silent = [r for r in rows if (r.facts.get("days_since_engagement") or 10**6) > window]
        heard = [r for r in rows if (r.facts.get("days_since_engagement") or 10**6) <= window]
        if len(silent) < min_group or len(heard) < min_group:
            continue
        z = _z(sum(not r.renewed for r in silent), len(silent), sum(not r.renewed for r in heard), len(heard))
        if z >= min_z and (best is None or z > best[1]):
            best = (window, z)
    return best


def propose(
    config: ForecastConfig,
    replayed: list[ReplayedForecast],
    *,
    prior_weight: float = 10,
    min_group: int = 20,
    min_z: float = 2.0,
) -> Proposal:
    """Probabilities per category from the replayed outcomes (every checkpoint pooled), windows where supported."""
    notes: list[str] = []
    if not replayed:
        return Proposal(config, ["no replayed renewal: nothing to propose"])
    base = sum(r.renewed for r in replayed) / len(replayed)
    categories = []
    for rule in config.categories:
        rows = [r for r in replayed if r.category == rule.name]
        if not rows:
            notes.append(f"{rule.name}: no renewal was forecast {rule.name}; probability kept at {rule.probability}")
            categories.append(rule)
            continue
        renewed = sum(r.renewed for r in rows)
        p = round((renewed + prior_weight * base) / (len(rows) + prior_weight), 2)
        notes.append(
            f"{rule.name}: {renewed} of {len(rows)} forecasts renewed ({renewed / len(rows):.1%}); "
            f"probability {rule.probability} -> {p}"
        )
        categories.append(rule.model_copy(update={"probability": p}))
    windows = dict(config.engagement_days)
    at_checkpoint = [r for r in replayed if r.days_before == WINDOW_CHECKPOINT]
    segments = sorted({r.segment or "default" for r in at_checkpoint} | (set(windows) - {"default"}))
    for segment in segments:
        rows = [r for r in at_checkpoint if (r.segment or "default") == segment]
        found = _window(rows, min_group, min_z)
        current = config.engagement_window(segment)
        if found is None:
            notes.append(
                f"engagement window {segment}: kept at {current} days; no window separates the "
                f"{len(rows)} renewals at T-{WINDOW_CHECKPOINT} clearly (z >= {min_z}, {min_group} on each side)"
            )
            continue
        windows[segment] = found[0]
        notes.append(
            f"engagement window {segment}: {current} -> {found[0]} days (z {found[1]:.1f} over {len(rows)} renewals)"
        )
    proposed = config.model_copy(
        update={"version": f"{config.version}-proposed", "categories": categories, "engagement_days": windows}
    )
    return Proposal(ForecastConfig.model_validate(proposed.model_dump(by_alias=True)), notes)
