"""Figures a runner measured as a whole (AUC, churn rate per band): each becomes a grade as it is.

``expected`` may bound a figure (``{"auc": {"min": 0.7}}``); the grade ``within_bounds`` says whether all are.
"""

from __future__ import annotations

from typing import Any

from evals.graders import Grade


def grade(expected: Any, output: Any) -> list[Grade]:
    grades = [Grade(name, float(value)) for name, value in output.items() if isinstance(value, int | float)]
    misses = []
    for name, bounds in (expected or {}).items():
        value = output.get(name)
        if value is None or ("min" in bounds and value < bounds["min"]) or ("max" in bounds and value > bounds["max"]):
            misses.append(f"{name}={value} outside {bounds}")
    return [*grades, Grade("within_bounds", float(not misses), "; ".join(misses))]
