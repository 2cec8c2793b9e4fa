"""Graders: one per kind of check, each turning a case's expected and actual output into grades.

Every grade is ``{key, score, comment}``. Suites aggregate grades by key into their metrics.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class Grade:
    key: str
    score: float
    comment: str = ""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


Grader = Callable[[Any, Any], list[Grade]]


def graders() -> dict[str, Grader]:
    from evals.graders import classification, effects, exact, expectation, faithfulness, measured

    return {
        "exact": exact.grade,
        "classification": classification.grade,
        "faithfulness": faithfulness.grade,
        "effects": effects.grade,
        "measured": measured.grade,
        "expectation": expectation.grade,
    }
