"""The SVG charts: safe to embed (every label escaped), accessible, and drawn for awkward data."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import date, timedelta

from core.charts import bar_chart, line_chart, stacked_bars

SVG = "{http://www.w3.org/2000/svg}"
EVIL = '<script>alert("x")</script> & "Acme"'


def _parse(svg: str) -> ET.Element:
    """Parsing proves the string is well-formed XML, so no label broke out of its element."""
    return ET.fromstring(svg)


def _circles_y(svg: str) -> list[float]:
    return [float(c.get("cy", "nan")) for c in _parse(svg).iter(f"{SVG}circle")]


def _accessible(svg: str, title: str) -> None:
    root = _parse(svg)
    assert root.get("role") == "img"
    assert root.find(f"{SVG}title") is not None and root.find(f"{SVG}title").text == title
    desc = root.find(f"{SVG}desc")
    assert desc is not None and desc.text


def test_labels_are_escaped_everywhere() -> None:
    day = date(2026, 11, 2)
    charts = [
        line_chart(
            [(EVIL, [(day, 1.0), (day + timedelta(7), 2.0)]), ("b", [(day, 3.0)])],
            title=EVIL,
            y_label=EVIL,
            bands=[(0, 50, EVIL)],
        ),
        bar_chart([(EVIL, 3.0)], title=EVIL),
        stacked_bars([(EVIL, {EVIL: 2.0})], title=EVIL, colors={EVIL: "#123456"}),
    ]
    for svg in charts:
        assert "<script>" not in svg
        root = _parse(svg)
        assert root.find(f"{SVG}title").text == EVIL
        assert not list(root.iter("script")) and not list(root.iter(f"{SVG}script"))
        texts = [t.text for t in root.iter(f"{SVG}text")]
        assert EVIL in texts


def test_empty_series_says_so() -> None:
    for svg in (
        line_chart([], title="Score", y_label="score"),
        line_chart([("a", [])], title="Score", y_label="score"),
        bar_chart([], title="Score"),
        stacked_bars([], title="Score", colors={"Green": "#2e7d32"}),
    ):
        _accessible(svg, "Score")
        assert "No data to show" in svg


def test_one_point_is_drawn_in_the_middle() -> None:
    svg = line_chart([("score", [(date(2026, 11, 2), 42.0)])], title="Score", y_label="score")
    _accessible(svg, "Score")
    circles = list(_parse(svg).iter(f"{SVG}circle"))
    assert len(circles) == 1
    assert "42" in _parse(svg).find(f"{SVG}desc").text
    assert "polyline" not in svg


def test_constant_series_has_a_visible_range() -> None:
    day = date(2026, 11, 2)
    svg = line_chart([("s", [(day + timedelta(7 * i), 50.0) for i in range(4)])], title="Flat", y_label="score")
    ys = _circles_y(svg)
    assert len(set(ys)) == 1
    assert all(y == y for y in ys), "no NaN coordinates"
    assert "nan" not in svg.lower() and "inf" not in svg.lower()


def test_values_outside_the_range_are_clamped_and_marked() -> None:
    day = date(2026, 11, 2)
    height = 220
    svg = line_chart(
        [("s", [(day, -20.0), (day + timedelta(7), 50.0), (day + timedelta(14), 140.0)])],
        title="Score",
        y_label="score",
        y_min=0,
        y_max=100,
        height=height,
    )
    ys = _circles_y(svg)
    assert all(0 <= y <= height for y in ys)
    assert max(ys) > ys[1] > min(ys)
    hollow = [c for c in _parse(svg).iter(f"{SVG}circle") if c.get("fill") == "#fff"]
    assert len(hollow) == 2


def test_bands_are_shaded_and_labelled() -> None:
    day = date(2026, 11, 2)
    svg = line_chart(
        [("s", [(day, 30.0), (day + timedelta(7), 70.0)])],
        title="Score",
        y_label="score",
        y_min=0,
        y_max=100,
        bands=[(75, 100, "Green"), (0, 40, "Red")],
    )
    texts = [t.text for t in _parse(svg).iter(f"{SVG}text")]
    assert "Green" in texts and "Red" in texts


def test_stacked_bars_stack_to_the_total_and_keep_unknown_keys() -> None:
    svg = stacked_bars(
        [("W1", {"Green": 6.0, "Red": 4.0}), ("W2", {"Green": 5.0, "Mystery": 5.0})],
        title="Bands",
        colors={"Green": "#2e7d32", "Red": "#b3261e"},
    )
    _accessible(svg, "Bands")
    rects = [r for r in _parse(svg).iter(f"{SVG}rect") if r.find(f"{SVG}title") is not None]
    heights = {r.find(f"{SVG}title").text: float(r.get("height")) for r in rects}
    assert heights["W1 Green: 6"] + heights["W1 Red: 4"] == heights["W2 Green: 5"] + heights["W2 Mystery: 5"]
    assert "Mystery" in [t.text for t in _parse(svg).iter(f"{SVG}text")]


def test_bar_values_are_formatted() -> None:
    svg = bar_chart([("Acme", 1234.5), ("Globex", -10.0)], title="ARR", value_format=lambda v: f"${v:,.0f}")
    _accessible(svg, "ARR")
    assert "$1,234" in svg and "$-10" in svg
    assert re.search(r"Acme \$1,23\d", _parse(svg).find(f"{SVG}desc").text)
