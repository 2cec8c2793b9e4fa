"""Partial re-imports: a file or event with fewer fields must leave the stored fields it lacks as they are.

Each case loads its rows into a scratch database through the normal import, re-imports a partial file (CSV or
JSON Lines) or posts events with fewer fields, and reads the row back through the export, the way a person
would see it. The output is the named fields as exported cells; ``expected`` lists the cells that must remain.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Any

from core.db import make_engine
from core.schema import upgrade
from evals.context import EvalContext, Outcome
from evals.spec import SuiteSpec, read_cases
from sources.events import ingest_events
from sources.exporter import format_cell, iter_export_rows
from sources.importer import import_file, import_records


def _apply(engine: Any, folder: Path, step: dict[str, Any]) -> None:
    clear = bool(step.get("clear_empty"))
    if "events" in step:
        ingest_events(engine, step["events"], kind=step["kind"], source="eval events", clear_empty=clear)
    else:
        path = folder / step["file"]
        path.write_text(step["content"], encoding="utf-8")
        import_file(engine, step["entity"], path, clear_empty=clear)


def _read(engine: Any, entity: str, where: dict[str, str], fields: list[str]) -> dict[str, str] | str:
    _, rows = iter_export_rows(engine, entity)
    found = [r for r in rows if all(format_cell(r.get(k)) == v for k, v in where.items())]
    if len(found) != 1:
        return f"{len(found)} rows match {where}"
    return {name: format_cell(found[0].get(name)) for name in fields}


def run(spec: SuiteSpec, ctx: EvalContext) -> list[Outcome]:
    outcomes = []
    for case in read_cases(spec.dataset or ""):
        given = case.input
        folder = Path(tempfile.mkdtemp(prefix="watchtower-eval-import-"))
        engine = make_engine(f"sqlite:///{folder / 'import.db'}")
        try:
            upgrade(engine)
            for entity, records in given["setup"]:
                import_records(engine, entity, records, source=f"eval setup ({case.id})")
            _apply(engine, folder, given["reimport"])
            read = given["read"]
            output: Any = _read(engine, read["entity"], read["where"], sorted(case.expected))
        finally:
            engine.dispose()
            shutil.rmtree(folder, ignore_errors=True)
        outcomes.append(Outcome(case.id, given, case.expected, output, case.rationale))
    return outcomes
