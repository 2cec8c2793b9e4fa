"""Resolve external-id references to database ids, checking they exist and belong together.

A survey that names a contact of another account is refused here: one
account's rows never point into another's.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import Connection, select

from sources.entities import ENTITIES, EntitySpec
from sources.errors import RowError
from sources.readers import ParsedFile
from sources.validation import ErrorCollector, ValidRow

CHUNK = 2000


def chunks(items: list, size: int = CHUNK) -> Iterable[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def lookup_ids(conn: Connection, entity: str, external_ids: Iterable[str]) -> dict[str, tuple[int, int | None]]:
    """external_id -> (id, account_id) for rows that exist; account_id is None for accounts."""
    table = ENTITIES[entity].table.__table__
    wanted = sorted(set(external_ids))
    found: dict[str, tuple[int, int | None]] = {}
    account_col = table.c.get("account_id")
    cols = [table.c.external_id, table.c.id] + ([account_col] if account_col is not None else [])
    for part in chunks(wanted):
        for row in conn.execute(select(*cols).where(table.c.external_id.in_(part))):
            found[row[0]] = (row[1], row[2] if account_col is not None else None)
    return found


@dataclass
class Resolved:
    """Per file row (by row number): the database ids of its references."""

    ids: dict[int, dict[str, int | None]] = field(default_factory=dict)
    participants: dict[int, list[int]] = field(default_factory=dict)
    #: account rows whose parent is created by this same file: row -> parent external id
    deferred_parents: dict[int, str] = field(default_factory=dict)


def find_cycles(conn: Connection, name: str, label: str, children: dict[str, int], errors: ErrorCollector) -> None:
    """Walk up from each account the file gave a parent (``children``: external id -> row), as now stored.

    Run on the import's own transaction after its rows are written, so the file's parents and the stored
    ones are one graph.
    """
    table = ENTITIES["account"].table.__table__
    parent_of: dict[int, int | None] = {}
    external: dict[int, str] = {}
    for r in conn.execute(select(table.c.id, table.c.parent_id, table.c.external_id)):
        parent_of[r.id], external[r.id] = r.parent_id, r.external_id
    ids = {v: k for k, v in external.items()}
    for start, row in children.items():
        seen = {ids[start]}
        current = parent_of.get(ids[start])
        while current is not None:
            if current in seen:
                errors.add(
                    RowError(
                        name,
                        row,
                        "parent_external_id",
                        f"makes a cycle in the account hierarchy through '{external[current]}'",
                        label,
                    )
                )
                break
            seen.add(current)
            current = parent_of.get(current)


def resolve(
    conn: Connection, spec: EntitySpec, parsed: ParsedFile, rows: list[ValidRow], errors: ErrorCollector
) -> Resolved:
    resolved = Resolved()
    targets: dict[str, set[str]] = {}
    for ref in spec.references:
        targets.setdefault(ref.target, set()).update(v for vr in rows if (v := getattr(vr.data, ref.field)) is not None)
    if spec.participants_field:
        targets.setdefault("contact", set()).update(
            cid for vr in rows for cid in getattr(vr.data, spec.participants_field)
        )
    known = {entity: lookup_ids(conn, entity, ids) for entity, ids in targets.items()}

    for vr in rows:
        ids: dict[str, int | None] = {}
        account_id: int | None = None
        for ref in spec.references:
            value = getattr(vr.data, ref.field)
            if value is None:
                ids[ref.column] = None
                continue
            hit = known[ref.target].get(value)
            if hit is None:
                if spec.name == "account":
                    # Perhaps a parent further on in the file: checked once the whole file is written.
                    resolved.deferred_parents[vr.row] = value
                    ids[ref.column] = None
                    continue
                errors.add(
                    RowError(
                        parsed.name,
                        vr.row,
                        ref.field,
                        f"no {ref.target} with external_id '{value}'; import {ref.target}s first",
                        parsed.row_label,
                    )
                )
                continue
            ids[ref.column] = hit[0]
            if ref.column == "account_id":
                account_id = hit[0]
            if ref.same_account:
                owner = hit[1]
                if account_id is None and ref.target == "contact" and "account_id" in ids:
                    # The account was left empty (e.g. an unmatched news item): take the contact's.
                    ids["account_id"] = account_id = owner
                elif owner != account_id:
                    errors.add(
                        RowError(
                            parsed.name,
                            vr.row,
                            ref.field,
                            f"{ref.target} '{value}' belongs to a different account",
                            parsed.row_label,
                        )
                    )
        if spec.participants_field:
            contact_ids: list[int] = []
            for cid in getattr(vr.data, spec.participants_field):
                hit = known["contact"].get(cid)
                if hit is None:
                    errors.add(
                        RowError(
                            parsed.name,
                            vr.row,
                            spec.participants_field,
                            f"no contact with external_id '{cid}'; import contacts first",
                            parsed.row_label,
                        )
                    )
                elif hit[1] != account_id:
                    errors.add(
                        RowError(
                            parsed.name,
                            vr.row,
                            spec.participants_field,
                            f"contact '{cid}' belongs to a different account",
                            parsed.row_label,
                        )
                    )
                else:
                    contact_ids.append(hit[0])
            resolved.participants[vr.row] = sorted(set(contact_ids))
        resolved.ids[vr.row] = ids
        if errors.full:
            break
    return resolved
