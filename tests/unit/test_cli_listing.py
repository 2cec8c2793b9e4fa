"""Lists render one set of typed rows three ways; tables fit the width without cutting identifiers."""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from decimal import Decimal

from rich.console import Console

from cli.listing import Column, Format, Listing, emit, fit_columns

LONG_EMAIL = "a.very.long.customer.success.manager.name@subsidiary.example-company.com"


def listing(rows: int = 3, total: int | None = None) -> Listing:
    return Listing(
        title="Renewals",
        columns=[
            Column("contract"),
            Column("owner"),
            Column("renews"),
            Column("arr", "ARR", kind="number"),
            Column("timeline", droppable=1),
            Column("why", kind="text"),
        ],
        rows=[
            {
                "contract": f"ACC-{i:05d}-C2",
                "owner": LONG_EMAIL,
                "renews": date(2027, 1, i + 1),
                "arr": Decimal("12345.67"),
                "timeline": "on track",
                "why": "at risk: health Orange (score 59.9); no customer contact in 146 days, renewal in 40 days",
            }
            for i in range(rows)
        ],
        total=rows if total is None else total,
        empty="no renewals due within 90 days for owner x@y.example",
    )


def render(items: Listing, fmt: Format, width: int) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    emit(items, fmt, Console(file=out, width=width), Console(file=err, width=width))
    return out.getvalue(), err.getvalue()


def test_a_narrow_table_keeps_every_identifier_whole_and_wraps_the_text() -> None:
    for width in (100, 200):
        out, _ = render(listing(), Format.table, width)
        assert max(len(line) for line in out.splitlines()) <= width
        for i in range(3):
            assert f"ACC-{i:05d}-C2" in out
            assert f"2027-01-0{i + 1}" in out
        assert out.count(LONG_EMAIL) == 3  # never folded over two lines
    wide, _ = render(listing(), Format.table, 200)
    assert "timeline" in wide and "left out" not in wide
    narrow, _ = render(listing(), Format.table, 100)
    assert "timeline left out to fit 100 columns" in narrow


def test_fit_drops_empty_columns_before_droppable_ones_and_never_an_id() -> None:
    columns = [Column("id"), Column("note", kind="text"), Column("flag"), Column("extra", droppable=1)]
    cells = [["X" * 40, "some words " * 5, "", "y" * 20]]
    assert fit_columns(columns, cells, 200) == [0, 1, 2, 3]
    assert fit_columns(columns, cells, 90) == [0, 1, 3]  # the empty flag column went first
    assert fit_columns(columns, cells, 60) == [0, 1]
    assert fit_columns(columns, cells, 10) == [0, 1]  # too narrow for anything: the id still stays


def test_json_is_a_list_of_objects_with_typed_values() -> None:
    out, err = render(listing(2, total=5), Format.json, 100)
    rows = json.loads(out)
    assert len(rows) == 2
    assert rows[0] == {
        "contract": "ACC-00000-C2",
        "owner": LONG_EMAIL,
        "renews": "2027-01-01",
        "arr": 12345.67,
        "timeline": "on track",
        "why": "at risk: health Orange (score 59.9); no customer contact in 146 days, renewal in 40 days",
    }
    assert "showing 2 of 5" in err and "showing" not in out


def test_csv_has_a_header_and_one_row_per_item_and_quotes_formulas() -> None:
    items = listing(2)
    items.rows[1]["why"] = "=HYPERLINK('http://evil')"
    out, _ = render(items, Format.csv, 100)
    rows = list(csv.reader(io.StringIO(out)))
    assert rows[0] == ["contract", "owner", "renews", "arr", "timeline", "why"]
    assert len(rows) == 3
    assert rows[1][:4] == ["ACC-00000-C2", LONG_EMAIL, "2027-01-01", "12345.67"]
    assert rows[2][5].startswith("'=")


def test_an_empty_list_says_so_in_every_format() -> None:
    empty = listing(0)
    out, _ = render(empty, Format.table, 100)
    assert out.strip() == "no renewals due within 90 days for owner x@y.example"
    out, err = render(empty, Format.json, 100)
    assert json.loads(out) == [] and "no renewals due" in err
    out, err = render(empty, Format.csv, 100)
    assert out.strip() == "contract,owner,renews,arr,timeline,why" and "no renewals due" in err


def test_a_truncated_table_says_how_many_it_shows() -> None:
    out, _ = render(listing(3, total=40), Format.table, 120)
    assert "showing 3 of 40" in out
    out, _ = render(listing(3), Format.table, 120)
    assert "showing" not in out


def test_output_that_is_not_a_terminal_is_100_columns_unless_columns_says(monkeypatch) -> None:
    from cli.context import PIPE_WIDTH, output_width

    monkeypatch.delenv("COLUMNS", raising=False)
    assert output_width(interactive=False) == PIPE_WIDTH == 100
    assert output_width(interactive=True) is None  # a terminal: rich measures it
    monkeypatch.setenv("COLUMNS", "200")
    assert output_width(interactive=False) == 200
    assert output_width(interactive=True) == 200
