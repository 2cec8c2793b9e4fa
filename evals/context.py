"""What every suite runner shares: the run's context and one case's outcome."""

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
