"""The model card: what each part of the system does, what it was measured on, and the figures.

Written from one evaluation run (``var/evals/<timestamp>.json``) by ``watchtower evals report``.
"""

from __future__ import annotations

from typing import Any

from evals.catalog import load_specs


def _fmt(value: Any) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, float):
        return f"{value:.3f}" if abs(value) < 10 else f"{value:,.0f}"
    return str(value)


def model_card(result: dict[str, Any]) -> str:
    specs = {s.id: s for s in load_specs()}
    lines = [
        "# Watchtower model card",
        "",
        f"Measured by `watchtower evals run` on commit `{result['commit']}` ({result['started']}), "
        f"path: {result['path']}, model: {result['model']}, {result['seconds']} s. "
        "Every figure below is recomputed by that command; thresholds fail `make test` on a regression.",
        "",
        "| suite | what it measures | figures | threshold | |",
        "| --- | --- | --- | --- | --- |",
    ]
    for suite_id, suite in result["suites"].items():
        figures = []
        bounds = []
        for name, metric in suite["metrics"].items():
            # A held-out suite's threshold applies to its held-out figure, which is shown beside the overall one.
            gate = metric.get("gated_on")
            figures.append(
                f"{name} {_fmt(metric['value'])}" + (f" ({gate} {_fmt(metric['gated_value'])})" if gate else "")
            )
            held = f"{name} ({gate})" if gate else name
            if metric["min"] is not None:
                bounds.append(f"{held} >= {_fmt(metric['min'])}")
            if metric["max"] is not None:
                bounds.append(f"{held} <= {_fmt(metric['max'])}")
        lines.append(
            f"| `{suite_id}` | {suite['title']} ({suite['cases']} cases) | {'; '.join(figures)} | "
            f"{'; '.join(bounds) or '-'} | {'pass' if suite['passed'] else '**FAIL**'} |"
        )
    lines.append("")
    by_component: dict[str, list[str]] = {}
    for suite_id, suite in result["suites"].items():
        by_component.setdefault(suite["component"], []).append(suite_id)
    for component, suite_ids in by_component.items():
        lines += [f"## {component}", ""]
        for suite_id in suite_ids:
            suite, spec = result["suites"][suite_id], specs.get(suite_id)
            lines.append(f"### {suite['title']} (`{suite_id}`)")
            lines.append("")
            if spec is not None:
                lines.append(" ".join(spec.description.split()))
                lines.append("")
                data = (
                    f"`evals/datasets/{spec.dataset}`"
                    if spec.dataset
                    else f"`../shared/data/{(spec.source or {})['file']}`"
                )
                lines.append(f"Data: {data}; runner `{spec.runner}`, grader `{spec.grader}`.")
                lines.append("")
                if spec.limits:
                    lines.append(f"Limits: {' '.join(spec.limits.split())}")
                    lines.append("")
            for name, metric in suite["metrics"].items():
                groups = ", ".join(f"{g} {_fmt(v)}" for g, v in metric["groups"].items())
                lines.append(f"- {name}: **{_fmt(metric['value'])}**" + (f" ({groups})" if groups else ""))
            for note in suite.get("notes", []):
                lines.append(f"- note: {note}")
            if suite["failures"]:
                lines.append(f"- failed cases (first {min(5, len(suite['failures']))}):")
                for failure in suite["failures"][:5]:
                    comment = "; ".join(failure["comments"])[:200]
                    lines.append(f"  - `{failure['id']}`: {comment}")
            lines.append("")
    return "\n".join(lines)
