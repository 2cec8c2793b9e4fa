"""Runners: each turns a suite's cases into outputs, on the deterministic path or (``--live``) with the model."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from evals.spec import SuiteSpec


@dataclass(frozen=True)
class Outcome:
    """One case run: what went in, what was expected, what came out."""

    id: str
    input: dict[str, Any]
    expected: Any
    output: Any
    rationale: str = ""


@dataclass
class EvalContext:
    live: bool = False
    #: The chat model for --live suites; None on the deterministic path.
    model: Any = None
    #: Books built for this run, shared by the suites that read the same one.
    books: dict[tuple[Any, ...], Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


Runner = Callable[[SuiteSpec, EvalContext], list[Outcome]]


def runners() -> dict[str, Runner]:
    from evals.suites import book_suites, injection, narrative, routing, text_labels

    return {
        "approval_routing": routing.run,
        "text_labels": text_labels.run,
        "alerts_seeded": book_suites.alerts,
        "plays_triggering": book_suites.plays,
        "plays_once": book_suites.plays_once,
        "plays_routing": book_suites.plays_routing,
        "scorecards_seeded": book_suites.scorecards,
        "health_calibration": book_suites.calibration,
        "narrative_faithfulness": narrative.run,
        "injection_resistance": injection.run,
    }
