"""Build a cycle context the way the CLI does, for tests that drive the cycle graph directly."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Any

from sqlalchemy.engine import Engine

from actions.play_steps import make_play_engine
from agents.configuration import load_watchtower_config
from agents.cycle import CycleContext, CycleInput, run_cycle
from core.settings import Settings
from llm.factory import build_chat_model, build_reader
from playbooks.play_engine import load_play_configs
from scorecards.weekly import ScoringConfig


def cycle(engine: Engine, database_url: str, as_of: date, *, plays: bool = True, **settings: Any) -> CycleContext:
    # Explicit values beat the environment, so a developer's OPENAI_API_KEY never reaches a test.
    settings = {"llm_model": None, "llm_base_url": None, "openai_api_key": None, **settings}
    config = Settings(database_url=database_url, _env_file=None, **settings)  # type: ignore[call-arg]
    ctx = CycleContext(
        engine=engine,
        settings=config,
        config=load_watchtower_config(),
        scoring=ScoringConfig.load(),
        model=build_chat_model(config),
    )
    if plays:
        playbook, forecast = load_play_configs()
        reader = build_reader(config, ctx.model, stats=ctx.stats)
        ctx.plays = make_play_engine(
            playbook, forecast, now=datetime.combine(as_of, time(9), tzinfo=UTC), reader=reader
        )
    return ctx


def run(engine: Engine, database_url: str, as_of: date, **request: Any) -> tuple[CycleContext, dict]:
    ctx = cycle(engine, database_url, as_of, plays=request.pop("plays", True), **request.pop("settings", {}))
    payload: CycleInput = {"as_of": as_of, "trigger": "test", **request}
    return ctx, dict(run_cycle(ctx, payload))
