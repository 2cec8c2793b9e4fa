"""Why did the score change? The signals whose points moved most, in words, with the rows behind them."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from signals.derived import REGISTRY, SignalValue

MIN_POINTS = 0.5


@dataclass(frozen=True)
class Reason:
    signal: str
    delta_points: float
    text: str
    evidence: tuple[str, ...]
    #: "change" since the previous scorecard, "weak" when there is none, "cap" when a cap held the score down,
    #: "floor" when a floor held it up.
    kind: str = "change"
    #: What the text was printed from, so a document quoting it can be checked: the signal's label and its
    #: raw values before and after (``describe`` prints them).
    label: str | None = None
    before: float | None = None
    after: float | None = None
    #: The unit ``before`` and ``after`` are printed in ("days", "percent", ...): a checker tracing "11 days"
    #: must know 11 counts days.
    unit: str | None = None

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["evidence"] = list(self.evidence)
        return data


def unit_of(source: str) -> str:
    return REGISTRY[source.split(":", 1)[1]].unit if source.startswith("signal:") else "number"


def describe(source: str, value: float | None) -> str:
    if value is None:
        return "no data"
    unit = unit_of(source)
    if unit == "percent":
        return f"{value:.0%}"
    if unit == "change":
        return f"{value:+.0%}"
    if unit == "days":
        return f"{value:.0f} days"
    if unit == "flag":
        return "yes" if value >= 0.5 else "no"
    return f"{value:.1f}" if value != int(value) else f"{value:.0f}"


def label(source: str, signal: str) -> str:
    if source.startswith("signal:"):
        return REGISTRY[source.split(":", 1)[1]].label
    return signal.replace("_", " ")


def limit_text(kind: str, band: str, reason: str, fired: list[tuple[str, SignalValue]]) -> str:
    """One line: which limit set the band, why, and the values that made it fire.

    e.g. "capped at Orange: active users fell by half or more (active users against own baseline -63%: 30.5 vs 83.5)"
    """
    verb = "capped at" if kind == "cap" else "held up at"
    shown = []
    for source, value in fired:
        name = label(source, source.split(":", 1)[1])
        shown.append(f"{name} {describe(source, value.value)}" + (f": {value.detail}" if value.detail else ""))
    return f"{verb} {band}: {reason}" + (f" ({'; '.join(shown)})" if shown else "")


def explain(
    current: list[dict[str, Any]], previous: list[dict[str, Any]] | None, limit: int = 3, *, direction: float = 0.0
) -> list[Reason]:
    """Compare two scorecards' contributions; with no previous one, name the weakest signals instead.

    Reasons that moved the score the way it went (``direction``: the overall
    change) come first, largest first; those that offset it follow.
    """
    before = {c["signal"]: c for c in previous or []}
    reasons: list[Reason] = []
    for c in current:
        old = before.get(c["signal"])
        if previous is None or old is None:
            if c["score"] is not None and c["score"] < 100:
                lost = -c["weight"] * (100 - c["score"])
                name = label(c["source"], c["signal"])
                text = f"{name} is {describe(c['source'], c['value'])}"
                reasons.append(
                    Reason(
                        c["signal"],
                        round(lost, 1),
                        text,
                        tuple(c["evidence"]),
                        "weak",
                        name,
                        after=c["value"],
                        unit=unit_of(c["source"]),
                    )
                )
            continue
        delta = c["points"] - old["points"]
        if abs(delta) < MIN_POINTS and c["score"] == old["score"]:
            continue
        if c["score"] == old["score"] and old["value"] == c["value"]:
            continue  # only the weights moved (another signal appeared or vanished)
        verb = (
            "improved"
            if (c["score"] or 0) > (old["score"] or 0)
            else "worsened"
            if (c["score"] or 0) < (old["score"] or 0)
            else "changed"
        )
        name = label(c["source"], c["signal"])
        text = f"{name} {verb}: {describe(c['source'], old['value'])} -> {describe(c['source'], c['value'])}"
        reasons.append(
            Reason(
                c["signal"],
                round(delta, 1),
                text,
                tuple(c["evidence"]),
                "change",
                name,
                old["value"],
                c["value"],
                unit_of(c["source"]),
            )
        )
    reasons.sort(key=lambda r: (direction * r.delta_points < 0, -abs(r.delta_points), r.signal))
    return [r for r in reasons if abs(r.delta_points) >= MIN_POINTS][:limit]
