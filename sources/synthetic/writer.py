"""Load a generated book into the database in one transaction, and write its ground truth.

The generator's rows are already valid import rows (a test proves it by
exporting the book and importing it again), so this path skips per-row
validation and inserts in bulk: that is what makes 10k accounts fast.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Table, delete, func, select
from sqlalchemy.engine import Engine

from core.bulk import bulk_insert
from core.models import InteractionParticipant
from sources.entities import ENTITIES, IMPORT_ORDER
from sources.references import lookup_ids
from sources.synthetic.generator import AccountBundle, AccountGenerator

Progress = Callable[[int], None]


class BookNotEmpty(RuntimeError):
    """Seeding refuses to mix synthetic accounts into real data unless told to replace it."""


@dataclass(frozen=True)
class SeedResult:
    counts: dict[str, int]
    labels_file: Path | None
    outcomes_file: Path | None


def _table(entity: str) -> Table:
    return ENTITIES[entity].table.__table__  # type: ignore[attr-defined]


def source_row_count(conn: Connection) -> int:
    return conn.execute(select(func.count()).select_from(_table("account"))).scalar_one()


def clear_sources(conn: Connection) -> None:
    conn.execute(delete(InteractionParticipant.__table__))  # type: ignore[attr-defined]
    for entity in reversed(IMPORT_ORDER):
        if entity == "account":
            conn.execute(_table("account").update().values(parent_id=None))
        conn.execute(delete(_table(entity)))


def _to_table_rows(
    entity: str, rows: list[dict[str, Any]], ids: dict[str, dict[str, tuple[int, int | None]]]
) -> list[dict[str, Any]]:
    spec = ENTITIES[entity]
    out: list[dict[str, Any]] = []
    for row in rows:
        item = dict(row)
        for ref in spec.references:
            value = item.pop(ref.field, None)
            item[ref.column] = ids[ref.target][value][0] if value is not None else None
        item.pop("participants", None)
        out.append(item)
    return out


def _write_batch(conn: Connection, bundles: list[AccountBundle]) -> dict[str, int]:
    counts: dict[str, int] = {}
    ids: dict[str, dict[str, tuple[int, int | None]]] = {}
    for entity in IMPORT_ORDER:
        rows = [row for b in bundles for row in b.rows.get(entity, [])]
        counts[entity] = len(rows)
        if not rows:
            continue
        bulk_insert(conn, _table(entity), _to_table_rows(entity, rows, ids))
        if entity in ("account", "contract", "contact", "interaction"):
            ids[entity] = lookup_ids(conn, entity, (r["external_id"] for r in rows))
    links = [
        {"interaction_id": ids["interaction"][row["external_id"]][0], "contact_id": ids["contact"][cid][0]}
        for b in bundles
        for row in b.rows.get("interaction", [])
        for cid in row["participants"]
    ]
    if links:
        bulk_insert(conn, InteractionParticipant.__table__, links)  # type: ignore[arg-type]
    counts["interaction_participant"] = len(links)
    return counts


def _json_default(value: Any) -> str:
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(f"cannot serialise {type(value).__name__}")


def write_labels(
    directory: Path, bundles_labels: Iterable[dict[str, Any]], outcomes: Iterable[dict[str, Any]]
) -> tuple[Path, Path]:
    directory.mkdir(parents=True, exist_ok=True)
    labels_file = directory / "labels.jsonl"
    with labels_file.open("w", encoding="utf-8") as out:
        for label in bundles_labels:
            out.write(json.dumps(label, default=_json_default, sort_keys=True) + "\n")
    outcomes_file = directory / "outcomes.csv"
    with outcomes_file.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["account_external_id", "churned", "renewal_date"])
        for row in outcomes:
            writer.writerow([row["account_external_id"], row["churned"], row["renewal_date"].isoformat()])
    return labels_file, outcomes_file


def seed_book(
    engine: Engine,
    generator: AccountGenerator,
    *,
    labels_dir: Path | None,
    replace: bool = False,
    batch_size: int = 250,
    progress: Progress | None = None,
) -> SeedResult:
    totals: dict[str, int] = {}
    labels: list[dict[str, Any]] = []
    outcomes: list[dict[str, Any]] = []
    with engine.begin() as conn:
        if source_row_count(conn):
            if not replace:
                raise BookNotEmpty("the database already holds accounts; seeding would mix synthetic and real data")
            clear_sources(conn)
        total = generator.spec.accounts
        for start in range(0, total, batch_size):
            bundles = list(generator.accounts(start, min(total, start + batch_size)))
            for entity, count in _write_batch(conn, bundles).items():
                totals[entity] = totals.get(entity, 0) + count
            for b in bundles:
                labels.extend(b.labels)
                if b.outcome:
                    outcomes.append(b.outcome)
            if progress:
                progress(len(bundles))
    labels_file = outcomes_file = None
    if labels_dir is not None:
        labels_file, outcomes_file = write_labels(labels_dir, labels, outcomes)
    return SeedResult(totals, labels_file, outcomes_file)
