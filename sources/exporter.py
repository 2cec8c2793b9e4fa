"""Write an entity's rows as CSV in exactly the format the importer reads back.

Text cells a spreadsheet would run as a formula are quoted (``sources.spreadsheet``) unless ``raw``; numbers,
dates and booleans are never touched, so a negative number stays a number. ``watchtower import`` undoes the
quoting, so either export reads back to the stored values (a raw one with ``import --raw``).
"""

from __future__ import annotations

import csv
from collections import defaultdict
from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal
from typing import IO, Any

from sqlalchemy import Table, select
from sqlalchemy.engine import Engine

from core.models import InteractionParticipant
from sources.entities import ENTITIES, EntitySpec, get_entity
from sources.readers import LIST_SEPARATOR
from sources.spreadsheet import neutralise


def format_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, list):
        return LIST_SEPARATOR.join(str(v) for v in value)
    return str(value)


def _id_maps(engine: Engine, spec: EntitySpec) -> dict[str, dict[int, str]]:
    targets = {r.target for r in spec.references} | ({"contact"} if spec.participants_field else set())
    out: dict[str, dict[int, str]] = {}
    with engine.connect() as conn:
        for target in targets:
            table: Table = ENTITIES[target].table.__table__  # type: ignore[attr-defined]
            out[target] = {r.id: r.external_id for r in conn.execute(select(table.c.id, table.c.external_id))}
    return out


def iter_export_rows(engine: Engine, entity: str) -> tuple[list[str], Iterator[dict[str, Any]]]:
    """Column names and rows (as import-format dicts), ordered by natural key for stable diffs."""
    spec = get_entity(entity)
    table: Table = spec.table.__table__  # type: ignore[attr-defined]
    maps = _id_maps(engine, spec)
    participants: dict[int, list[str]] = defaultdict(list)
    with engine.connect() as conn:
        if spec.participants_field:
            link: Table = InteractionParticipant.__table__  # type: ignore[attr-defined]
            for r in conn.execute(select(link.c.interaction_id, link.c.contact_id).order_by(link.c.id)):
                participants[r.interaction_id].append(maps["contact"][r.contact_id])
        rows = [dict(r) for r in conn.execute(select(table)).mappings()]

    dict_keys: dict[str, set[str]] = {f: set() for f in spec.dict_fields}
    out_rows: list[dict[str, Any]] = []
    for row in rows:
        item: dict[str, Any] = {}
        for name in spec.row_fields:
            ref = spec.reference_by_field.get(name)
            if ref is not None:
                db_id = row.get(ref.column)
                item[name] = maps[ref.target].get(db_id) if db_id is not None else None
            elif name == spec.participants_field:
                item[name] = sorted(participants.get(row["id"], []))
            elif name in spec.dict_fields:
                for key, value in (row.get(name) or {}).items():
                    dict_keys[name].add(key)
                    item[f"{name}.{key}"] = value
            else:
                item[name] = row.get(name)
        out_rows.append(item)

    columns: list[str] = []
    for name in spec.row_fields:
        if name in spec.dict_fields:
            columns.extend(f"{name}.{k}" for k in sorted(dict_keys[name]))
        else:
            columns.append(name)

    def sort_key(item: dict[str, Any]) -> tuple[str, ...]:
        fields = ["external_id"] if spec.uses_external_id else [spec.references[0].field, *spec.key[1:]]
        return tuple(format_cell(item.get(f)) for f in fields)

    return columns, iter(sorted(out_rows, key=sort_key))


def safe_cell(value: Any) -> str:
    """The cell as text, quoted when it is text a spreadsheet would evaluate."""
    text = format_cell(value)
    return neutralise(text) if isinstance(value, str | list) else text


def export_csv(engine: Engine, entity: str, stream: IO[str], *, raw: bool = False) -> int:
    """``raw``: cells exactly as stored, for machine consumers that never open the file in a spreadsheet."""
    columns, rows = iter_export_rows(engine, entity)
    writer = csv.writer(stream, lineterminator="\n")
    writer.writerow(columns)
    cell = format_cell if raw else safe_cell
    count = 0
    for row in rows:
        writer.writerow([cell(row.get(c)) for c in columns])
        count += 1
    return count
