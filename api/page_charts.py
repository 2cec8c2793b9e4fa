"""The pictures on the dashboard and the account page, drawn from their records with ``core.charts``.

The pages and the briefing use the same chart functions; what is page-specific (which series, the band
colours, the health bands shaded behind the score) lives here so the route handlers stay thin.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from datetime import date
from typing import Any

from core.charts import line_chart, stacked_bars
from playbooks.account_view import ROLE_ORDER, Person

#: Band fills: each band also has its name in the legend, so colour is never the only cue.
BAND_COLORS = {"Green": "#2e7d32", "Yellow": "#f2c200", "Orange": "#e8710a", "Red": "#c62828", "Unscored": "#9e9e9e"}
#: Sentiment colours on the stakeholder map, always beside the stance written out.
STANCE_COLORS = {"promoter": "#d6f5dd", "passive": "#eceff1", "detractor": "#f8cfcf", "unknown": "#ffffff"}
STANCE_BORDER = {"promoter": "#2e7d32", "passive": "#546e7a", "detractor": "#b3261e", "unknown": "#546e7a"}
ROLE_TITLES = {
    "champion": "Champion",
    "sponsor": "Sponsor",
    "decision_maker": "Decision maker",
    "user": "User",
    "detractor": "Detractor",
    "other": "Other",
}


def band_trend_chart(distribution: Sequence[tuple[date, dict[str, int]]], *, title: str) -> str:
    columns = [(day.strftime("%b %d"), {k: float(v) for k, v in counts.items()}) for day, counts in distribution]
    return stacked_bars(columns, title=title, colors=BAND_COLORS, y_label="accounts", width=760, height=260)


def score_chart(history: Sequence[dict[str, Any]], bands: Sequence[tuple[str, float]], *, title: str) -> str:
    """The account's weekly score with the health bands shaded behind it (``bands``: name and min, best first)."""
    points = [(card["as_of"], float(card["score"])) for card in history if card["score"] is not None]
    ranges = []
    top = 100.0
    for name, low in bands:
        ranges.append((low, top, name))
        top = low
    return line_chart([("score", points)], title=title, y_label="health score", y_min=0, y_max=100, bands=ranges)


def stakeholder_map(people: Sequence[Person], *, title: str) -> str:
    """People as boxes in one column per role, each with their name, title and stance in words; who left is
    drawn dashed and says "left on DATE"."""
    columns = [r for r in ROLE_ORDER if any(p.role == r for p in people)]
    if not columns:
        return (
            f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="640" height="60" viewBox="0 0 640 60" '
            f'aria-labelledby="map-t map-d"><title id="map-t">{html.escape(title)}</title>'
            f'<desc id="map-d">No stakeholders recorded.</desc>'
            f'<text x="10" y="34" font-family="system-ui, sans-serif" font-size="13" fill="#333">'
            f"No stakeholders recorded.</text></svg>"
        )
    col_w, box_h, gap = 190, 62, 10
    rows = max(sum(1 for p in people if p.role == r) for r in columns)
    width = max(400, col_w * len(columns) + 10)
    height = 40 + rows * (box_h + gap) + 10
    desc = "; ".join(
        f"{p.name}, {ROLE_TITLES[p.role]}, {p.stance or 'stance unknown'}"
        + (f", left on {p.left_on.isoformat()}" if p.left_on else "")
        for p in people
    )
    font = 'font-family="system-ui, sans-serif"'
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart stakeholders" role="img" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}" aria-labelledby="map-t map-d">',
        f'<title id="map-t">{html.escape(title)}</title>',
        f'<desc id="map-d">{html.escape(desc)}.</desc>',
    ]
    for index, role in enumerate(columns):
        x = 10 + index * col_w
        parts.append(
            f'<text x="{x}" y="22" {font} font-size="13" font-weight="600" fill="#1d2733">'
            f"{html.escape(ROLE_TITLES[role])}</text>"
        )
        for row, person in enumerate(p for p in people if p.role == role):
            y = 32 + row * (box_h + gap)
            dash = ' stroke-dasharray="5 3"' if person.departed else ""
            fill = "#f5f5f5" if person.departed else STANCE_COLORS.get(person.stance, "#ffffff")
            border = STANCE_BORDER.get(person.stance, "#546e7a")
            status = f"left on {person.left_on.isoformat()}" if person.left_on else (person.stance or "stance unknown")
            name = person.name if len(person.name) <= 24 else person.name[:23] + "\u2026"
            # A detractor's column hides their role, so the role is written next to the title.
            named = [ROLE_TITLES.get(r, r.replace("_", " ")).lower() for r in person.roles if r != role]
            job = " · ".join([t for t in (person.title,) if t] + named)
            job = job if len(job) <= 30 else job[:29] + "\u2026"
            parts.append(
                f'<rect x="{x}" y="{y}" width="{col_w - 12}" height="{box_h}" rx="6" fill="{fill}" '
                f'stroke="{border}" stroke-width="2"{dash}/>'
            )
            parts.append(
                f'<text x="{x + 8}" y="{y + 18}" {font} font-size="13" font-weight="600" fill="#1d2733">'
                f"{html.escape(name)}</text>"
            )
            parts.append(f'<text x="{x + 8}" y="{y + 34}" {font} font-size="11" fill="#333">{html.escape(job)}</text>')
            parts.append(
                f'<text x="{x + 8}" y="{y + 51}" {font} font-size="11" font-weight="600" fill="#1d2733">'
                f"{html.escape(status)}</text>"
            )
    parts.append("</svg>")
    return "\n".join(parts)
