"""Compare two evaluation runs: every metric side by side, and the ones that got worse."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Change:
    suite: str
    metric: str
    group: str | None
    before: float | None
    after: float | None
    regressed: bool


def compare(before: dict[str, Any], after: dict[str, Any], *, tolerance: float = 1e-9) -> list[Change]:
    changes = []
    for suite, result in after["suites"].items():
        old = before["suites"].get(suite)
        if old is None:
            continue
        for name, metric in result["metrics"].items():
            previous = old["metrics"].get(name)
            if previous is None:
                continue
            pairs = [(None, previous["value"], metric["value"])]
            pairs += [(g, previous["groups"].get(g), v) for g, v in metric["groups"].items()]
            for group, a, b in pairs:
                worse = False
                if a is not None and b is not None:
                    worse = b < a - tolerance if metric["higher_is_better"] else b > a + tolerance
                elif a is not None and b is None:
                    worse = True
                changes.append(Change(suite, name, group, a, b, worse))
    return changes
