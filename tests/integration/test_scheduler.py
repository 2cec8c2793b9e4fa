"""`watchtower serve` keeps going: a tick that fails is recorded with its error, printed on one line and retried
with a growing backoff, the next good tick clears it, and only SIGTERM stops the process.

The failures are real: the watchtower policy file is broken while the scheduler runs, then fixed; a Postgres
database of the test's own stops taking connections, then takes them again.
"""

from __future__ import annotations

import os
import queue
import shutil
import signal
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import func, insert, select, update
from sqlalchemy.engine import Engine, make_url
from typer.testing import CliRunner

from agents.configuration import load_watchtower_config
from agents.cycle import CycleContext, run_cycle
from agents.schedule import RETRY_WINDOW_DAYS, due_groups, unfinished_runs
from cli.context import AppContext
from cli.main import app
from cli.run import Scheduler
from core.config_files import SHIPPED_DIR
from core.models import (
    AgentOutput,
    AgentRun,
    Alert,
    Artifact,
    Offer,
    OutboxMessage,
    PlayRun,
    PlayStep,
    SchedulerTick,
    Scorecard,
    Task,
)
from core.schema import upgrade
from core.settings import Settings
from scorecards.weekly import ScoringConfig
from tests.conftest import postgres_url, require_postgres
from tests.integration.helpers import AS_OF, seed_small_book

REPO = Path(__file__).resolve().parents[2]
#: Only a guard against a hung test; nothing here is timed.
HANG_GUARD_SECONDS = 300
ENDED = "<serve ended>"


def _policy(tick: int, retry: int, cap: int, drop_pct: int = 10) -> str:
    text = (SHIPPED_DIR / "watchtowers.yaml").read_text(encoding="utf-8")
    for old, new in (
        ("tick_seconds: 3600", f"tick_seconds: {tick}"),
        ("retry_seconds: 60", f"retry_seconds: {retry}"),
        ("retry_max_seconds: 3600", f"retry_max_seconds: {cap}"),
        ("drop_pct: 10 ", f"drop_pct: {drop_pct} "),
    ):
        assert old in text, f"the shipped policy changed: {old!r} is gone"
        text = text.replace(old, new, 1)
    return text


class Serve:
    """`watchtower serve` in a child process, its output read line by line as it comes."""

    def __init__(self, database_url: str, policy: Path) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "WATCHTOWER_LLM"))}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "cli.main", "--database-url", database_url, "serve", "--config", str(policy)],
            cwd=REPO,
            env={**env, "PYTHONUNBUFFERED": "1", "COLUMNS": "400"},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put(line.rstrip("\n"))
        self.lines.put(ENDED)

    def wait_for(self, text: str) -> str:
        while True:
            line = self.lines.get(timeout=HANG_GUARD_SECONDS)
            if line == ENDED:
                raise AssertionError(f"serve exited before printing {text!r}:\n" + "\n".join(self.seen))
            self.seen.append(line)
            if text in line:
                return line

    def stop(self) -> int:
        self.process.send_signal(signal.SIGTERM)
        code = self.process.wait(HANG_GUARD_SECONDS)
        while (line := self.lines.get(timeout=HANG_GUARD_SECONDS)) != ENDED:
            self.seen.append(line)
        return code


def test_serve_records_a_failed_tick_retries_with_backoff_and_recovers(
    engine: Engine, database_url: str, tmp_path: Path
) -> None:
    seed_small_book(engine)
    policy = tmp_path / "watchtowers.yaml"
    # Ticks every 3s; a failed one is retried after 1s, then 2s, and never waits longer than 2s.
    policy.write_text(_policy(tick=3, retry=1, cap=2), encoding="utf-8")
    serve = Serve(database_url, policy)
    try:
        serve.wait_for("nothing due")  # a first tick reviewed the book, a later one found nothing left to do
        policy.write_text(_policy(tick=3, retry=1, cap=2, drop_pct=150), encoding="utf-8")
        failed = serve.wait_for("tick failed")
        again = serve.wait_for("tick failed")
        policy.write_text(_policy(tick=3, retry=1, cap=2), encoding="utf-8")
        serve.wait_for("tick succeeded after")
    finally:
        code = serve.stop()
    assert code == 0, "\n".join(serve.seen)
    assert serve.seen[-1] == "scheduler stopped"
    assert failed.startswith("tick failed (1 in a row): reviews: ConfigError: ")
    assert "product_health.usage_drop.drop_pct" in failed and failed.endswith("next try in 1s")
    assert again.startswith("tick failed (2 in a row): ") and again.endswith("next try in 2s")

    with engine.connect() as conn:
        ticks = conn.execute(select(SchedulerTick).order_by(SchedulerTick.id)).mappings().all()
        runs = conn.execute(select(AgentRun.id, AgentRun.status).order_by(AgentRun.id)).all()
    statuses = [t["status"] for t in ticks]
    first_failed = statuses.index("failed")
    recovered = statuses.index("succeeded", first_failed)
    failures = ticks[first_failed:recovered]
    assert statuses[:first_failed] == ["succeeded"] * first_failed and first_failed >= 2
    assert len(failures) >= 2 and [t["failures_in_row"] for t in failures] == list(range(1, len(failures) + 1))
    # Backoff: 1s after the first failure, doubled after the next, capped at 2s; a good tick waits 3s again.
    assert [t["next_tick_at"] - t["finished_at"] for t in failures] == [
        timedelta(seconds=min(2, 2 ** (n - 1))) for n in range(1, len(failures) + 1)
    ]
    assert all(len(t["errors"]) == 1 and t["errors"][0].startswith("reviews: ConfigError") for t in failures)
    after = ticks[recovered]
    assert (after["failures_in_row"], after["errors"], after["next_tick_at"] - after["finished_at"]) == (
        0,
        [],
        timedelta(seconds=3),
    )
    assert ticks[0]["runs"] == [r.id for r in runs] and {r.status for r in runs} == {"succeeded"}


