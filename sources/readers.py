"""Turn a CSV, JSON or JSON Lines file into raw records with their row numbers.

Readers only parse; validation belongs to the importer. CSV rows are numbered
by the physical line on which they start (header is line 1), JSON Lines by
line, and a JSON array by record position.

Records are streamed: ``ParsedFile.records`` reads the file again each time it
is iterated, because the importer checks the whole file in one pass and writes
it in a second, and neither may hold the file in memory.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sources.decoding import text_chunks, text_lines
from sources.errors import ImportFailed, RowError
from sources.json_stream import JsonProblem, iter_array, kind_of, parse_value

LIST_SEPARATOR = ";"


@dataclass(frozen=True)
class RawRecord:
    row: int
    values: dict[str, Any]


class Records:
    """Records that can be iterated more than once, each time read afresh from their source."""

    def __init__(self, produce: Callable[[], Iterator[RawRecord]]) -> None:
        self._produce = produce

    def __iter__(self) -> Iterator[RawRecord]:
        return self._produce()


@dataclass(frozen=True)
class ParsedFile:
    name: str
    format: str
    row_label: str
    columns: tuple[str, ...] | None
    records: Iterable[RawRecord]


def detect_format(path: Path, explicit: str | None = None) -> str:
    if explicit:
        return explicit.lower()
    suffix = path.suffix.lower()
    if suffix in {".jsonl", ".ndjson"}:
        return "jsonl"
    if suffix == ".json":
        return "json"
    return "csv"


def _fail(
    path: Path, message: str, row: int | None = None, label: str = "line", field: str | None = None
) -> ImportFailed:
    return ImportFailed(str(path), [RowError(str(path), row, field, message, label)])


def _csv_reader(path: Path) -> tuple[Any, tuple[str, ...]]:
    """A csv reader positioned after the header, and the header's column names (checked)."""
    reader = csv.reader((text for _, text in text_lines(path)), strict=True)
    try:
        header = next(reader)
    except StopIteration:
        raise _fail(path, "is empty: expected a header row naming the columns") from None
    except csv.Error as exc:
        raise _fail(path, f"header is not valid CSV: {exc}", 1) from exc
    columns = tuple(h.strip() for h in header)
    if not any(columns):
        raise _fail(path, "header row is blank: expected column names", 1)
    seen: set[str] = set()
    for name in columns:
        if not name:
            raise _fail(path, "header has an empty column name", 1)
        if name in seen:
            raise _fail(path, f"header names column '{name}' twice", 1)
        seen.add(name)
    return reader, columns


def _csv_records(path: Path) -> Iterator[RawRecord]:
    reader, columns = _csv_reader(path)
    start = reader.line_num + 1
    try:
        for cells in reader:
            if cells and any(c.strip() for c in cells):
                if len(cells) != len(columns):
                    raise _fail(path, f"has {len(cells)} cells but the header has {len(columns)} columns", start)
                yield RawRecord(start, dict(zip(columns, cells, strict=True)))
            start = reader.line_num + 1
    except csv.Error as exc:
        raise _fail(path, f"is not valid CSV: {exc}", start) from exc


def _jsonl_records(path: Path) -> Iterator[RawRecord]:
    for number, line in text_lines(path):
        if not line.strip():
            continue
        try:
            value = parse_value(line)
        except JsonProblem as exc:
            raise _fail(path, exc.message, number, field=exc.field) from None
        if not isinstance(value, dict):
            raise _fail(path, f"must hold one JSON object per line, found {kind_of(value)}", number)
        yield RawRecord(number, value)


def _json_records(path: Path) -> Iterator[RawRecord]:
    try:
        for number, value in iter_array(text_chunks(path)):
            yield RawRecord(number, value)
    except JsonProblem as exc:
        if exc.record is not None:
            raise _fail(path, exc.message, exc.record, "record", exc.field) from None
        raise _fail(path, exc.message, exc.line, field=exc.field) from None


def read_file(path: Path, fmt: str | None = None) -> ParsedFile:
    """Open ``path`` for streaming; raises ImportFailed with a located message for anything unreadable.

    The header and the first record are read here, so an empty or unreadable file fails at once; any later
    problem surfaces while the records are iterated.
    """
    if not path.exists():
        raise _fail(path, "does not exist")
    if path.is_dir():
        raise _fail(path, "is a folder, not a file")
    kind = detect_format(path, fmt)
    columns: tuple[str, ...] | None = None
    if kind == "csv":
        columns = _csv_reader(path)[1]
        parsed = ParsedFile(str(path), "csv", "line", columns, Records(lambda: _csv_records(path)))
    elif kind == "jsonl":
        parsed = ParsedFile(str(path), "jsonl", "line", None, Records(lambda: _jsonl_records(path)))
    elif kind == "json":
        parsed = ParsedFile(str(path), "json", "record", None, Records(lambda: _json_records(path)))
    else:
        raise _fail(path, f"unknown format '{kind}'; use csv, json or jsonl")
    if next(iter(parsed.records), None) is None:
        raise _fail(path, "has no data rows")
    return parsed
