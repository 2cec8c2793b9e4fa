"""The evaluation book: a seeded synthetic book, run through the weekly cycle and a few days of plays.

The seed plants scenarios (a usage fall, a champion leaving, an overdue invoice ...) on known accounts,
writes their labels and the churn outcomes, and keeps some healthy controls. Suites that read the same
book (same size, seed and days) share one build per run. Each build is a fresh SQLite file in a temporary
folder, so an evaluation never touches anyone's database.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select

from actions.play_steps import make_play_engine
from agents.configuration import load_watchtower_config
from agents.cycle import CycleContext, run_cycle
from core.db import make_engine
from core.models import Account
from core.schema import upgrade
from core.settings import Settings
from evals.context import EvalContext
from playbooks.play_engine import load_play_configs
from scorecards.weekly import ScoringConfig
from sources.synthetic.generator import AccountGenerator, BookSpec
from sources.synthetic.writer import seed_book

AS_OF = date(2026, 11, 22)


@dataclass
class Book:
    engine: Engine
    database_url: str
    folder: Path
    as_of: date
    #: Planted scenarios by account external id (healthy controls and churned accounts included).
    scenarios: dict[str, set[str]]
    #: Churned (1) or renewed (0) at the next renewal, by account external id.
    outcomes: dict[str, int]

    def accounts_with(self, scenario: str) -> list[str]:
        return sorted(a for a, s in self.scenarios.items() if scenario in s)


def settings_for(database_url: str) -> Settings:
    # Explicit values beat the environment: an evaluation without --live never reaches a model.
    return Settings(database_url=database_url, llm_model=None, llm_base_url=None, openai_api_key=None, _env_file=None)  # type: ignore[call-arg]


def run_cycle_on(engine: Engine, database_url: str, day: date, account_ids: list[int] | None = None) -> None:
    """The weekly cycle as `watchtower run` runs it: four watchtowers, scorecards, then plays."""
    settings = settings_for(database_url)
    ctx = CycleContext(
        engine=engine, settings=settings, config=load_watchtower_config(), scoring=ScoringConfig.load(), model=None
    )
    playbook, forecast = load_play_configs()
    ctx.plays = make_play_engine(playbook, forecast, now=datetime.combine(day, time(9), tzinfo=UTC))
    run_cycle(ctx, {"as_of": day, "trigger": "eval", **({"account_ids": account_ids} if account_ids else {})})


def walk_plays(engine: Engine, start: date, days: int) -> None:
    playbook, forecast = load_play_configs()
    for n in range(1, days):
        day = start + timedelta(days=n)
        make_play_engine(playbook, forecast, now=datetime.combine(day, time(9), tzinfo=UTC)).run(engine, day, None)


def book_for(ctx: EvalContext, params: dict[str, Any]) -> Book:
    key = (params.get("accounts", 240), params.get("seed", 7), params.get("days", 14))
    if key in ctx.books:
        return ctx.books[key]
    accounts, seed, days = key
    folder = Path(tempfile.mkdtemp(prefix="watchtower-eval-"))
    url = f"sqlite:///{folder / 'book.db'}"
    engine = make_engine(url)
    upgrade(engine)
    seed_book(engine, AccountGenerator(BookSpec(accounts=accounts, seed=seed, as_of=AS_OF)), labels_dir=folder)
    if days > 0:  # days 0: the seeded data alone, for suites that only read it (calibration on a large book)
        run_cycle_on(engine, url, AS_OF)
        walk_plays(engine, AS_OF, days)
    # Every account is in the book's ground truth: one planted with nothing should raise nothing.
    with engine.connect() as conn:
        scenarios: dict[str, set[str]] = {ext: set() for ext in conn.execute(select(Account.external_id)).scalars()}
    for line in (folder / "labels.jsonl").read_text(encoding="utf-8").splitlines():
        label = json.loads(line)
        scenarios[label["account_external_id"]].add(label["scenario"])
    outcomes = {}
    for line in (folder / "outcomes.csv").read_text(encoding="utf-8").splitlines()[1:]:
        account, churned, _ = line.split(",")
        outcomes[account] = int(churned)
    book = Book(engine, url, folder, AS_OF, scenarios, outcomes)
    ctx.books[key] = book
    return book


def copy_of(book: Book) -> tuple[Engine, str, Path]:
    """A scratch copy of a built book, for a suite that changes it (an injection case, say)."""
    book.engine.dispose()
    folder = Path(tempfile.mkdtemp(prefix="watchtower-eval-copy-"))
    shutil.copy(book.folder / "book.db", folder / "book.db")
    url = f"sqlite:///{folder / 'book.db'}"
    return make_engine(url), url, folder


def close_books(ctx: EvalContext) -> None:
    for book in ctx.books.values():
        book.engine.dispose()
        shutil.rmtree(book.folder, ignore_errors=True)
    ctx.books.clear()
