"""A run whose process dies is found by the next run (or the scheduler) and marked ``abandoned``, with when it
was last seen; a run that is alive elsewhere is left alone.

The killed run is a real ``watchtower run`` in a child process, stopped with
SIGKILL while it waits on a model call (a local server that accepts and never
answers), so nothing in the process gets a chance to write its own ending.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import insert, select

from agents.run_records import reap_abandoned
from core.config_files import shipped_policy
from core.models import AgentRun
from tests.integration.helpers import AS_OF, seed_small_book

RUN = AgentRun.__table__  # type: ignore[attr-defined]
WATCHTOWER = str(Path(sys.executable).with_name("watchtower"))


@contextmanager
def silent_model() -> Iterator[tuple[str, threading.Event]]:
    """An endpoint that takes the request and never answers; the event is set once a request arrives."""
    called = threading.Event()
    held: list[socket.socket] = []
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(0.2)
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except TimeoutError:
                continue
            held.append(conn)
            called.set()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.getsockname()[1]}/v1", called
    finally:
        stop.set()
        thread.join()
        for conn in held:
            conn.close()
        server.close()


def _team_config(folder: Path) -> Path:
    """The shipped watchtower policy with a one-second heartbeat, so the test sees it beat."""
    folder.mkdir(parents=True, exist_ok=True)
    text = shipped_policy("watchtowers.yaml").read_text(encoding="utf-8")
    assert "run_heartbeat_seconds: 30" in text
    (folder / "watchtowers.yaml").write_text(
        text.replace("run_heartbeat_seconds: 30", "run_heartbeat_seconds: 1"), encoding="utf-8"
    )
    return folder


def _runs(engine) -> list[dict]:
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(select(RUN).order_by(RUN.c.id)).mappings()]


def _killed_mid_run(engine, database_url: str, config: Path) -> dict:
    """Start `watchtower run`, wait until it is inside a model call and has beaten once, SIGKILL it."""
    with silent_model() as (url, called):
        env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "WATCHTOWER_CONFIG_DIR": str(config),
            "WATCHTOWER_LLM_BASE_URL": url,
            "WATCHTOWER_LLM_MODEL": "silent",
            "OPENAI_API_KEY": "not-a-key",
            "WATCHTOWER_LLM_TIMEOUT": "600",
        }
        process = subprocess.Popen(
            [WATCHTOWER, "run", "--as-of", AS_OF.isoformat(), "--agents", "sentiment", "--no-scorecards"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            assert called.wait(90), f"the run never asked the model: {process.stderr.read() if process.poll() else ''}"
            deadline = time.monotonic() + 30
            while True:
                (run,) = _runs(engine)
                if run["last_seen_at"] is not None and run["last_seen_at"] > run["started_at"]:
                    break
                assert time.monotonic() < deadline, f"no heartbeat after the start: {run}"
                time.sleep(0.2)
            process.send_signal(signal.SIGKILL)
            assert process.wait(30) == -signal.SIGKILL
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
    (run,) = _runs(engine)
    assert run["status"] == "running" and run["pid"] == process.pid  # nothing in the dead process ended it
    return run


def _cli(database_url: str, config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": database_url, "WATCHTOWER_CONFIG_DIR": str(config), "COLUMNS": "200"}
    for name in ("WATCHTOWER_LLM_BASE_URL", "WATCHTOWER_LLM_MODEL", "OPENAI_API_KEY", "OPENAI_BASE_URL"):
        env.pop(name, None)
    done = subprocess.run([WATCHTOWER, *args], env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    return done


@pytest.mark.parametrize("next_one", ["run", "serve"])
def test_a_killed_run_is_marked_abandoned_by_the_next_run_or_the_scheduler(engine, database_url, tmp_path, next_one):
    seed_small_book(engine, accounts=4)
    config = _team_config(tmp_path / "team")
    dead = _killed_mid_run(engine, database_url, config)
    if next_one == "run":
        done = _cli(database_url, config, "run", "--as-of", AS_OF.isoformat(), "--agents", "product_health")
    else:
        done = _cli(database_url, config, "serve", "--once", "--as-of", AS_OF.isoformat())
    assert f"run {dead['id']} abandoned" in done.stdout
    first, *later = _runs(engine)
    assert first["id"] == dead["id"] and first["status"] == "abandoned"
    assert first["last_seen_at"] == dead["last_seen_at"] and first["finished_at"] is None
    assert any(f"last seen {dead['last_seen_at']:%Y-%m-%d %H:%M:%S}" in note for note in first["notes"])
    assert later and all(r["status"] != "running" for r in later)


def test_only_runs_whose_process_is_gone_or_silent_are_abandoned(engine):
    now = datetime.now(UTC)
    here = socket.gethostname()
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()  # a pid that no longer runs
    rows = {
        "this process": (here, os.getpid(), now - timedelta(hours=2)),
        "gone here": (here, gone.pid, now - timedelta(seconds=5)),
        "silent here": (here, 1, now - timedelta(minutes=30)),  # pid 1 runs, but not this run any more
        "alive elsewhere": ("another-host", 4242, now - timedelta(seconds=20)),
        "silent elsewhere": ("another-host", 4243, now - timedelta(minutes=30)),
        "from before the lease": (None, None, None),
    }
    ids = {}
    with engine.begin() as conn:
        for name, (host, pid, seen) in rows.items():
            ids[name] = conn.execute(
                insert(RUN)
                .values(
                    as_of=AS_OF,
                    trigger="cli",
                    status="running",
                    # This process's own run started after it did; the others started long ago.
                    started_at=now if name == "this process" else now - timedelta(hours=3),
                    host=host,
                    pid=pid,
                    last_seen_at=seen,
                )
                .returning(RUN.c.id)
            ).scalar_one()
    found = reap_abandoned(engine, now=now, stale_after=timedelta(minutes=5))
    assert sorted(a.run_id for a in found) == sorted(
        ids[n] for n in ("gone here", "silent here", "silent elsewhere", "from before the lease")
    )
    status = {r["id"]: r["status"] for r in _runs(engine)}
    assert {n: status[i] for n, i in ids.items()} == {
        "this process": "running",
        "gone here": "abandoned",
        "silent here": "abandoned",
        "alive elsewhere": "running",
        "silent elsewhere": "abandoned",
        "from before the lease": "abandoned",
    }
    assert reap_abandoned(engine, now=now, stale_after=timedelta(minutes=5)) == []


def test_a_dead_run_whose_pid_this_process_now_has_is_abandoned_and_gets_no_heartbeat(engine):
    """In a container restarted in place every run is pid 1 on the same host name: the old run's row names this
    very process's pid, but it started before this process did, so it is not this process's run."""
    from agents.run_records import PROCESS_STARTED, heartbeat

    now = datetime.now(UTC)
    with engine.begin() as conn:
        dead = conn.execute(
            insert(RUN)
            .values(
                as_of=AS_OF,
                trigger="cli",
                status="running",
                started_at=PROCESS_STARTED - timedelta(hours=1),
                host=socket.gethostname(),
                pid=os.getpid(),
                last_seen_at=PROCESS_STARTED - timedelta(minutes=50),
            )
            .returning(RUN.c.id)
        ).scalar_one()
    with heartbeat(engine, every=timedelta(seconds=0.05)):
        time.sleep(0.3)
    [row] = [r for r in _runs(engine) if r["id"] == dead]
    assert row["last_seen_at"] < PROCESS_STARTED
    found = reap_abandoned(engine, now=now, stale_after=timedelta(minutes=5))
    assert [a.run_id for a in found] == [dead]
