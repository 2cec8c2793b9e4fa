"""The book's ordering and the stakeholder map's picture: pure code, checked without a database."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import date
from decimal import Decimal
from typing import get_args

from api.page_charts import stakeholder_map
from api.routes.web_portfolio import Sort
from playbooks.account_view import Person
from playbooks.portfolio import BOOK_SORTS, BookRow, sort_book

SVG = "{http://www.w3.org/2000/svg}"


def _row(ext: str, score: float | None, arr: int | None, renewal: date | None = None) -> BookRow:
    return BookRow(0, ext, ext.lower(), None, Decimal(arr) if arr is not None else None, None, score, None, renewal, 0)


def test_missing_values_sort_last_in_both_directions() -> None:
    rows = [_row("A", 70, 10), _row("B", None, None), _row("C", 40, 30), _row("D", 90, 20)]
    assert [r.external_id for r in sort_book(rows, "score")] == ["C", "A", "D", "B"]
    assert [r.external_id for r in sort_book(rows, "-score")] == ["D", "A", "C", "B"]
    assert [r.external_id for r in sort_book(rows, "-arr")] == ["C", "D", "A", "B"]


def test_the_page_accepts_exactly_the_sorts_the_book_knows() -> None:
    assert set(get_args(Sort)) == set(BOOK_SORTS)
    for key in BOOK_SORTS:
        sort_book([_row("A", 1, 1, date(2027, 1, 1))], key)


def _person(name: str, role: str, stance: str, left: date | None = None) -> Person:
    return Person(name, "CTO", role, [role], stance, left, left is not None, None)


def test_the_map_writes_stance_and_departure_in_words_and_escapes_names() -> None:
    people = [
        _person("Ana <b>Ortiz</b>", "champion", "promoter"),
        _person("Ben Li", "champion", "detractor", date(2026, 11, 3)),
        _person("Cy Ng", "user", "passive"),
    ]
    svg = stakeholder_map(people, title="Stakeholder map of Acme & Co")
    root = ET.fromstring(svg)
    assert root.get("role") == "img" and root.find(f"{SVG}title").text == "Stakeholder map of Acme & Co"
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert "Ana <b>Ortiz</b>" in texts and "<b>" not in svg
    assert "promoter" in texts and "passive" in texts and "left on 2026-11-03" in texts
    assert [t for t in texts if t in ("Champion", "User")] == ["Champion", "User"]
    dashed = [r for r in root.iter(f"{SVG}rect") if r.get("stroke-dasharray")]
    assert len(dashed) == 1
    desc = root.find(f"{SVG}desc").text
    assert "Ben Li, Champion, detractor, left on 2026-11-03" in desc


def test_an_empty_map_says_so() -> None:
    root = ET.fromstring(stakeholder_map([], title="Stakeholder map of Acme"))
    assert "No stakeholders recorded" in root.find(f"{SVG}desc").text
