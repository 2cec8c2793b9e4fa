"""The health model: which signals count, how much, and what healthy looks like.

It is a YAML file a customer-success team edits (``health_model.yaml``; the default ships in ``core/defaults``).
Weights are relative: a group's weight is its share of the score, a signal's
weight is its share of its group. Each signal is scored 0-100 either by three
thresholds (healthy / at risk / critical) or on a bounded linear scale.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from core.config_errors import load_yaml_model
from signals.derived import REGISTRY

#: Weights are relative; a bound keeps their sum finite (two weights of 1e308 add up to infinity).
MAX_WEIGHT = 1_000_000
USAGE_COLUMNS = frozenset({"logins", "active_users", "seats_used", "features_used", "api_calls", "storage_gb"})
SOURCE_PATTERN = re.compile(r"^(signal|usage|metric):([A-Za-z0-9_.:-]+)$")


def check_source(value: str) -> str:
    match = SOURCE_PATTERN.match(value)
    if not match:
        raise ValueError(f"'{value}' is not a source; use signal:<name>, usage:<column> or metric:<name>")
    kind, name = match.groups()
    if kind == "signal" and name not in REGISTRY:
        raise ValueError(f"unknown derived signal '{name}'; known: {', '.join(sorted(REGISTRY))}")
    if kind == "usage" and name not in USAGE_COLUMNS and not name.startswith("metrics."):
        raise ValueError(
            f"unknown usage column '{name}'; use one of {', '.join(sorted(USAGE_COLUMNS))} or metrics.<name>"
        )
    return value


class Strict(BaseModel):
    # A NaN bound holds for every value (each comparison with it is false) and an infinite weight leaves no score.
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class Thresholds(Strict):
    """Higher is better: value >= healthy is healthy, >= at_risk at risk, else critical; mirrored for lower."""

    healthy: float
    at_risk: float


class Scale(Strict):
    """Linear: ``worst`` scores 0, ``best`` scores 100, clamped in between."""

    worst: float
    best: float

    @model_validator(mode="after")
    def _distinct(self) -> Scale:
        if self.worst == self.best:
            raise ValueError("worst and best must differ")
        return self


class SignalSpec(Strict):
    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    source: str = Field(description="signal:<derived>, usage:<column or metrics.name>, or metric:<account_metric name>")
    weight: float = Field(1.0, gt=0, le=MAX_WEIGHT)
    direction: Literal["higher_is_better", "lower_is_better"] = "higher_is_better"
    thresholds: Thresholds | None = None
    scale: Scale | None = None

    @field_validator("source")
    @classmethod
    def _known_source(cls, value: str) -> str:
        return check_source(value)

    @model_validator(mode="after")
    def _one_scoring(self) -> SignalSpec:
        if (self.thresholds is None) == (self.scale is None):
            raise ValueError("give exactly one of 'thresholds' or 'scale'")
        t = self.thresholds
        if t is not None:
            ordered = t.healthy >= t.at_risk if self.direction == "higher_is_better" else t.healthy <= t.at_risk
            if not ordered:
                raise ValueError(
                    f"thresholds: with {self.direction}, 'healthy' must be on the better side of 'at_risk'"
                )
        return self

    def score(self, value: float, points: Points) -> float:
        """0-100 for one raw value."""
        higher = self.direction == "higher_is_better"
        if self.thresholds is not None:
            t = self.thresholds
            if (value >= t.healthy) if higher else (value <= t.healthy):
                return points.healthy
            if (value >= t.at_risk) if higher else (value <= t.at_risk):
                return points.at_risk
            return points.critical
        assert self.scale is not None
        share = (value - self.scale.worst) / (self.scale.best - self.scale.worst)
        return 100.0 * min(1.0, max(0.0, share))


class GroupSpec(Strict):
    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    weight: float = Field(gt=0, le=MAX_WEIGHT)
    signals: list[SignalSpec] = Field(min_length=1)


class Points(Strict):
    healthy: float = Field(100, ge=0, le=100)
    at_risk: float = Field(50, ge=0, le=100)
    critical: float = Field(0, ge=0, le=100)


class Band(Strict):
    name: str
    min: float = Field(ge=0, le=100)


DEFAULT_BANDS = (
    Band(name="Green", min=80),
    Band(name="Yellow", min=60),
    Band(name="Orange", min=40),
    Band(name="Red", min=0),
)


class SignalOverride(Strict):
    weight: float | None = Field(None, gt=0, le=MAX_WEIGHT)
    thresholds: Thresholds | None = None
    scale: Scale | None = None


class SegmentOverride(Strict):
    groups: dict[str, Annotated[float, Field(gt=0, le=MAX_WEIGHT)]] = Field(
        default_factory=dict, description="Group weight by group name."
    )
    signals: dict[str, SignalOverride] = Field(default_factory=dict)


class Condition(Strict):
    """One test on a raw signal value; a limit fires only while every one of its conditions holds.

    ``signal`` names a signal of the model; ``source`` names any source (``signal:<derived>``), weighted in the
    model or not. ``reads: critical`` holds while the model's own thresholds score the signal critical, which
    is what the older ``{signal, max_score}`` form of a cap means.
    """

    signal: str | None = None
    source: str | None = None
    at_most: float | None = None
    at_least: float | None = None
    equals: float | None = None
    reads: Literal["critical"] | None = None

    @field_validator("source")
    @classmethod
    def _known_source(cls, value: str | None) -> str | None:
        return None if value is None else check_source(value)

    @model_validator(mode="after")
    def _one_subject_and_a_test(self) -> Condition:
        if (self.signal is None) == (self.source is None):
            raise ValueError("give exactly one of 'signal' (a model signal) or 'source' (signal:<name>)")
        if self.at_most is None and self.at_least is None and self.equals is None and self.reads is None:
            raise ValueError("give at least one of 'at_most', 'at_least', 'equals' or 'reads'")
        if self.reads is not None and self.signal is None:
            raise ValueError("'reads' needs a model 'signal': only a model signal has thresholds")
        return self

    def holds(self, value: float | None, *, critical: bool) -> bool:
        """False without data: a condition nobody can check must not lower anyone's score."""
        if value is None:
            return False
        if self.at_most is not None and value > self.at_most:
            return False
        if self.at_least is not None and value < self.at_least:
            return False
        if self.equals is not None and value != self.equals:
            return False
        return self.reads is None or critical


