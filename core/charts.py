"""Server-side SVG charts: a picture the web app and the HTML briefing embed inline.

The machines here and many customer networks have no internet, and an e-mailed briefing cannot run
JavaScript, so charts are drawn as plain SVG strings with no script and no external asset. Every label
passes through ``html.escape`` because account names and signal labels come from imported data. Each chart
carries ``role="img"`` with a ``<title>`` and a ``<desc>`` that says what it shows in words, so a screen
reader gets the figures a sighted reader sees. Colours are chosen for contrast on white (text at 4.5:1 or
more); series are also told apart by their legend labels, never by colour alone.
"""

from __future__ import annotations

import html
import itertools
import math
from collections.abc import Callable, Mapping, Sequence
from datetime import date

#: Series colours, all at least 4.5:1 against white so lines and their legend text stay readable.
PALETTE = ("#1f5fa8", "#b3261e", "#2e7d32", "#6a3d9a", "#8a5300", "#00695c", "#ad1457", "#37474f")

#: Fills for the shaded bands behind a line chart; light enough that the line and tick text stay readable.
BAND_FILLS = ("#e8f5e9", "#fffde7", "#fff3e0", "#ffebee", "#eceff1")

_FONT = 'font-family="system-ui, sans-serif" font-size="11"'
_TEXT = "#222"
_AXIS = "#555"
_GRID = "#ddd"

_MARGIN_LEFT = 56
_MARGIN_RIGHT = 16
_MARGIN_TOP = 28
_MARGIN_BOTTOM = 40


def _esc(text: str) -> str:
    return html.escape(str(text), quote=True)


def _fmt_number(value: float) -> str:
    """A short tick label: integers without decimals, others with at most two significant decimals."""
    if math.isclose(value, round(value), abs_tol=1e-9):
        return f"{round(value):,}"
    return f"{value:,.2f}".rstrip("0").rstrip(".")


def _nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """Round tick values across [low, high], so axes read 0, 20, 40 rather than 0, 17.3, 34.6."""
    if high <= low:
        return [low]
    raw = (high - low) / max(count - 1, 1)
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    first = math.ceil(low / step - 1e-9) * step
    ticks: list[float] = []
    value = first
    while value <= high + step * 1e-9:
        ticks.append(round(value, 10))
        value += step
    return ticks


def _open_svg(width: int, height: int, title: str, desc: str, chart_id: str) -> list[str]:
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" aria-labelledby="{chart_id}-t {chart_id}-d">',
        f'<title id="{chart_id}-t">{_esc(title)}</title>',
        f'<desc id="{chart_id}-d">{_esc(desc)}</desc>',
        f'<text x="{_MARGIN_LEFT}" y="16" font-family="system-ui, sans-serif" font-size="13" font-weight="600" '
        f'fill="{_TEXT}">{_esc(title)}</text>',
    ]


def _chart_id(title: str) -> str:
    """A stable id per title, so two charts on one page do not share <title> ids."""
    digest = sum((i + 1) * ord(c) for i, c in enumerate(title)) % 1_000_000
    return f"chart-{digest}"


def _empty(width: int, height: int, title: str, what: str) -> str:
    parts = _open_svg(width, height, title, f"{title}: no {what} to show.", _chart_id(title))
    parts.append(
        f'<text x="{width / 2:.1f}" y="{height / 2:.1f}" text-anchor="middle" {_FONT} fill="{_AXIS}">'
        f"No {_esc(what)} to show</text>"
    )
    parts.append("</svg>")
    return "\n".join(parts)


