"""Helpers that build data through the product's own paths and read the database back."""

from __future__ import annotations

import hashlib
import io
from datetime import date
from pathlib import Path

from sqlalchemy import select, text
from sqlalchemy.engine import Engine

from core.models import ImportRun
from sources.entities import ENTITIES, IMPORT_ORDER
from sources.exporter import export_csv
from sources.synthetic.generator import AccountGenerator, BookSpec
from sources.synthetic.writer import seed_book

AS_OF = date(2026, 11, 22)


def seed_small_book(engine: Engine, accounts: int = 12, seed: int = 5, labels_dir: Path | None = None) -> None:
    seed_book(engine, AccountGenerator(BookSpec(accounts=accounts, seed=seed, as_of=AS_OF)), labels_dir=labels_dir)


def export_all(engine: Engine) -> dict[str, str]:
    out: dict[str, str] = {}
    for entity in IMPORT_ORDER:
        buffer = io.StringIO()
        export_csv(engine, entity, buffer)
        out[entity] = buffer.getvalue()
    return out


def write_exports(engine: Engine, folder: Path) -> dict[str, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = {}
    for entity, content in export_all(engine).items():
        paths[entity] = folder / f"{entity}.csv"
        paths[entity].write_text(content, encoding="utf-8")
    return paths


def database_fingerprint(engine: Engine, database_url: str) -> str:
    """SQLite: the file's bytes. Postgres: every row of every table, in id order."""
    if database_url.startswith("sqlite"):
        engine.dispose()
        return hashlib.sha256(Path(database_url.removeprefix("sqlite:///")).read_bytes()).hexdigest()
    digest = hashlib.sha256()
    with engine.connect() as conn:
        tables = [*(s.table.__table__.name for s in ENTITIES.values()), "interaction_participant", "import_run"]
        for table in tables:
            for row in conn.execute(text(f'SELECT * FROM "{table}" ORDER BY id')):
                digest.update(repr(tuple(row)).encode())
    return digest.hexdigest()


def import_runs(engine: Engine) -> int:
    with engine.connect() as conn:
        return len(conn.execute(select(ImportRun.id)).all())


#: What the watchtowers write, without surrogate ids: equal fingerprints mean the same facts, nothing twice.
WATCHTOWER_TABLES = {
    "alert": "account_id, agent, kind, type, reason, severity, status, title, detail, evidence, opened_on, "
    "last_seen_on, resolved_on",
    "agent_output": "account_id, as_of, agent, produced_by, payload",
    "stakeholder_movement": "account_id, contact_id, person, roles, movement, occurred_on, new_company, source, "
    "quote, recorded_on",
    "scorecard": "account_id, as_of, score, band, completeness, trend, contributions, reasons",
    "llm_cache": "key, step, model, output",
}


def watchtower_rows(engine: Engine) -> dict[str, list[tuple]]:
    with engine.connect() as conn:
        return {
            table: sorted(
                (tuple(str(v) for v in row) for row in conn.execute(text(f"SELECT {columns} FROM {table}"))),
            )
            for table, columns in WATCHTOWER_TABLES.items()
        }