class Limit(Strict):
    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    when: list[Condition] = Field(min_length=1)
    reason: str = Field(min_length=1)

    @model_validator(mode="before")
    @classmethod
    def _older_form(cls, data: object) -> object:
        """``{signal: X, max_score: Y, reason: ...}`` (no ``when``): a cap while X reads critical."""
        if isinstance(data, dict) and "when" not in data and "signal" in data:
            data = dict(data)
            signal = data.pop("signal")
            data.setdefault("name", signal if isinstance(signal, str) else "cap")
            data["when"] = [{"signal": signal, "reads": "critical"}]
        return data


class Cap(Limit):
    """A ceiling on the score while its conditions hold: some facts rule out a band whatever the average."""

    max_band: str | None = None
    max_score: float | None = Field(None, ge=0, le=100)

    @model_validator(mode="after")
    def _one_ceiling(self) -> Cap:
        if (self.max_band is None) == (self.max_score is None):
            raise ValueError("give exactly one of max_band or max_score")
        return self


class Floor(Limit):
    """A lowest score while its conditions hold; a cap that fires always wins over it."""

    min_band: str | None = None
    min_score: float | None = Field(None, ge=0, le=100)

    @model_validator(mode="after")
    def _one_floor(self) -> Floor:
        if (self.min_band is None) == (self.min_score is None):
            raise ValueError("give exactly one of min_band or min_score")
        return self


