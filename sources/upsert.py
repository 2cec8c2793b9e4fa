"""Write one batch of validated, resolved rows: insert new ones whole, update existing ones only where given.

A new row takes every field (defaults for what the file lacks); an existing row changes only in the fields
its file row gave (``ValidRow.given``), and a map given key by key merges into the stored map. A file with
fewer columns therefore never erases the columns it lacks.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Table, bindparam, delete, select, update

from core.bulk import bulk_insert
from core.models import InteractionParticipant
from sources.entities import EntitySpec
from sources.references import Resolved, chunks, lookup_ids
from sources.validation import ValidRow

Key = tuple[Any, ...]


@dataclass(frozen=True)
class Write:
    """One file row in table terms: every column for an insert, the given ones for an update."""

    row: ValidRow
    full: dict[str, Any]
    given: dict[str, Any]

    def key(self, spec: EntitySpec) -> Key:
        return tuple(self.full[k] for k in spec.key)


def plan_write(spec: EntitySpec, vr: ValidRow, ids: dict[str, int | None]) -> Write:
    full = vr.data.model_dump()
    for ref in spec.references:
        full.pop(ref.field, None)
    if spec.participants_field:
        full.pop(spec.participants_field, None)
    full.update(ids)
    given = {name: full[name] for name in vr.given if name in full}
    for ref in spec.references:
        # A reference the row gave, or one worked out from another it gave (a news item's account from its contact).
        if ref.field in vr.given or ids.get(ref.column) is not None:
            given[ref.column] = ids.get(ref.column)
    for name in spec.key:
        given[name] = full[name]
    return Write(vr, full, given)


def _existing_rows(conn: Connection, spec: EntitySpec, writes: list[Write]) -> dict[Key, dict[str, Any]]:
    """Current rows that share a natural key with the batch, keyed by that key."""
    table: Table = spec.table.__table__  # type: ignore[attr-defined]
    found: dict[Key, dict[str, Any]] = {}
    column = table.c.external_id if spec.uses_external_id else table.c.account_id
    wanted = sorted({w.full[column.name] for w in writes})
    for part in chunks(wanted):
        for row in conn.execute(select(table).where(column.in_(part))).mappings():
            found[tuple(row[k] for k in spec.key)] = dict(row)
    return found


def _merge_maps(write: Write, current: dict[str, Any] | None) -> dict[str, Any]:
    """The given values, with maps given key by key laid over what is stored."""
    values = dict(write.given)
    for name, removed in write.row.merged.items():
        merged = {**((current or {}).get(name) or {}), **(values.get(name) or {})}
        values[name] = {k: v for k, v in merged.items() if k not in removed}
    return values


def upsert(conn: Connection, spec: EntitySpec, writes: list[Write]) -> tuple[set[Key], set[Key]]:
    """Insert new rows and update changed ones; returns the keys inserted and the keys changed."""
    table: Table = spec.table.__table__  # type: ignore[attr-defined]
    existing = _existing_rows(conn, spec, writes)
    to_insert: list[dict[str, Any]] = []
    by_columns: dict[tuple[str, ...], list[dict[str, Any]]] = defaultdict(list)
    inserted: set[Key] = set()
    changed: set[Key] = set()
    for write in writes:
        key = write.key(spec)
        current = existing.get(key)
        if current is None:
            to_insert.append({**write.full, **_merge_maps(write, None)})
            inserted.add(key)
            continue
        values = {c: v for c, v in _merge_maps(write, current).items() if c not in spec.key}
        if any(current.get(col) != val for col, val in values.items()):
            columns = tuple(sorted(values))
            by_columns[columns].append({"b_id": current["id"], **{f"b_{c}": values[c] for c in columns}})
            changed.add(key)
    bulk_insert(conn, table, to_insert)
    for columns, rows in by_columns.items():
        stmt = update(table).where(table.c.id == bindparam("b_id")).values({c: bindparam(f"b_{c}") for c in columns})
        for part in chunks(rows, 5000):
            conn.execute(stmt, part)
    return inserted, changed


def sync_participants(conn: Connection, spec: EntitySpec, rows: list[ValidRow], resolved: Resolved) -> set[str]:
    """Make each interaction's participant set equal the file's, where the file gives one; returns those changed."""
    rows = [vr for vr in rows if spec.participants_field in vr.given]
    if not rows:
        return set()
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
