"""Import one file into one entity's table as a single transaction.

Order of work: a first pass reads and validates every row (nothing kept but
what finding duplicate keys needs); only when the whole file is clean does a
second pass read it again and, in one transaction, resolve references and
upsert by natural key a batch at a time. Any error means nothing is written,
and every error found (up to a limit) is reported with its row. Memory stays
flat in the number of rows.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import islice
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Table, bindparam, insert, update
from sqlalchemy.engine import Engine

from core.models import ImportRun
from sources.entities import EntitySpec, get_entity
from sources.errors import ImportFailed, RowError
from sources.readers import ParsedFile, RawRecord, read_file
from sources.references import find_cycles, lookup_ids, resolve
from sources.upsert import plan_write, sync_participants, upsert
from sources.validation import (
    DEFAULT_ERROR_LIMIT,
    DEFAULT_OPTIONS,
    ErrorCollector,
    ImportOptions,
    ValidRow,
    check_records,
    iter_valid_rows,
)

logger = logging.getLogger(__name__)

Clock = Callable[[], datetime]
BATCH = 2000


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


def _batches(rows: Iterator[ValidRow]) -> Iterator[list[ValidRow]]:
    while batch := list(islice(rows, BATCH)):
        yield batch


@dataclass
class _Tally:
    inserted: int = 0
    updated: int = 0


class _Loader:
    """The second pass on an open transaction: batches resolved and written, parents linked, cycles checked."""

    def __init__(self, conn: Connection, spec: EntitySpec, parsed: ParsedFile, errors: ErrorCollector) -> None:
        self.conn, self.spec, self.parsed, self.errors = conn, spec, parsed, errors
        self.tally = _Tally()
        #: account rows whose parent was not found when written: row -> (external id, parent external id)
        self.deferred: dict[int, tuple[str, str]] = {}
        #: accounts the file gave a parent, to check for cycles: external id -> row
        self.children: dict[str, int] = {}

    def batch(self, rows: list[ValidRow]) -> None:
        resolved = resolve(self.conn, self.spec, self.parsed, rows, self.errors)
        if self.errors:
            return  # keep finding errors, write nothing more: the transaction is rolled back
        writes = [plan_write(self.spec, vr, resolved.ids[vr.row]) for vr in rows]
        inserted, changed = upsert(self.conn, self.spec, writes)
        self.tally.inserted += len(inserted)
        self.tally.updated += len(changed)
        if self.spec.name == "account":
            for vr in rows:
                parent = vr.data.parent_external_id  # type: ignore[attr-defined]
                if parent is not None:
                    self.children[vr.data.external_id] = vr.row  # type: ignore[attr-defined]
            by_row = {vr.row: vr for vr in rows}
            for row, parent in resolved.deferred_parents.items():
                self.deferred[row] = (by_row[row].data.external_id, parent)  # type: ignore[attr-defined]
        if self.spec.participants_field:
            relinked = sync_participants(self.conn, self.spec, rows, resolved)
            # An existing interaction whose only change is its participants counts as updated.
            self.tally.updated += len(relinked - {k[0] for k in inserted} - {k[0] for k in changed})

    def finish(self) -> None:
        """Parents that came later in the file, then the hierarchy as a whole."""
        if self.errors:
            return
        if self.deferred:
            table: Table = self.spec.table.__table__  # type: ignore[attr-defined]
            ids = lookup_ids(self.conn, "account", {n for pair in self.deferred.values() for n in pair})
            links = []
            for row, (child, parent) in sorted(self.deferred.items()):
                if parent not in ids:
                    message = f"no account with external_id '{parent}'; import accounts first"
                    self.errors.add(
                        RowError(self.parsed.name, row, "parent_external_id", message, self.parsed.row_label)
                    )
                else:
                    links.append({"b_id": ids[child][0], "b_parent": ids[parent][0]})
            if self.errors:
                return
            stmt = update(table).where(table.c.id == bindparam("b_id")).values(parent_id=bindparam("b_parent"))
            self.conn.execute(stmt, links)
        if self.children:
            find_cycles(self.conn, self.parsed.name, self.parsed.row_label, self.children, self.errors)


def load_rows(
    conn: Connection,
    spec: EntitySpec,
    parsed: ParsedFile,
    errors: ErrorCollector,
    options: ImportOptions = DEFAULT_OPTIONS,
) -> tuple[int, int]:
    """Resolve and upsert a checked input on an open transaction; raises ImportFailed on any error."""
    loader = _Loader(conn, spec, parsed, errors)
    for batch in _batches(iter_valid_rows(spec, parsed, errors, options)):
        loader.batch(batch)
        if errors.full:
            break
    loader.finish()
    if errors:
        raise ImportFailed(parsed.name, errors.errors, truncated=errors.truncated)
    return loader.tally.inserted, loader.tally.updated


def _file_digest(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while piece := stream.read(1 << 20):
            digest.update(piece)
    return digest.hexdigest()


def import_file(
    engine: Engine,
    entity: str,
    path: Path,
    *,
    fmt: str | None = None,
    error_limit: int = DEFAULT_ERROR_LIMIT,
    clear_empty: bool = False,
    raw: bool = False,
    clock: Clock = _utcnow,
) -> ImportResult:
    """Validate and load ``path`` into ``entity``; all or nothing.

    ``clear_empty``: an empty cell (a JSON null) clears the stored value instead of keeping it.
    ``raw``: CSV cells are taken verbatim, for files exported with ``raw`` (no spreadsheet quoting to undo).
    """
    spec = get_entity(entity)
    started = clock()
    parsed = read_file(path, fmt)
    options = ImportOptions(clear_empty=clear_empty, raw=raw)
    return _import(engine, spec, parsed, options, error_limit, _file_digest(path), str(path), started, clock)


def import_records(
    engine: Engine,
    entity: str,
    records: list[dict[str, Any]],
    *,
    source: str,
    error_limit: int = DEFAULT_ERROR_LIMIT,
    clear_empty: bool = False,
    clock: Clock = _utcnow,
) -> ImportResult:
    """Validate and load records that arrived without a file (an event, a feed); same rules, all or nothing.

    ``source`` names where they came from in errors and in the import log (``POST /events``, a feed URL).
    A key that is absent or null leaves the stored value alone; with ``clear_empty`` a null clears it.
    """
    spec = get_entity(entity)
    started = clock()
    parsed = ParsedFile(source, "json", "item", None, [RawRecord(n, r) for n, r in enumerate(records, start=1)])
    digest = hashlib.sha256(json.dumps(records, sort_keys=True, default=str).encode()).hexdigest()
    options = ImportOptions(clear_empty=clear_empty)
    return _import(engine, spec, parsed, options, error_limit, digest, source, started, clock)


def _import(
    engine: Engine,
    spec: EntitySpec,
    parsed: ParsedFile,
    options: ImportOptions,
    error_limit: int,
    digest: str,
    source: str,
    started: datetime,
    clock: Clock,
) -> ImportResult:
    errors = ErrorCollector(error_limit)
    rows = check_records(spec, parsed, errors, options)
    if errors:
        raise ImportFailed(parsed.name, errors.errors, truncated=errors.truncated)
    with engine.begin() as conn:
        inserted, updated = load_rows(conn, spec, parsed, errors, options)
        conn.execute(
            insert(ImportRun.__table__),  # type: ignore[attr-defined]
            {
                "entity": spec.name,
                "file_name": source,
                "file_sha256": digest,
                "rows": rows,
                "inserted": inserted,
                "updated": updated,
                "unchanged": rows - inserted - updated,
                "started_at": started,
                "finished_at": clock(),
            },
        )
    logger.info("imported %s from %s: %d new, %d updated", spec.name, source, inserted, updated)
    return ImportResult(spec.name, source, rows, inserted, updated, rows - inserted - updated)
