"""Turn a CSV, JSON or JSON Lines file into raw records with their row numbers.

Readers only parse; validation belongs to the importer. CSV rows are numbered
by the physical line on which they start (header is line 1), JSON Lines by
line, and a JSON array by record position.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sources.errors import ImportFailed, RowError

LIST_SEPARATOR = ";"


@dataclass(frozen=True)
class RawRecord:
    row: int
    values: dict[str, Any]


@dataclass(frozen=True)
class ParsedFile:
    name: str
    format: str
    row_label: str
    columns: tuple[str, ...] | None
    records: list[RawRecord]


def detect_format(path: Path, explicit: str | None = None) -> str:
    if explicit:
        return explicit.lower()
    suffix = path.suffix.lower()
    if suffix in {".jsonl", ".ndjson"}:
        return "jsonl"
    if suffix == ".json":
        return "json"
    return "csv"


def _decode(path: Path, data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ImportFailed(
            str(path),
            [
                RowError(
                    str(path),
                    line,
                    None,
                    f"is not valid UTF-8 (byte 0x{data[exc.start]:02x} at offset {exc.start}); "
                    "re-save the file as UTF-8 and import again",
                )
            ],
        ) from exc


def _fail(path: Path, message: str, row: int | None = None, label: str = "line") -> ImportFailed:
    return ImportFailed(str(path), [RowError(str(path), row, None, message, label)])


def read_csv(path: Path, text: str) -> ParsedFile:
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
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

    records: list[RawRecord] = []
    start = reader.line_num + 1
    try:
        for cells in reader:
            if cells and any(c.strip() for c in cells):
                if len(cells) != len(columns):
                    raise _fail(path, f"has {len(cells)} cells but the header has {len(columns)} columns", start)
                records.append(RawRecord(start, dict(zip(columns, cells, strict=True))))
            start = reader.line_num + 1
    except csv.Error as exc:
        raise _fail(path, f"is not valid CSV: {exc}", start) from exc
    return ParsedFile(str(path), "csv", "line", columns, records)


def read_jsonl(path: Path, text: str) -> ParsedFile:
    records: list[RawRecord] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except json.JSONDecodeError as exc:
            raise _fail(path, f"is not valid JSON: {exc.msg} (column {exc.colno})", number) from exc
        if not isinstance(value, dict):
            raise _fail(path, f"must hold one JSON object per line, found {type(value).__name__}", number)
        records.append(RawRecord(number, value))
    return ParsedFile(str(path), "jsonl", "line", None, records)


def read_json(path: Path, text: str) -> ParsedFile:
    if not text.strip():
        raise _fail(path, "is empty: expected a JSON array of objects")
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise _fail(path, f"is not valid JSON: {exc.msg} (column {exc.colno})", exc.lineno) from exc
    if not isinstance(value, list):
        raise _fail(path, f"must hold a JSON array of objects, found {type(value).__name__}")
    records: list[RawRecord] = []
    for index, item in enumerate(value, start=1):
        if not isinstance(item, dict):
            raise _fail(path, f"must be a JSON object, found {type(item).__name__}", index, "record")
        records.append(RawRecord(index, item))
    return ParsedFile(str(path), "json", "record", None, records)


def read_file(path: Path, fmt: str | None = None) -> ParsedFile:
    """Parse ``path``; raises ImportFailed with a located message for anything unreadable."""
    if not path.exists():
        raise _fail(path, "does not exist")
    if path.is_dir():
        raise _fail(path, "is a folder, not a file")
    kind = detect_format(path, fmt)
    text = _decode(path, path.read_bytes())
    if kind == "csv":
        parsed = read_csv(path, text)
    elif kind == "jsonl":
        parsed = read_jsonl(path, text)
    elif kind == "json":
        parsed = read_json(path, text)
    else:
        raise _fail(path, f"unknown format '{kind}'; use csv, json or jsonl")
    if not parsed.records:
        raise _fail(path, "has no data rows")
    return parsed


def iter_columns(parsed: ParsedFile) -> Iterator[str]:
    if parsed.columns is not None:
        yield from parsed.columns
        return
    seen: set[str] = set()
    for record in parsed.records:
        for key in record.values:
            if key not in seen:
                seen.add(key)
                yield key
