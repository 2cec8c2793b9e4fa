"""The briefing's model path against a real model, replayed: a llama.cpp server serving SmolLM2-135M-Instruct
on port 8775 (``make llm-serve LLM_PORT=8775``; see tests/cassettes/README.md to re-record). The test is about
our side: the compact facts record sent as data, the narrative checked against the whole record, the one
regeneration told what failed, and the template when that fails too, recorded with the checker's findings."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from agents.briefing.service import Briefer
from tests.integration.briefing_support import AS_OF, BriefingBook, briefing_book
from tests.integration.test_llm_cassettes import LOCAL_SETTINGS, RECORD, cassette

LOCAL_LLM = "http://127.0.0.1:8775/v1"
NOW = datetime(2026, 11, 23, 7, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def book(tmp_path_factory: pytest.TempPathFactory) -> BriefingBook:
    return briefing_book(tmp_path_factory, "briefing-cassette")


def test_the_local_models_narrative_is_checked_and_replaced_by_the_template(book: BriefingBook) -> None:
    settings = book.settings.model_copy(
        update={
            **LOCAL_SETTINGS,
            "llm_base_url": LOCAL_LLM,
            "llm_structured_method": "json_mode",
            "llm_max_tokens": 900,
            "llm_max_attempts": 1,
        }
    )
    with cassette("briefing_smollm2_csm") as tape:
        out = Briefer.from_settings(book.engine, settings).produce(
            audience=f"csm:{book.csm}", as_of=AS_OF, now=NOW, deliver=False
        )
        requests = len(tape) if RECORD else tape.play_count
    findings = out["findings"]
    report = f"{out['produced_by']} after {requests} request(s); the checker found: {findings}"
    # What SmolLM2-135M did on the recording: its first answer was not the narrative's JSON (it echoed the prompt
    # and invented "15% growth"), the reader's one repair turn ran to the token limit, so the narrative never
    # reached the checker and the template's took its place, saying why.
    assert requests == 2, report  # the first answer, then the reader's one repair turn
    assert out["produced_by"] == "template_after_model_failed", report
    assert findings == ["answer cut off at the token limit"], report
    assert "written from the template, because the model's draft could not be used" in out["markdown"]
    assert "15%" not in out["markdown"]
