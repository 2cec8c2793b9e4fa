"""Run records that tell the truth when a process dies: where each run lives, a heartbeat, and the reaper.

A run's row names its host and pid and carries ``last_seen_at``, refreshed by
a heartbeat thread while the process lives. A pid names a process only with its
start: a container restarted in place gives every run the same pid on the same
host name, so a row with this process's pid that started before it is a dead one. A ``running`` row is abandoned
when its process is known to be gone (same host, no such pid) or has been
silent for longer than the lease (any host: the only evidence there is). The
next run and every scheduler tick look, so a ``kill -9``, an OOM kill or a
power cut shows up as ``abandoned`` with when the run was last seen, instead of
``running`` forever. ``finished_at`` stays empty: nobody saw it finish.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, select, update
from sqlalchemy.exc import SQLAlchemyError

from core.models import AgentRun

log = logging.getLogger(__name__)
_RUN = AgentRun.__table__  # type: ignore[attr-defined]
#: No run this process writes started before this; a row with this pid that did belongs to an earlier process.
PROCESS_STARTED = datetime.now(UTC)


@dataclass(frozen=True)
class Abandoned:
    run_id: int
    host: str | None
    pid: int | None
    #: the last heartbeat, or the start for a run from before heartbeats
    last_seen_at: datetime
    why: str


def describe(found: Abandoned) -> str:
    return f"run {found.run_id} abandoned: {found.why}; last seen {found.last_seen_at:%Y-%m-%d %H:%M:%S}"


def this_process() -> dict[str, object]:
    """The columns that tie a run row to the process writing it."""
    return {"host": socket.gethostname(), "pid": os.getpid()}


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process: it exists
    return True


def _why_gone(row: object, *, here: str, now: datetime, stale_after: timedelta) -> str | None:
    host, pid, seen = row.host, row.pid, row.last_seen_at or row.started_at  # type: ignore[attr-defined]
    if host == here and pid == os.getpid():
        if row.started_at >= PROCESS_STARTED:  # type: ignore[attr-defined]
            return None  # this very process: alive by definition
        # A container restarted in place runs every process as the same pid on the same host name.
        return f"process {pid} on {host} is gone (its pid now belongs to this process, started later)"
    if host == here and pid is not None and not pid_alive(pid):
        return f"process {pid} on {host} is gone"
    if now - seen > stale_after:
        where = f"process {pid} on {host}" if host else "a process from before run leases"
        return f"{where} silent for {int((now - seen).total_seconds())}s (lease {int(stale_after.total_seconds())}s)"
    return None


def reap_abandoned(engine: Engine, *, now: datetime, stale_after: timedelta) -> list[Abandoned]:
    """Mark every ``running`` run whose process is gone or silent past the lease ``abandoned``."""
    here = socket.gethostname()
    found: list[Abandoned] = []
    with engine.begin() as conn:
        rows = conn.execute(
            select(_RUN.c.id, _RUN.c.host, _RUN.c.pid, _RUN.c.last_seen_at, _RUN.c.started_at, _RUN.c.notes).where(
                _RUN.c.status == "running"
            )
        ).all()
        for row in rows:
            why = _why_gone(row, here=here, now=now, stale_after=stale_after)
            if why is None:
                continue
            seen = row.last_seen_at or row.started_at
            note = f"abandoned: {why}; last seen {seen:%Y-%m-%d %H:%M:%S}; found {now:%Y-%m-%d %H:%M:%S}"
            # Guarded on the status, so a run that finished meanwhile keeps its own ending.
            done = conn.execute(
                update(_RUN)
                .where(_RUN.c.id == row.id, _RUN.c.status == "running")
                .values(status="abandoned", notes=[*(row.notes or []), note])
            )
            if done.rowcount:
                found.append(Abandoned(row.id, row.host, row.pid, seen, why))
                log.warning("run %s %s", row.id, note)
    return found


@contextmanager
def heartbeat(engine: Engine, *, every: timedelta) -> Iterator[None]:
    """While the block runs, refresh ``last_seen_at`` of this process's running runs every ``every``.

    A thread, so a run stuck in one long model call still beats; it touches rows by host and pid, so it
    needs no run id and covers the run the block is about to start. A beat the database refuses is
    logged and tried again at the next interval: a missed beat must never fail the run itself.
    """
    me = this_process()
    stop = threading.Event()

    def beat() -> None:
        while not stop.wait(every.total_seconds()):
            try:
                with engine.begin() as conn:
                    conn.execute(
                        update(_RUN)
                        .where(
                            _RUN.c.host == me["host"],
                            _RUN.c.pid == me["pid"],
                            _RUN.c.started_at >= PROCESS_STARTED,
                            _RUN.c.status == "running",
                        )
                        .values(last_seen_at=datetime.now(UTC))
                    )
            except SQLAlchemyError:
                log.warning("run heartbeat not written; trying again in %ss", every.total_seconds(), exc_info=True)

    thread = threading.Thread(target=beat, name="run-heartbeat", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()
