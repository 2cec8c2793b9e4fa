"""Market events pushed to Watchtower (the web API exposes this as ``POST /events``).

An event is one market-signal row in the import format; it goes through the
same validation and upsert as a file import, so a bad event is refused with
the field named and nothing written, and a repeated event changes nothing.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine

from sources.importer import ImportResult, import_records


def ingest_events(engine: Engine, events: list[dict[str, Any]], *, source: str = "POST /events") -> ImportResult:
    return import_records(engine, "market_signal", events, source=source)
