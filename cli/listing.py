"""Every list the command line prints, one way: a table that fits the terminal, or JSON, or CSV.

A list is built as typed rows (numbers stay numbers, dates stay dates) and only then rendered, so the three
formats cannot disagree. A table never cuts an identifier: ids, emails and dates keep their full width and
only text columns wrap; when even that cannot fit, the columns marked droppable go first, and the table says
so. JSON and CSV go to standard output untouched; the notes about them ("showing 50 of 212") go to standard
error, so a pipe reads only data.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any, Literal

import typer
from rich import box
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text
from sqlalchemy import Connection, RowMapping, Select, func, select

from sources.spreadsheet import neutralise


class Format(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"


FormatOption = Annotated[
    Format, typer.Option("--format", help="table for people; json (typed values) or csv for programs.")
]

#: A column that holds names people search for (ids, emails, dates) is never cut; text wraps.
Kind = Literal["id", "number", "text"]
#: The narrowest a wrapping text column is squeezed to before droppable columns go.
MIN_TEXT = 24
#: What a column costs beyond its cells in the SIMPLE_HEAD box: a space of padding each side and the divider;
#: the table's outer edge has neither padding nor divider, so a table gets EDGE_CREDIT back.
PADDING = 3
EDGE_CREDIT = 3


@dataclass(frozen=True)
class Column:
    key: str
    header: str = ""
    kind: Kind = "id"
    #: Shown as rich markup in the table (e.g. a colour); the default escapes the value's text.
    markup: Callable[[Any], str] | None = None
    #: Dropped from the table (never from JSON or CSV) when the terminal is too narrow to show the rest:
    #: 0 never, else the highest goes first (the rightmost among equals).
    droppable: int = 0

    @property
    def title(self) -> str:
        return self.header or self.key


@dataclass
class Listing:
    """One page of a list: the rows shown, how many matched, and what to say when none did."""

    title: str
    columns: list[Column]
    rows: list[dict[str, Any]]
    total: int
    empty: str
    notes: list[str] = field(default_factory=list)

    @property
    def truncated(self) -> bool:
        return len(self.rows) < self.total


def text_of(value: Any) -> str:
    """A cell as a person reads it: no 'None', numbers with thousands separators when they are money."""
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else ""
    if isinstance(value, float | Decimal):
        if value == 0:
            return "0"
        return f"{value:,.2f}" if abs(value) < 10 else f"{value:,.0f}"
    if isinstance(value, list | tuple):
        return ", ".join(text_of(v) for v in value)
    return str(value)


def json_value(value: Any) -> Any:
    """Typed JSON: numbers as numbers, dates as ISO strings, money (Decimal) as a number."""
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [json_value(v) for v in value]
    if isinstance(value, dict):
        return {k: json_value(v) for k, v in value.items()}
    return value


def csv_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return neutralise("; ".join(csv_value(v) for v in value))
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float | Decimal):
        return str(value)
    return neutralise(str(value))


def fit_columns(columns: Sequence[Column], cells: Sequence[Sequence[str]], width: int) -> list[int]:
    """Indexes of the columns to show in ``width`` characters: ids whole, text at least MIN_TEXT wide.

    Empty columns go first, then droppable ones by rank, until the rest fits; a table that still does not fit
    keeps every remaining column and lets the text columns wrap narrower (ids are still never cut)."""

    def need(i: int) -> int:
        widest = max([len(columns[i].title), *(len(row[i]) for row in cells)])
        return (min(widest, MIN_TEXT) if columns[i].kind == "text" else widest) + PADDING

    def blank(i: int) -> bool:
        return all(row[i] in ("", "-") for row in cells)

    shown = list(range(len(columns)))
    # Columns with nothing to say go first, then the droppable ones from the right.
    ranked = sorted((i for i in shown if columns[i].droppable), key=lambda i: (-columns[i].droppable, -i))
    for i in [*(i for i in shown if blank(i)), *ranked]:
        if sum(need(j) for j in shown) <= width + EDGE_CREDIT:
            break
        if i in shown and (columns[i].droppable or blank(i)):
            shown.remove(i)
    return shown


def _cells(listing: Listing) -> list[list[str]]:
    """Each cell as it will be drawn: markup rendered, so widths are measured on what shows."""
    return [
        [escape(text_of(row.get(c.key))) if c.markup is None else c.markup(row.get(c.key)) for c in listing.columns]
        for row in listing.rows
    ]


def build_table(listing: Listing, width: int) -> tuple[Table, list[str]]:
    """The table and the headers of the columns left out to fit ``width``."""
    drawn = _cells(listing)
    cells = [[Text.from_markup(cell).plain for cell in row] for row in drawn]
    shown = fit_columns(listing.columns, cells, width)
    table = Table(
        title=listing.title or None, title_justify="left", box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False
    )
    for i in shown:
        c = listing.columns[i]
        if c.kind == "text":
            table.add_column(c.title, overflow="fold", ratio=1)
        else:
            widest = max([len(c.title), *(len(row[i]) for row in cells)])
            table.add_column(c.title, no_wrap=True, min_width=widest, justify="right" if c.kind == "number" else "left")
    for row in drawn:
        table.add_row(*(row[i] for i in shown))
    return table, [listing.columns[i].title for i in range(len(listing.columns)) if i not in shown]


def showing(listing: Listing) -> str | None:
    if listing.truncated:
        return f"showing {len(listing.rows)} of {listing.total} (raise --limit to see more)"
    return None


def emit(listing: Listing, fmt: Format, console: Console, err_console: Console) -> None:
    """Print the list in the chosen format; data to standard output, notes about it beside it."""
    if fmt is Format.table:
        if not listing.rows:
            console.print(escape(listing.empty), highlight=False)
        else:
            table, left_out = build_table(listing, console.width)
            console.print(table)
            if left_out:
                console.print(
                    f"[dim]{escape(', '.join(left_out))} left out to fit {console.width} columns; "
                    "--format csv has every column[/]"
                )
        for line in [*(n for n in [showing(listing)] if n), *listing.notes]:
            console.print(escape(line), highlight=False)
        return
    if fmt is Format.json:
        keys = [c.key for c in listing.columns]
        payload = [{k: json_value(row.get(k)) for k in keys} for row in listing.rows]
        console.out(json.dumps(payload, indent=2, ensure_ascii=False), highlight=False)
    else:
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow([c.key for c in listing.columns])
        for row in listing.rows:
            writer.writerow([csv_value(row.get(c.key)) for c in listing.columns])
        console.out(buffer.getvalue().rstrip("\n"), highlight=False)
    for line in [listing.empty if not listing.rows else None, showing(listing)]:
        if line:
            err_console.print(escape(line), highlight=False)


def page(conn: Connection, query: Select, limit: int) -> tuple[list[RowMapping], int]:
    """The first ``limit`` rows of an ordered query and how many it matches in all."""
    total = conn.execute(select(func.count()).select_from(query.order_by(None).subquery())).scalar_one()
    return list(conn.execute(query.limit(limit)).mappings().all()), total
