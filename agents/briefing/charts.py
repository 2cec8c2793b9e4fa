"""The briefing's pictures, drawn by ``core.charts`` as inline SVG: accounts per band a week before and now,
and the trend of the success metrics that are shares (NRR, GRR, retention, renewal rate) by quarter."""

from __future__ import annotations

from core.charts import line_chart, stacked_bars
from playbooks.briefing_facts import BriefingFacts

BAND_COLORS = {"Green": "#2e7d32", "Yellow": "#8a6d00", "Orange": "#c75000", "Red": "#b3261e"}
#: The shares drawn together on one chart, in percent.
TREND_KEYS = ("nrr", "grr", "logo_retention", "gross_renewal_rate")


def band_chart(facts: BriefingFacts) -> str:
    columns = [
        (f"week to {facts.week_before.isoformat()}", {b.band: float(b.accounts_week_before) for b in facts.bands}),
        (f"week to {facts.as_of.isoformat()}", {b.band: float(b.accounts) for b in facts.bands}),
    ]
    return stacked_bars(columns, title="Accounts by health band", colors=BAND_COLORS, width=420, height=260)


def metric_charts(facts: BriefingFacts) -> list[str]:
    series = [
        (m.label, [(p.end, p.value * 100) for p in m.trend if p.value is not None])
        for m in facts.metrics
        if m.key in TREND_KEYS and m.unit == "ratio"
    ]
    if not any(points for _, points in series):
        return []
    return [line_chart(series, title="Retention and renewal rate by quarter", y_label="%", width=640, height=240)]
