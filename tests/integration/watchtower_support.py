"""Build a cycle context the way the CLI does, for tests that drive the cycle graph directly."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy.engine import Engine

from agents.configuration import load_watchtower_config
from agents.cycle import CycleContext, CycleInput, run_cycle
from agents.llm import build_chat_model, model_name
from core.settings import Settings
from playbooks.scorecards import ScoringConfig


def cycle(engine: Engine, database_url: str, **settings: Any) -> CycleContext:
    # Explicit values beat the environment, so a developer's OPENAI_API_KEY never reaches a test.
    settings = {"llm_model": None, "llm_base_url": None, "openai_api_key": None, **settings}
    config = Settings(database_url=database_url, _env_file=None, **settings)  # type: ignore[call-arg]
    return CycleContext(
        engine=engine,
        settings=config,
        config=load_watchtower_config(),
        scoring=ScoringConfig.load(),
        model=build_chat_model(config),
        model_name=model_name(config),
    )


def run(engine: Engine, database_url: str, as_of: date, **request: Any) -> tuple[CycleContext, dict]:
    ctx = cycle(engine, database_url, **request.pop("settings", {}))
    payload: CycleInput = {"as_of": as_of, "trigger": "test", **request}
    return ctx, dict(run_cycle(ctx, payload))