class HealthModel(Strict):
    version: str = Field(min_length=1)
    description: str = ""
    bands: tuple[Band, ...] = DEFAULT_BANDS
    points: Points = Points()
    trend_days: int = Field(30, ge=1, le=365)
    csm_assessment_days: int = Field(30, ge=1, le=365)
    metric_max_age_days: int = Field(90, ge=1, le=3650)
    groups: list[GroupSpec] = Field(min_length=1)
    caps: list[Cap] = Field(default_factory=list)
    floors: list[Floor] = Field(default_factory=list)
    segments: dict[str, SegmentOverride] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _consistent(self) -> HealthModel:
        mins = [b.min for b in self.bands]
        if mins != sorted(mins, reverse=True) or len(set(mins)) != len(mins):
            raise ValueError("bands: list them from best to worst with strictly decreasing 'min'")
        if mins[-1] != 0:
            raise ValueError("bands: the last band must start at 0 so every score has a band")
        bands = [b.name for b in self.bands]
        repeated = sorted({n for n in bands if bands.count(n) > 1})
        if repeated:
            raise ValueError(f"bands: each name once, repeated: {', '.join(repeated)}")
        names = [s.name for g in self.groups for s in g.signals]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"groups: signal names must be unique, repeated: {', '.join(duplicates)}")
        self._check_limits(names)
        groups = {g.name for g in self.groups}
        for segment, override in self.segments.items():
            for group in override.groups:
                if group not in groups:
                    raise ValueError(f"segments.{segment}.groups: unknown group '{group}'")
            for signal in override.signals:
                if signal not in names:
                    raise ValueError(f"segments.{segment}.signals: unknown signal '{signal}'")
        return self

    def _check_limits(self, names: list[str]) -> None:
        bands = [b.name for b in self.bands]
        for key, limits in (("caps", self.caps), ("floors", self.floors)):
            seen: set[str] = set()
            for n, limit in enumerate(limits):
                where = f"{key}[{n}]"
                if limit.name in seen:
                    raise ValueError(f"{where}.name: '{limit.name}' is used twice; give each a unique name")
                seen.add(limit.name)
                for m, condition in enumerate(limit.when):
                    if condition.signal is not None and condition.signal not in names:
                        raise ValueError(f"{where}.when[{m}].signal: unknown signal '{condition.signal}'")
                band = limit.max_band if isinstance(limit, Cap) else limit.min_band  # type: ignore[union-attr]
                if band is not None and band not in bands:
                    field = "max_band" if isinstance(limit, Cap) else "min_band"
                    raise ValueError(f"{where}.{field}: unknown band '{band}'; bands are {', '.join(bands)}")

    def ceiling(self, cap: Cap) -> float:
        """``max_band: Orange`` is the top of Orange: just under the next better band's min."""
        if cap.max_score is not None:
            return cap.max_score
        rank = self.band_rank(cap.max_band)  # type: ignore[arg-type]
        return 100.0 if rank == 0 else round(self.bands[rank - 1].min - 0.1, 1)

    def floor_of(self, floor: Floor) -> float:
        if floor.min_score is not None:
            return floor.min_score
        return self.bands[self.band_rank(floor.min_band)].min  # type: ignore[arg-type]

    def band_for(self, score: float) -> str:
        return next(b.name for b in self.bands if score >= b.min)

    def band_rank(self, band: str) -> int:
        """0 for the best band; used to tell how far two bands disagree."""
        return [b.name for b in self.bands].index(band)

    def resolve(self, segment: str | None) -> ResolvedModel:
        override = self.segments.get(segment or "", SegmentOverride())
        signals: list[ResolvedSignal] = []
        total_group = sum(override.groups.get(g.name, g.weight) for g in self.groups)
        for group in self.groups:
            group_weight = override.groups.get(group.name, group.weight) / total_group
            specs = []
            for spec in group.signals:
                o = override.signals.get(spec.name)
                if o is not None:
                    update = {k: v for k, v in o.model_dump(exclude_none=True).items()}
                    if "thresholds" in update or "scale" in update:
                        update.setdefault("thresholds", None)
                        update.setdefault("scale", None)
                    spec = SignalSpec.model_validate({**spec.model_dump(), **update})
                specs.append(spec)
            within = sum(s.weight for s in specs)
            signals.extend(ResolvedSignal(spec, group.name, group_weight * spec.weight / within) for spec in specs)
        return ResolvedModel(self, segment, tuple(signals))

    @property
    def sources(self) -> frozenset[str]:
        """Every source a scorecard reads: the weighted signals and those only a cap or floor tests."""
        tested = {c.source for limit in (*self.caps, *self.floors) for c in limit.when if c.source is not None}
        return frozenset(s.source for g in self.groups for s in g.signals) | tested


@dataclass(frozen=True)
class ResolvedSignal:
    spec: SignalSpec
    group: str
    #: Share of the whole score when every signal is present (all weights sum to 1).
    weight: float


@dataclass(frozen=True)
class ResolvedModel:
    model: HealthModel
    segment: str | None
    signals: tuple[ResolvedSignal, ...]


def load_health_model(path: Path) -> HealthModel:
    return load_yaml_model(path, HealthModel)
