"""Score one account: pure arithmetic over signal values, no database and no clock.

Missing signals are dropped and their weight is spread over the present ones
in proportion, so the points of the present signals always add up to the
score; ``completeness`` says how much of the model's weight had data.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from scorecards.health_model import Cap, HealthModel, Limit, ResolvedModel
from signals.derived import SignalValue


@dataclass(frozen=True)
class Contribution:
    signal: str
    group: str
    source: str
    value: float | None
    #: 0-100 for this signal alone; None when the signal had no data.
    score: float | None
    #: Share of the score after redistribution (0 when missing).
    weight: float
    #: weight x score: what this signal adds to the account's score.
    points: float
    evidence: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {
            "signal": self.signal,
            "group": self.group,
            "source": self.source,
            "value": self.value,
            "score": self.score,
            "weight": self.weight,
            "points": self.points,
            "evidence": list(self.evidence),
        }


@dataclass(frozen=True)
class Fired:
    """A cap or floor that set the score, with the raw values that made its conditions hold."""

    limit: Limit
    kind: str  # "cap" or "floor"
    #: The score it allows at most (cap) or at least (floor).
    level: float
    #: (source, value) per condition, in the order the limit lists them.
    values: tuple[tuple[str, SignalValue], ...]
    evidence: tuple[str, ...] = ()


@dataclass(frozen=True)
class ScoreResult:
    score: float | None
    band: str | None
    completeness: float
    groups: dict[str, float | None]
    contributions: tuple[Contribution, ...] = field(default_factory=tuple)
    #: The weighted score before any cap or floor, and the limits that moved it (the deciding one first).
    uncapped: float | None = None
    caps: tuple[Fired, ...] = ()


def score_account(resolved: ResolvedModel, values: dict[str, SignalValue]) -> ScoreResult:
    """``values`` maps each signal's source (e.g. ``signal:latest_nps``) to its value for this account."""
    model = resolved.model
    present = [
        (s, values[s.spec.source])
        for s in resolved.signals
        if values.get(s.spec.source, SignalValue(None)).value is not None
    ]
    present_weight = sum(s.weight for s, _ in present)
    completeness = round(100.0 * present_weight, 1)
    scored = {s.spec.name: s.spec.score(v.value, model.points) for s, v in present}  # type: ignore[arg-type]

    contributions = []
    for s in resolved.signals:
        value = values.get(s.spec.source, SignalValue(None))
        if s.spec.name in scored:
            share = s.weight / present_weight
            contributions.append(
                Contribution(
                    s.spec.name,
                    s.group,
                    s.spec.source,
                    value.value,
                    scored[s.spec.name],
                    share,
                    share * scored[s.spec.name],
                    value.evidence,
                )
            )
        else:
            contributions.append(Contribution(s.spec.name, s.group, s.spec.source, None, None, 0.0, 0.0))

    groups: dict[str, float | None] = {}
    for group in dict.fromkeys(s.group for s in resolved.signals):
        members = [
            (s.weight, scored[s.spec.name]) for s in resolved.signals if s.group == group and s.spec.name in scored
        ]
        total = sum(w for w, _ in members)
        groups[group] = round(sum(w * sc for w, sc in members) / total, 1) if total else None

    if not present:
        return ScoreResult(None, None, 0.0, groups, tuple(contributions))
    weighted = round(sum(c.points for c in contributions), 1)
    fired = _fired(resolved, values, scored)
    score, applied = _limited(weighted, fired)
    return ScoreResult(
        score, model.band_for(score), completeness, groups, tuple(contributions), weighted, tuple(applied)
    )


def _fired(resolved: ResolvedModel, values: dict[str, SignalValue], scored: dict[str, float]) -> list[Fired]:
    """Every cap and floor whose conditions all hold for this account."""
    model = resolved.model
    by_name = {s.spec.name: s.spec.source for s in resolved.signals}
    fired = []
    for kind, limits in (("cap", model.caps), ("floor", model.floors)):
        for limit in limits:
            read: list[tuple[str, SignalValue]] = []
            evidence: list[str] = []
            for condition in limit.when:
                source = condition.source or by_name[condition.signal]  # type: ignore[index]
                found = values.get(source, SignalValue(None))
                critical = condition.signal is not None and scored.get(condition.signal) == model.points.critical
                if not condition.holds(found.value, critical=critical):
                    break
                read.append((source, found))
                evidence.extend(e for e in found.evidence if e not in evidence)
            else:
                fired.append(Fired(limit, kind, _level(model, limit), tuple(read), tuple(evidence)))
    return fired


def _level(model: HealthModel, limit: Limit) -> float:
    return model.ceiling(limit) if isinstance(limit, Cap) else model.floor_of(limit)  # type: ignore[arg-type]


def _limited(weighted: float, fired: list[Fired]) -> tuple[float, list[Fired]]:
    """Caps win: with any cap firing, no floor applies, so a floor never hides a critical condition.

    The lowest cap decides; every cap under the weighted score is listed, lowest first.
    """
    caps = sorted((f for f in fired if f.kind == "cap" and f.level < weighted), key=lambda f: f.level)
    if caps:
        return caps[0].level, caps
    if any(f.kind == "cap" for f in fired):
        return weighted, []
    floors = sorted((f for f in fired if f.kind == "floor" and f.level > weighted), key=lambda f: -f.level)
    if floors:
        return floors[0].level, floors[:1]
    return weighted, []