@pytest.fixture
def own_database() -> Iterator[tuple[str, str]]:
    """A Postgres database of this test's own, so it can be made unavailable without touching anyone else's."""
    require_postgres()
    name = f"wt_outage_{uuid.uuid4().hex[:10]}"
    admin = make_url(postgres_url()).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield admin, make_url(postgres_url()).set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS true')
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.mark.postgres
def test_ticks_while_the_database_is_down_are_kept_and_recorded_once_it_is_back(
    own_database: tuple[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    admin, url = own_database
    name = make_url(url).database
    app = AppContext(settings=Settings(database_url=url, _env_file=None))  # type: ignore[call-arg]
    upgrade(app.engine)
    seed_small_book(app.engine, accounts=4)
    scheduler = Scheduler(app, None, load_watchtower_config(), fixed=AS_OF)

    def outage(down: bool) -> None:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS {"false" if down else "true"}')
            if down:
                conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (name,))

    assert scheduler.tick().succeeded
    outage(down=True)
    first, second = scheduler.tick(), scheduler.tick()
    outage(down=False)
    back = scheduler.tick()
    assert (first.succeeded, second.succeeded, back.succeeded) == (False, False, True)
    assert (first.wait, second.wait, back.wait) == (60, 120, 3600)
    failed_lines = [line for line in capsys.readouterr().out.splitlines() if line.startswith("tick failed")]
    assert len(failed_lines) == 2
    assert failed_lines[0].startswith("tick failed (1 in a row): reviews: OperationalError: ")
    assert failed_lines[1].endswith("next try in 120s (2 tick record(s) kept until the database answers)")
    with app.engine.connect() as conn:
        ticks = conn.execute(select(SchedulerTick).order_by(SchedulerTick.id)).mappings().all()
    assert [(t["status"], t["failures_in_row"]) for t in ticks] == [
        ("succeeded", 0),
        ("failed", 1),
        ("failed", 2),
        ("succeeded", 0),
    ]
    assert all(
        [e.split(":")[0] for e in t["errors"]] == ["reviews", "briefings", "approvals"]
        for t in ticks
        if t["status"] == "failed"
    )
    app.engine.dispose()


def test_serve_once_records_a_failed_tick_and_exits_1(
    engine: Engine, database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """For cron: one tick, and a failure shows in the exit status as well as in the tick record."""
    seed_small_book(engine)
    shutil.copytree(SHIPPED_DIR, tmp_path / "config")
    segments = tmp_path / "config" / "segments.yaml"
    broken = segments.read_text(encoding="utf-8").replace("review_cadence_days: 7", "review_cadence_days: 0")
    segments.write_text(broken, encoding="utf-8")
    monkeypatch.chdir(tmp_path)  # the team's ./config is read from the working folder
    monkeypatch.delenv("WATCHTOWER_CONFIG_DIR", raising=False)
    result = CliRunner().invoke(app, ["--database-url", database_url, "serve", "--once", "--as-of", "2026-11-23"])
    assert result.exit_code == 1, result.output
    (line,) = [line for line in result.output.splitlines() if line.startswith("tick failed")]
    assert line.startswith("tick failed (1 in a row): reviews: ConfigError: config/segments.yaml: ")
    assert line.endswith("; exiting (--once)")
    with engine.connect() as conn:
        tick = conn.execute(select(SchedulerTick.status, SchedulerTick.errors)).one()
    assert tick.status == "failed" and tick.errors == [line.removeprefix("tick failed (1 in a row): ").split("; ")[0]]


def _book_state(engine: Engine) -> dict[str, int]:
    """How many rows the cycle and the plays wrote, table by table."""
    tables = (AgentOutput, Alert, Scorecard, PlayRun, PlayStep, Task, OutboxMessage, Artifact, Offer)
    with engine.connect() as conn:
        return {t.__name__: conn.execute(select(func.count()).select_from(t)).scalar_one() for t in tables}


def _scheduled_run_left_running(conn, as_of, **lease: object) -> int:
    """An agent_run row of a scheduled product-health run over the whole book, still marked running."""
    return conn.execute(
        insert(AgentRun)
        .values(
            as_of=as_of,
            trigger="schedule",
            agents=["product_health"],
            scope={"account_ids": [], "segments": []},
            status="running",
            accounts=0,
            counts={},
            llm_calls=0,
            llm_tokens=0,
            llm_cache_hits=0,
            llm_fallbacks=0,
            notes=[],
            started_at=datetime.now(UTC),
            **lease,
        )
        .returning(AgentRun.id)
    ).scalar_one()


def _pid_of_a_finished_process() -> int:
    """A pid on this host that no process holds any more, as a killed run leaves behind."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_a_scheduled_cycle_killed_after_its_reviews_is_finished_by_the_next_tick(
    engine: Engine, database_url: str, tmp_path: Path
) -> None:
    """kill -9 between the reviews' commit and the scorecards leaves agent outputs and alerts, no scorecards,
    plays or drafts, and the run "running" under a process that is gone. By cadence nothing is due any more,
    so only the unfinished run says what is left; the next tick must finish it, and the one after must add
    nothing."""
    policy = load_watchtower_config()
    reference = AppContext(settings=Settings(database_url=f"sqlite:///{tmp_path / 'clean.db'}", _env_file=None))  # type: ignore[call-arg]
    upgrade(reference.engine)
    seed_small_book(reference.engine)
    assert Scheduler(reference, None, policy, fixed=AS_OF).tick().succeeded
    clean = _book_state(reference.engine)
    reference.engine.dispose()
    assert clean["Scorecard"] and clean["PlayRun"]

    seed_small_book(engine)
    served = AppContext(settings=Settings(database_url=database_url, _env_file=None))  # type: ignore[call-arg]
    with engine.connect() as conn:
        groups = due_groups(conn, policy.schedule, ScoringConfig.load().segments, AS_OF)
    for group in groups:  # what the killed tick had committed: the reviews alone, its run still open
        reviews_only = CycleContext(engine=engine, settings=served.settings, config=policy, scoring=None, model=None)
        request = {"as_of": AS_OF, "agents": list(group.agents), "account_ids": group.account_ids}
        run_id = run_cycle(reviews_only, {**request, "trigger": "schedule"})["run_id"]  # type: ignore[typeddict-item]
        with engine.begin() as conn:
            conn.execute(
                update(AgentRun)
                .where(AgentRun.id == run_id)
                .values(status="running", finished_at=None, pid=_pid_of_a_finished_process())
            )
    assert _book_state(engine)["Scorecard"] == 0
    with engine.begin() as conn:  # one left by a crash long ago: its accounts have been due again since
        old = _scheduled_run_left_running(conn, AS_OF - timedelta(days=RETRY_WINDOW_DAYS))

    assert Scheduler(served, None, policy, fixed=AS_OF).tick().succeeded
    assert _book_state(engine) == clean
    assert Scheduler(served, None, policy, fixed=AS_OF).tick().succeeded
    assert _book_state(engine) == clean
    with engine.connect() as conn:
        statuses = dict(conn.execute(select(AgentRun.id, AgentRun.status)).all())
    assert statuses.pop(old) == "running" and "running" not in statuses.values()
    served.engine.dispose()


def test_a_scheduled_run_still_running_elsewhere_is_not_run_again(engine: Engine) -> None:
    """Two `serve` processes, or a tick beside a long run: only a run the reaper found abandoned is re-run."""
    with engine.begin() as conn:
        live = _scheduled_run_left_running(conn, AS_OF, last_seen_at=datetime.now(UTC), host="another-host", pid=4242)
    with engine.connect() as conn:
        assert [r.run_id for r in unfinished_runs(conn, AS_OF)] == []
    with engine.begin() as conn:
        conn.execute(update(AgentRun).where(AgentRun.id == live).values(status="abandoned"))
    with engine.connect() as conn:
        assert [r.run_id for r in unfinished_runs(conn, AS_OF)] == [live]
