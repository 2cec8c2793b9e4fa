"""Import one file into one entity's table as a single transaction.

Order of work: parse, validate every row, resolve references, and only when
the whole file is clean, upsert by natural key. Any error means nothing is
written, and every error found (up to a limit) is reported with its row.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Table, bindparam, delete, insert, select, update
from sqlalchemy.engine import Engine

from core.bulk import bulk_insert
from core.models import ImportRun, InteractionParticipant
from sources.entities import EntitySpec, get_entity
from sources.errors import ImportFailed
from sources.readers import ParsedFile, RawRecord, read_file
from sources.references import Resolved, chunks, lookup_ids, resolve
from sources.validation import DEFAULT_ERROR_LIMIT, ErrorCollector, ValidRow, validate_records

logger = logging.getLogger(__name__)

Clock = Callable[[], datetime]


def _utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class ImportResult:
    entity: str
    file: str
    rows: int
    inserted: int
    updated: int
    unchanged: int


def _table_values(spec: EntitySpec, vr: ValidRow, ids: dict[str, int | None]) -> dict[str, Any]:
    data = vr.data.model_dump()
    for ref in spec.references:
        data.pop(ref.field, None)
    if spec.participants_field:
        data.pop(spec.participants_field, None)
    data.update(ids)
    return data


def _existing_rows(
    conn: Connection, spec: EntitySpec, values: list[dict[str, Any]]
) -> dict[tuple[Any, ...], dict[str, Any]]:
    """Current rows that share a natural key with the file, keyed by that key."""
    table: Table = spec.table.__table__  # type: ignore[attr-defined]
    found: dict[tuple[Any, ...], dict[str, Any]] = {}
    if spec.uses_external_id:
        column, wanted = table.c.external_id, sorted({v["external_id"] for v in values})
    else:
        column, wanted = table.c.account_id, sorted({v["account_id"] for v in values})
    for part in chunks(wanted):
        for row in conn.execute(select(table).where(column.in_(part))).mappings():
            found[tuple(row[k] for k in spec.key)] = dict(row)
    return found


def _upsert(
    conn: Connection, spec: EntitySpec, values: list[dict[str, Any]]
) -> tuple[set[tuple[Any, ...]], set[tuple[Any, ...]]]:
    """Insert new rows and update changed ones; returns the keys inserted and the keys changed."""
    table: Table = spec.table.__table__  # type: ignore[attr-defined]
    existing = _existing_rows(conn, spec, values)
    to_insert: list[dict[str, Any]] = []
    to_update: list[dict[str, Any]] = []
    inserted: set[tuple[Any, ...]] = set()
    changed: set[tuple[Any, ...]] = set()
    for row in values:
        key = tuple(row[k] for k in spec.key)
        current = existing.get(key)
        if current is None:
            to_insert.append(row)
            inserted.add(key)
        elif any(current.get(col) != val for col, val in row.items()):
            to_update.append({"b_id": current["id"], **{f"b_{c}": v for c, v in row.items()}})
            changed.add(key)
    bulk_insert(conn, table, to_insert)
    if to_update:
        columns = [c for c in values[0] if c != "id"]
        stmt = update(table).where(table.c.id == bindparam("b_id")).values({c: bindparam(f"b_{c}") for c in columns})
        for part in chunks(to_update, 5000):
            conn.execute(stmt, part)
    return inserted, changed


def _link_deferred_parents(conn: Connection, spec: EntitySpec, rows: list[ValidRow], resolved: Resolved) -> None:
    if not resolved.deferred_parents:
        return
    table: Table = spec.table.__table__  # type: ignore[attr-defined]
    by_row = {vr.row: vr.data.external_id for vr in rows}  # type: ignore[attr-defined]
    wanted = set(resolved.deferred_parents.values()) | {by_row[r] for r in resolved.deferred_parents}
    ids = lookup_ids(conn, "account", wanted)
    stmt = update(table).where(table.c.id == bindparam("b_id")).values(parent_id=bindparam("b_parent"))
    conn.execute(
        stmt, [{"b_id": ids[by_row[r]][0], "b_parent": ids[p][0]} for r, p in resolved.deferred_parents.items()]
    )


def _sync_participants(conn: Connection, rows: list[ValidRow], resolved: Resolved) -> set[str]:
    """Make each interaction's participant set equal the file's; returns interactions that changed."""
    link: Table = InteractionParticipant.__table__  # type: ignore[attr-defined]
    ids = lookup_ids(conn, "interaction", [vr.data.external_id for vr in rows])  # type: ignore[attr-defined]
    wanted = {ids[vr.data.external_id][0]: set(resolved.participants.get(vr.row, [])) for vr in rows}  # type: ignore[attr-defined]
    current: dict[int, set[int]] = {i: set() for i in wanted}
    for part in chunks(sorted(wanted)):
        for r in conn.execute(select(link.c.interaction_id, link.c.contact_id).where(link.c.interaction_id.in_(part))):
            current[r.interaction_id].add(r.contact_id)
    changed_ids: set[int] = set()
    adds: list[dict[str, int]] = []
    for interaction_id, target in wanted.items():
        have = current[interaction_id]
        if have == target:
            continue
        changed_ids.add(interaction_id)
        gone = have - target
        if gone:
            conn.execute(delete(link).where(link.c.interaction_id == interaction_id, link.c.contact_id.in_(gone)))
        adds.extend({"interaction_id": interaction_id, "contact_id": c} for c in sorted(target - have))
    bulk_insert(conn, link, adds)
    by_id = {v[0]: k for k, v in ids.items()}
    return {by_id[i] for i in changed_ids}


def load_valid_rows(
    conn: Connection, spec: EntitySpec, parsed: ParsedFile, rows: list[ValidRow], errors: ErrorCollector
) -> tuple[int, int]:
    """Resolve and upsert validated rows on an open transaction; raises ImportFailed on any error."""
    resolved = resolve(conn, spec, parsed, rows, errors)
    if errors:
        raise ImportFailed(parsed.name, errors.errors, truncated=errors.truncated)
    values = [_table_values(spec, vr, resolved.ids[vr.row]) for vr in rows]
    inserted, changed = _upsert(conn, spec, values)
    _link_deferred_parents(conn, spec, rows, resolved)
    updated = len(changed)
    if spec.participants_field:
        relinked = _sync_participants(conn, rows, resolved)
        # An existing interaction whose only change is its participants counts as updated.
        updated += len(relinked - {k[0] for k in inserted} - {k[0] for k in changed})
    return len(inserted), updated


def import_file(
    engine: Engine,
    entity: str,
    path: Path,
    *,
    fmt: str | None = None,
    error_limit: int = DEFAULT_ERROR_LIMIT,
    clock: Clock = _utcnow,
) -> ImportResult:
    """Validate and load ``path`` into ``entity``; all or nothing."""
    spec = get_entity(entity)
    started = clock()
    parsed = read_file(path, fmt)
    errors = ErrorCollector(error_limit)
    rows = validate_records(spec, parsed, errors)
    if errors:
        raise ImportFailed(parsed.name, errors.errors, truncated=errors.truncated)
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    return _load(engine, spec, parsed, rows, errors, digest=digest, source=str(path), started=started, clock=clock)


def import_records(
    engine: Engine,
    entity: str,
    records: list[dict[str, Any]],
    *,
    source: str,
    error_limit: int = DEFAULT_ERROR_LIMIT,
    clock: Clock = _utcnow,
) -> ImportResult:
    """Validate and load records that arrived without a file (an event, a feed); same rules, all or nothing.

    ``source`` names where they came from in errors and in the import log (``POST /events``, a feed URL).
    """
    spec = get_entity(entity)
    started = clock()
    parsed = ParsedFile(source, "json", "item", None, [RawRecord(n, r) for n, r in enumerate(records, start=1)])
    errors = ErrorCollector(error_limit)
    rows = validate_records(spec, parsed, errors)
    if errors:
        raise ImportFailed(parsed.name, errors.errors, truncated=errors.truncated)
    digest = hashlib.sha256(json.dumps(records, sort_keys=True, default=str).encode()).hexdigest()
    return _load(engine, spec, parsed, rows, errors, digest=digest, source=source, started=started, clock=clock)


def _load(
    engine: Engine,
    spec: EntitySpec,
    parsed: ParsedFile,
    rows: list[ValidRow],
    errors: ErrorCollector,
    *,
    digest: str,
    source: str,
    started: datetime,
    clock: Clock,
) -> ImportResult:
    with engine.begin() as conn:
        inserted, updated = load_valid_rows(conn, spec, parsed, rows, errors)
        conn.execute(
            insert(ImportRun.__table__),  # type: ignore[attr-defined]
            {
                "entity": spec.name,
                "file_name": source,
                "file_sha256": digest,
                "rows": len(rows),
                "inserted": inserted,
                "updated": updated,
                "unchanged": len(rows) - inserted - updated,
                "started_at": started,
                "finished_at": clock(),
            },
        )
    logger.info("imported %s from %s: %d new, %d updated", spec.name, source, inserted, updated)
    return ImportResult(spec.name, source, len(rows), inserted, updated, len(rows) - inserted - updated)
