"""The LLM path against recorded HTTP: request building, parsing, validation, repair, retry, fallback and cache.

Cassettes were recorded against a real OpenAI-compatible server (llama.cpp
serving SmolLM2-135M-Instruct) and a scripted failure server; see
tests/cassettes/README.md to re-record. Here they are only replayed
(``record_mode="none"``): a request that is not on tape fails the test.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from pathlib import Path

import pytest
import vcr
from sqlalchemy import select, text
from sqlalchemy.engine import Engine

from agents.text_reading import InteractionReading, check_interaction, read_interaction_rules
from core.models import AgentRun
from core.settings import Settings
from llm.factory import build_chat_model, model_name
from llm.structured import LlmReader, StepResult
from prompts.loader import load_prompt, untrusted
from tests.cassettes.error_server import serve
from tests.integration.helpers import AS_OF, seed_small_book, watchtower_rows
from tests.integration.watchtower_support import run
from tools.records import ContactRecord, InteractionRecord

RECORD = os.environ.get("WATCHTOWER_RECORD_CASSETTES") == "1"
CASSETTES = Path(__file__).resolve().parents[1] / "cassettes"
LOCAL_LLM = "http://127.0.0.1:8765/v1"
ERROR_PORT = 8766
#: How the local llama.cpp server must be asked (see the README's known quirks).
LOCAL_SETTINGS = {
    "llm_model": "smollm2",
    "llm_base_url": LOCAL_LLM,
    "llm_max_tokens_field": "max_tokens",
    "llm_max_tokens": 700,
    "llm_timeout_seconds": 300,
    "llm_backoff_max_seconds": 0,
}


def cassette(name: str) -> AbstractContextManager:
    recorder = vcr.VCR(
        cassette_library_dir=str(CASSETTES),
        record_mode="once" if RECORD else "none",
        match_on=["method", "scheme", "host", "port", "path", "query", "body"],
        filter_headers=["authorization", "api-key", "openai-organization", "openai-project"],
        decode_compressed_response=True,
    )
    return recorder.use_cassette(f"{name}.yaml")


def _requests(tape: vcr.cassette.Cassette) -> int:
    """Requests answered from the tape (or, while recording, written to it)."""
    return len(tape) if RECORD else tape.play_count


@pytest.fixture(scope="module")
def error_server() -> Iterator[None]:
    """Only while recording: the scripted server the failure cassettes come from."""
    if not RECORD:
        yield
        return
    server = serve(ERROR_PORT)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield
    server.shutdown()


CONTACT = ContactRecord(
    id=7,
    external_id="C-7",
    name="Dana Lee",
    email=None,
    title="VP Operations",
    department="Operations",
    roles=["champion"],
    status="active",
    departed_on=None,
)
BODY = (
    "CSM01: How are things going with the platform?\n"
    "Dana Lee: The price increase is hard to justify to our CFO.\n"
    "Dana Lee: Support keeps closing issues that are not fixed."
)
CALL = InteractionRecord(
    id=1,
    external_id="X-1",
    kind="call",
    occurred_at=datetime(2026, 11, 1, tzinfo=UTC),
    direction="outbound",
    subject=None,
    body=BODY,
    contact_ids=[7],
)


def _reader(**settings: object) -> LlmReader:
    config = Settings(_env_file=None, **{**LOCAL_SETTINGS, **settings})  # type: ignore[arg-type]
    return LlmReader(
        build_chat_model(config),
        model_name=model_name(config),
        method=config.llm_structured_method,
        max_attempts=config.llm_max_attempts,
        backoff_max_seconds=config.llm_backoff_max_seconds,
    )


def _read(reader: LlmReader) -> StepResult[InteractionReading]:
    return reader.read(
        step="read_interaction",
        prompt=load_prompt("read_interaction"),
        variables={
            "participants": "7: Dana Lee, VP Operations",
            "kind": "call",
            "occurred_on": "2026-11-01",
            "text": untrusted(BODY, source="interaction X-1"),
        },
        schema=InteractionReading,
        deterministic=lambda: read_interaction_rules(CALL, [CONTACT]),
        check=lambda reading: check_interaction(reading, BODY, {7}),
    )


def test_invented_quotes_are_repaired_once_then_replaced_by_rules() -> None:
    """The small model quotes sentences that are not in the call; validation catches it, twice."""
    reader = _reader(llm_structured_method="function_calling", llm_max_attempts=2)
    with cassette("read_interaction_function_calling_invented_quotes") as tape:
        result = _read(reader)
    assert _requests(tape) == 2  # the answer and the one repair
    assert result.produced_by == "fallback"
    assert result.output == read_interaction_rules(CALL, [CONTACT])
    assert reader.stats.calls == 2 and reader.stats.fallbacks == 1 and reader.stats.tokens > 0
    assert any("does not occur in the text" in note for note in reader.stats.notes)


def test_rate_limit_is_retried_then_answered(error_server: None) -> None:
    reader = _reader(llm_base_url=f"http://127.0.0.1:{ERROR_PORT}/rate_limited/v1", llm_structured_method="json_mode")
    with cassette("scripted_rate_limited_then_ok") as tape:
        result = _read(reader)
    assert _requests(tape) == 2
    assert result.produced_by == "llm"
    assert result.output == InteractionReading(statements=[], cancel_intent=False)
    assert reader.stats.calls == 2 and reader.stats.fallbacks == 0


def test_server_errors_exhaust_the_retries_then_fall_back(error_server: None) -> None:
    reader = _reader(
        llm_base_url=f"http://127.0.0.1:{ERROR_PORT}/server_error/v1",
        llm_structured_method="json_mode",
        llm_max_attempts=3,
    )
    with cassette("scripted_server_error") as tape:
        result = _read(reader)
    assert _requests(tape) == 3
    assert result.produced_by == "fallback"
    assert result.output == read_interaction_rules(CALL, [CONTACT])
    assert reader.stats.notes == ["read_interaction: model unavailable (HTTP 500); used the deterministic path"]


def test_malformed_json_gets_one_repair_then_falls_back(error_server: None) -> None:
    reader = _reader(llm_base_url=f"http://127.0.0.1:{ERROR_PORT}/malformed/v1", llm_structured_method="json_mode")
    with cassette("scripted_malformed_json") as tape:
        result = _read(reader)
    assert _requests(tape) == 2
    assert result.produced_by == "fallback"
    assert "not JSON" in reader.stats.notes[0]


def test_a_rerun_cycle_answers_from_the_cache_with_zero_calls(engine: Engine, database_url: str) -> None:
    """One account's sentiment review through the local model, then the same cycle again."""
    seed_small_book(engine)
    with engine.connect() as conn:
        # The account with the fewest texts (at least two) keeps the recording short.
        account_id = conn.execute(
            text(
                "SELECT account_id FROM interaction WHERE body IS NOT NULL GROUP BY account_id "
                "HAVING COUNT(*) >= 2 ORDER BY COUNT(*), account_id LIMIT 1"
            )
        ).scalar_one()
    settings = {**LOCAL_SETTINGS, "llm_structured_method": "json_mode"}
    with cassette("cycle_sentiment_one_account") as tape:
        _, first = run(engine, database_url, AS_OF, agents=["sentiment"], account_ids=[account_id], settings=settings)
        recorded = _requests(tape)
    rows = watchtower_rows(engine)
    with cassette("cycle_sentiment_one_account") as tape:
        _, second = run(engine, database_url, AS_OF, agents=["sentiment"], account_ids=[account_id], settings=settings)
        assert tape.play_count == 0
    with engine.connect() as conn:
        runs = conn.execute(select(AgentRun).order_by(AgentRun.id)).mappings().all()
    assert recorded > 0
    assert runs[0]["llm_calls"] >= recorded and runs[0]["llm_cache_hits"] == 0
    assert runs[1]["llm_calls"] == 0 and runs[1]["llm_cache_hits"] == len(rows["llm_cache"]) > 0
    assert watchtower_rows(engine) == rows
    with engine.connect() as conn:
        produced = conn.execute(text("SELECT produced_by FROM agent_output")).scalar_one()
    assert produced in {"llm", "llm_with_fallback"}
    assert first["status"] in {"succeeded", "degraded"} and second["status"] == first["status"]
