"""The --live path of a text suite, replayed from a cassette of a scripted OpenAI-compatible server.

The server reads every text as unhappy, so the figures say nothing about a model; what the test checks is
the path: a fixed stratified sample, one model call per row through langchain-openai, answers mapped to the
suite's labels, no silent fallback to the rules.
"""

from __future__ import annotations

import threading
from collections import Counter

from core.settings import Settings
from evals.catalog import load_specs
from evals.context import EvalContext
from evals.suites.text_labels import run
from llm.factory import build_chat_model
from tests.cassettes.error_server import serve
from tests.integration.test_llm_cassettes import ERROR_PORT, RECORD, _requests, cassette

SAMPLE = 6


def test_live_detractor_suite_reads_a_stratified_sample_through_the_model():
    spec = next(s for s in load_specs() if s.id == "sentiment.detractors.v1")
    spec = spec.model_copy(update={"params": {**spec.params, "live_sample": SAMPLE}})
    settings = Settings(
        llm_base_url=f"http://127.0.0.1:{ERROR_PORT}/negative_reader/v1",
        llm_model="scripted",
        openai_api_key="test",
        llm_backoff_max_seconds=0,
        _env_file=None,
    )  # type: ignore[call-arg]
    server = serve(ERROR_PORT) if RECORD else None
    if server is not None:
        threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        ctx = EvalContext(live=True, model=build_chat_model(settings))
        with cassette("evals_live_detractor") as tape:
            outcomes = run(spec, ctx)
            calls = _requests(tape)
    finally:
        if server is not None:
            server.shutdown()
    assert len(outcomes) == SAMPLE and calls == SAMPLE
    # The file is 63% negative: the sample keeps that share (4 of 6), the same rows every run.
    assert Counter(o.expected for o in outcomes) == Counter({True: 4, False: 2})
    assert all(o.output is True for o in outcomes) and ctx.notes == []
