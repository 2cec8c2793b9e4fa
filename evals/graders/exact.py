"""The output must equal the expected value; the comment says what differed."""

from __future__ import annotations

from typing import Any

from evals.graders import Grade


def grade(expected: Any, output: Any) -> list[Grade]:
    if output == expected:
        return [Grade("correct", 1.0)]
    if isinstance(expected, dict) and isinstance(output, dict):
        diff = [
            f"{k}: expected {expected.get(k)!r}, got {output.get(k)!r}"
            for k in sorted(set(expected) | set(output))
            if expected.get(k) != output.get(k)
        ]
        return [Grade("correct", 0.0, "; ".join(diff))]
    return [Grade("correct", 0.0, f"expected {expected!r}, got {output!r}")]