def line_chart(
    series: Sequence[tuple[str, Sequence[tuple[date, float]]]],
    *,
    title: str,
    y_label: str,
    y_min: float | None = None,
    y_max: float | None = None,
    bands: Sequence[tuple[float, float, str]] = (),
    width: int = 640,
    height: int = 220,
) -> str:
    """Lines over dates, with optional shaded horizontal bands (e.g. the health bands) labelled at the right.

    Values outside [y_min, y_max] are clamped to the edge and the point is drawn hollow, so an outlier is
    visible as such rather than drawn off the canvas.
    """
    points = [(name, sorted(values)) for name, values in series if values]
    if not points:
        return _empty(width, height, title, "data")
    all_dates = [d for _, values in points for d, _ in values]
    all_values = [v for _, values in points for _, v in values]
    low = y_min if y_min is not None else min(all_values)
    high = y_max if y_max is not None else max(all_values)
    if high <= low:
        pad = abs(low) * 0.1 or 1.0
        low, high = (low - pad, high + pad) if y_min is None and y_max is None else (low, low + pad)
    first, last = min(all_dates), max(all_dates)
    span_days = max((last - first).days, 1)
    plot_w = width - _MARGIN_LEFT - _MARGIN_RIGHT - (60 if bands else 0)
    plot_h = height - _MARGIN_TOP - _MARGIN_BOTTOM

    def x_of(day: date) -> float:
        if first == last:
            return _MARGIN_LEFT + plot_w / 2
        return _MARGIN_LEFT + (day - first).days / span_days * plot_w

    def y_of(value: float) -> float:
        clamped = min(max(value, low), high)
        return _MARGIN_TOP + plot_h - (clamped - low) / (high - low) * plot_h

    desc_parts = []
    for name, values in points:
        latest_day, latest_value = values[-1]
        desc_parts.append(
            f"{name}: {len(values)} points from {values[0][0].isoformat()} to {latest_day.isoformat()}, "
            f"first {_fmt_number(values[0][1])}, latest {_fmt_number(latest_value)}"
        )
    desc = f"Line chart of {y_label} over time. " + "; ".join(desc_parts) + "."
    parts = _open_svg(width, height, title, desc, _chart_id(title))

    for index, (band_low, band_high, label) in enumerate(bands):
        top = y_of(max(band_low, band_high))
        bottom = y_of(min(band_low, band_high))
        if bottom - top <= 0:
            continue
        fill = BAND_FILLS[index % len(BAND_FILLS)]
        parts.append(
            f'<rect x="{_MARGIN_LEFT}" y="{top:.1f}" width="{plot_w}" height="{bottom - top:.1f}" fill="{fill}"/>'
        )
        parts.append(
            f'<text x="{_MARGIN_LEFT + plot_w + 6}" y="{(top + bottom) / 2 + 4:.1f}" {_FONT} '
            f'fill="{_TEXT}">{_esc(label)}</text>'
        )

    for tick in _nice_ticks(low, high):
        y = y_of(tick)
        parts.append(
            f'<line x1="{_MARGIN_LEFT}" y1="{y:.1f}" x2="{_MARGIN_LEFT + plot_w}" y2="{y:.1f}" stroke="{_GRID}"/>'
        )
        parts.append(
            f'<text x="{_MARGIN_LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" {_FONT} fill="{_AXIS}">'
            f"{_esc(_fmt_number(tick))}</text>"
        )
    baseline = _MARGIN_TOP + plot_h
    parts.append(
        f'<line x1="{_MARGIN_LEFT}" y1="{baseline}" x2="{_MARGIN_LEFT + plot_w}" y2="{baseline}" stroke="{_AXIS}"/>'
    )
    for day in sorted({first, last} | ({all_dates[len(all_dates) // 2]} if first != last else set())):
        # The ends are anchored inward so the first and last dates stay inside the picture.
        anchor = "middle" if first == last or first < day < last else "start" if day == first else "end"
        parts.append(
            f'<text x="{x_of(day):.1f}" y="{baseline + 16}" text-anchor="{anchor}" {_FONT} fill="{_AXIS}">'
            f"{_esc(day.isoformat())}</text>"
        )
    parts.append(
        f'<text transform="translate(12 {_MARGIN_TOP + plot_h / 2:.1f}) rotate(-90)" text-anchor="middle" '
        f'{_FONT} fill="{_AXIS}">{_esc(y_label)}</text>'
    )

    for (name, values), color in zip(points, itertools.cycle(PALETTE), strict=False):
        coords = " ".join(f"{x_of(d):.1f},{y_of(v):.1f}" for d, v in values)
        if len(values) > 1:
            parts.append(f'<polyline points="{coords}" fill="none" stroke="{color}" stroke-width="2"/>')
        for d, v in values:
            outside = v < low or v > high
            fill = "#fff" if outside else color
            parts.append(
                f'<circle cx="{x_of(d):.1f}" cy="{y_of(v):.1f}" r="3" fill="{fill}" stroke="{color}">'
                f"<title>{_esc(name)} {_esc(d.isoformat())}: {_esc(_fmt_number(v))}</title></circle>"
            )

    if len(points) > 1:
        x = _MARGIN_LEFT
        for (name, _), color in zip(points, itertools.cycle(PALETTE), strict=False):
            parts.append(f'<rect x="{x}" y="{height - 14}" width="10" height="10" fill="{color}"/>')
            parts.append(f'<text x="{x + 14}" y="{height - 5}" {_FONT} fill="{_TEXT}">{_esc(name)}</text>')
            x += 24 + 7 * len(name)
    parts.append("</svg>")
    return "\n".join(parts)


def bar_chart(
    bars: Sequence[tuple[str, float]],
    *,
    title: str,
    value_format: Callable[[float], str] = _fmt_number,
    width: int = 640,
    height: int = 220,
) -> str:
    """Horizontal bars, one per label, each with its formatted value written beside it."""
    if not bars:
        return _empty(width, height, title, "data")
    label_w = min(200, 12 + 7 * max(len(label) for label, _ in bars))
    left = label_w + 8
    plot_w = width - left - 90
    row_h = max(12.0, min(28.0, (height - _MARGIN_TOP - 8) / len(bars)))
    height = max(height, int(_MARGIN_TOP + row_h * len(bars) + 8))
    top = max((v for _, v in bars), default=0.0)
    bottom = min((v for _, v in bars), default=0.0)
    scale_max = max(top, 0.0)
    scale_min = min(bottom, 0.0)
    span = (scale_max - scale_min) or 1.0
    zero_x = left + (0 - scale_min) / span * plot_w
    desc = "Bar chart: " + "; ".join(f"{label} {value_format(value)}" for label, value in bars) + "."
    parts = _open_svg(width, height, title, desc, _chart_id(title))
    for index, ((label, value), color) in enumerate(zip(bars, itertools.cycle(PALETTE[:1]), strict=False)):
        y = _MARGIN_TOP + index * row_h
        bar_len = abs(value) / span * plot_w
        x = zero_x if value >= 0 else zero_x - bar_len
        parts.append(
            f'<text x="{label_w}" y="{y + row_h / 2 + 4:.1f}" text-anchor="end" {_FONT} fill="{_TEXT}">'
            f"{_esc(label)}</text>"
        )
        parts.append(
            f'<rect x="{x:.1f}" y="{y + 2:.1f}" width="{max(bar_len, 1):.1f}" height="{row_h - 4:.1f}" '
            f'fill="{color}"><title>{_esc(label)}: {_esc(value_format(value))}</title></rect>'
        )
        parts.append(
            f'<text x="{max(x + bar_len, zero_x) + 4:.1f}" y="{y + row_h / 2 + 4:.1f}" {_FONT} fill="{_TEXT}">'
            f"{_esc(value_format(value))}</text>"
        )
    parts.append(
        f'<line x1="{zero_x:.1f}" y1="{_MARGIN_TOP}" x2="{zero_x:.1f}" y2="{_MARGIN_TOP + row_h * len(bars):.1f}" '
        f'stroke="{_AXIS}"/>'
    )
    parts.append("</svg>")
    return "\n".join(parts)


def stacked_bars(
    columns: Sequence[tuple[str, Mapping[str, float]]],
    *,
    title: str,
    colors: Mapping[str, str],
    width: int = 640,
    height: int = 240,
    y_label: str = "accounts",
) -> str:
    """Vertical stacked columns (e.g. accounts per health band each week), stacked in the order of ``colors``.

    Keys a column carries that ``colors`` does not name are stacked last in grey, never silently dropped.
    """
    if not columns:
        return _empty(width, height, title, "data")
    keys = list(colors)
    for _, values in columns:
        keys.extend(k for k in values if k not in keys)
    totals = [sum(max(v, 0.0) for v in values.values()) for _, values in columns]
    high = max(totals) or 1.0
    ticks = _nice_ticks(0.0, high)
    high = max(high, ticks[-1])
    plot_w = width - _MARGIN_LEFT - _MARGIN_RIGHT
    plot_h = height - _MARGIN_TOP - _MARGIN_BOTTOM - 16
    slot = plot_w / len(columns)
    bar_w = max(2.0, slot * 0.7)
    latest_label, latest = columns[-1]
    desc = (
        f"Stacked columns of {y_label} over {len(columns)} periods, from {columns[0][0]} to {latest_label}. "
        f"Latest {latest_label}: " + ", ".join(f"{k} {_fmt_number(latest.get(k, 0.0))}" for k in keys) + "."
    )
    parts = _open_svg(width, height, title, desc, _chart_id(title))
    baseline = _MARGIN_TOP + plot_h

    def y_of(value: float) -> float:
        return baseline - value / high * plot_h

    for tick in ticks:
        parts.append(
            f'<line x1="{_MARGIN_LEFT}" y1="{y_of(tick):.1f}" x2="{_MARGIN_LEFT + plot_w}" y2="{y_of(tick):.1f}" '
            f'stroke="{_GRID}"/>'
        )
        parts.append(
            f'<text x="{_MARGIN_LEFT - 6}" y="{y_of(tick) + 4:.1f}" text-anchor="end" {_FONT} fill="{_AXIS}">'
            f"{_esc(_fmt_number(tick))}</text>"
        )
    label_every = max(1, math.ceil(len(columns) * 60 / plot_w))
    for index, (label, values) in enumerate(columns):
        x = _MARGIN_LEFT + index * slot + (slot - bar_w) / 2
        running = 0.0
        for key in keys:
            value = max(values.get(key, 0.0), 0.0)
            if value <= 0:
                continue
            color = colors.get(key, "#9e9e9e")
            parts.append(
                f'<rect x="{x:.1f}" y="{y_of(running + value):.1f}" width="{bar_w:.1f}" '
                f'height="{y_of(running) - y_of(running + value):.1f}" fill="{color}" stroke="#fff" '
                f'stroke-width="0.5"><title>{_esc(label)} {_esc(key)}: {_esc(_fmt_number(value))}</title></rect>'
            )
            running += value
        if index % label_every == 0 or index == len(columns) - 1:
            parts.append(
                f'<text x="{x + bar_w / 2:.1f}" y="{baseline + 14}" text-anchor="middle" {_FONT} fill="{_AXIS}">'
                f"{_esc(label)}</text>"
            )
    parts.append(
        f'<line x1="{_MARGIN_LEFT}" y1="{baseline}" x2="{_MARGIN_LEFT + plot_w}" y2="{baseline}" stroke="{_AXIS}"/>'
    )
    parts.append(
        f'<text transform="translate(12 {_MARGIN_TOP + plot_h / 2:.1f}) rotate(-90)" text-anchor="middle" '
        f'{_FONT} fill="{_AXIS}">{_esc(y_label)}</text>'
    )
    x = _MARGIN_LEFT
    for key in keys:
        color = colors.get(key, "#9e9e9e")
        parts.append(
            f'<rect x="{x}" y="{height - 14}" width="10" height="10" fill="{color}" stroke="{_AXIS}" '
            f'stroke-width="0.5"/>'
        )
        parts.append(f'<text x="{x + 14}" y="{height - 5}" {_FONT} fill="{_TEXT}">{_esc(key)}</text>')
        x += 24 + 7 * len(key)
    parts.append("</svg>")
    return "\n".join(parts)
