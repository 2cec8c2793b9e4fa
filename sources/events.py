"""Usage and market events pushed to Watchtower (the web API exposes this as ``POST /events``).

An event is one row in the import format of its kind; a batch goes through the
same validation and upsert as a file import, so a bad event is refused with
its position and field named and nothing of the batch written, and a repeated
event changes nothing. Like a file, an event updates only the fields it carries.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine

from sources.importer import ImportResult, import_records

#: Event kinds and the import entity each one is.
EVENT_KINDS = {"usage": "usage_snapshot", "market_signal": "market_signal"}


class UnknownEventKind(ValueError):
    pass


def ingest_events(
    engine: Engine,
    events: list[dict[str, Any]],
    *,
    kind: str = "market_signal",
    source: str = "POST /events",
    clear_empty: bool = False,
) -> ImportResult:
    """An event updates only the fields it carries: a usage event with just its key changes nothing stored.

    A null is read as "not given" unless ``clear_empty``, when it clears the stored value, as an empty cell
    does in ``watchtower import --clear-empty``.
    """
    if kind not in EVENT_KINDS:
        raise UnknownEventKind(f"type: {kind!r} is not an event kind; use one of {', '.join(EVENT_KINDS)}")
    return import_records(engine, EVENT_KINDS[kind], events, source=source, clear_empty=clear_empty)
