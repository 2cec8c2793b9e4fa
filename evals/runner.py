"""Run suites, grade them, hold them to their thresholds, and keep the result as JSON.

``var/evals/<timestamp>.json`` holds, per suite, every metric (overall and per group), the figure its
threshold applies to (the held-out group's when the suite holds data out) and whether it met it, the
failed cases (the first 50, with their grades' comments), and the run's metadata: model, path
(deterministic or llm), commit and duration.
"""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from evals.catalog import load_specs
from evals.context import EvalContext
from evals.graders import graders
from evals.metrics import compute, gated, passes
from evals.spec import EVALS, SuiteSpec
from evals.suites import runners

FAILURES_KEPT = 50


@dataclass
class SuiteResult:
    id: str
    title: str
    component: str
    cases: int
    metrics: dict[str, dict[str, Any]]
    failures: list[dict[str, Any]]
    seconds: float
    notes: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return all(m["passed"] for m in self.metrics.values())


def _failed(grades: list[dict[str, Any]], spec: SuiteSpec) -> bool:
    if spec.grader == "effects":
        return any(
            (g["key"] == "unauthorised_effects" and g["score"] > 0)
            or (g["key"] == "tool_calls_recorded" and not g["score"])
            for g in grades
        )
    return any(g["key"] in ("correct", "faithful", "caught", "within_bounds") and g["score"] < 1 for g in grades)


def run_suite(spec: SuiteSpec, ctx: EvalContext) -> SuiteResult:
    started = time.perf_counter()
    notes_before = len(ctx.notes)
    outcomes = runners()[spec.runner](spec, ctx)
    if ctx.live and not spec.live:
        ctx.notes.append("no model path in this suite: --live gives the deterministic figures")
    grade = graders()[spec.grader]
    cases = []
    for outcome in outcomes:
        grades = [g.as_dict() for g in grade(outcome.expected, outcome.output)]
        cases.append({"id": outcome.id, "input": outcome.input, "grades": grades, "outcome": outcome})
    metrics = {}
    for metric in spec.metrics:
        value = compute(metric, cases)
        figure = gated(value, spec.gated_group)
        metrics[metric.name] = {
            **value,
            "min": metric.min,
            "max": metric.max,
            "higher_is_better": metric.higher_is_better,
            # The figure the threshold was held to: the held-out group's in a suite that holds data out.
            "gated_on": spec.gated_group,
            "gated_value": figure,
            "passed": passes(metric, figure),
        }
    failures = [
        {
            "id": c["id"],
            "input": c["input"],
            "expected": c["outcome"].expected,
            "output": c["outcome"].output,
            "rationale": c["outcome"].rationale,
            "comments": [g["comment"] for g in c["grades"] if g["comment"]],
        }
        for c in cases
        if _failed(c["grades"], spec)
    ]
    return SuiteResult(
        spec.id,
        spec.title,
        spec.component,
        len(cases),
        metrics,
        failures[:FAILURES_KEPT],
        time.perf_counter() - started,
        sorted(set(ctx.notes[notes_before:])),
    )


def commit() -> str:
    try:
        return subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=EVALS.parent, capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def run(
    suite_ids: list[str] | None = None,
    *,
    live: bool = False,
    model: Any = None,
    model_name: str = "none",
    on_done: Callable[[EvalContext], None] | None = None,
) -> dict[str, Any]:
    specs = load_specs()
    if suite_ids:
        known = {s.id for s in specs}
        unknown = [i for i in suite_ids if i not in known]
        if unknown:
            raise KeyError(f"unknown suite(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}")
        specs = [s for s in specs if s.id in suite_ids]
    ctx = EvalContext(live=live, model=model)
    started = time.perf_counter()
    try:
        results = [run_suite(spec, ctx) for spec in specs]
    finally:
        if on_done is not None:
            on_done(ctx)
    return {
        "started": datetime.now(UTC).isoformat(timespec="seconds"),
        "commit": commit(),
        "model": model_name if live else "none",
        "path": "llm" if live else "deterministic",
        "seconds": round(time.perf_counter() - started, 1),
        "suites": {r.id: {k: v for k, v in r.__dict__.items() if k != "id"} | {"passed": r.passed} for r in results},
    }


def write(result: dict[str, Any], directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    path = directory / f"{stamp}.json"
    path.write_text(json.dumps(result, indent=2, default=str), encoding="utf-8")
    return path
