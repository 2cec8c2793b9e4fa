"""Suite metrics: grades aggregated by key, overall and per group."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from evals.spec import Metric


def _aggregate(metric: Metric, grades: list[dict[str, Any]]) -> float | None:
    if metric.aggregate in ("precision", "recall", "f1"):
        counts: dict[str, float] = defaultdict(float)
        for grade in grades:
            counts[grade["key"]] += grade["score"]
        tp, fp, fn = counts["tp"], counts["fp"], counts["fn"]
        precision = tp / (tp + fp) if tp + fp else None
        recall = tp / (tp + fn) if tp + fn else None
        if metric.aggregate == "precision":
            return precision
        if metric.aggregate == "recall":
            return recall
        if precision is None or recall is None:
            return None
        return 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    values = [g["score"] for g in grades if g["key"] == metric.grade]
    if metric.aggregate == "count":
        return float(len(values))
    if not values:
        return None
    if metric.aggregate == "sum":
        return float(sum(values))
    if metric.aggregate == "min":
        return float(min(values))
    if metric.aggregate == "max":
        return float(max(values))
    return sum(values) / len(values)


def compute(metric: Metric, cases: list[dict[str, Any]]) -> dict[str, Any]:
    """``{"value": overall, "groups": {group: value}}``; each case is ``{"input", "grades"}``."""
    overall = _aggregate(metric, [g for c in cases for g in c["grades"]])
    groups: dict[str, float | None] = {}
    if metric.by:
        by_group: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for case in cases:
            by_group[str(case["input"].get(metric.by))].extend(case["grades"])
        groups = {name: _aggregate(metric, grades) for name, grades in sorted(by_group.items())}
    return {"value": overall, "groups": groups}


def gated(value: dict[str, Any], group: str | None) -> float | None:
    """The figure a threshold applies to: the named group's (None when the cases have no such group), else the whole."""
    return value["value"] if group is None else value["groups"].get(group)


def passes(metric: Metric, value: float | None) -> bool:
    if value is None:
        return metric.min is None and metric.max is None
    return (metric.min is None or value >= metric.min - 1e-9) and (metric.max is None or value <= metric.max + 1e-9)
