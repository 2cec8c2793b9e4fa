"""The copilot's model path against a real model, replayed: a llama.cpp server serving SmolLM2-135M-Instruct
(see tests/cassettes/README.md to re-record). The test is about our side of the exchange (the tools offered,
the tool results sent back as data, the structured answer asked for, verification, the fallback), not about
the model, which is far too small to answer well."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from agents.copilot.graph import MODEL_FAILED
from agents.copilot.service import Copilot
from tests.integration.copilot_support import AS_OF, Book, seeded_book
from tests.integration.test_llm_cassettes import LOCAL_SETTINGS, RECORD, cassette


@pytest.fixture(scope="module")
def book(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Book]:
    made = seeded_book(tmp_path_factory.mktemp("copilot-model-cassette"), accounts=16)
    yield made
    made.engine.dispose()


def test_the_local_models_answer_falls_back_to_the_deterministic_one(book: Book) -> None:
    """What SmolLM2 did, on tape: it called no tool and wrote a paragraph about "the copilot"; asked for the
    JSON answer, it wrote HTML entities until the token limit. A cut-off answer is rejected (at temperature 0
    a second try repeats it), so the deterministic path answers and says so."""
    settings = book.settings.model_copy(
        update={**LOCAL_SETTINGS, "llm_structured_method": "json_mode", "llm_max_tokens": 400, "llm_max_attempts": 2}
    )
    with cassette("copilot_model_smollm2_why_at_risk") as tape, Copilot.open(settings) as copilot:
        got = copilot.ask(user=book.owner, account=book.at_risk, question="Why is it at risk?", as_of=AS_OF)
        requests = len(tape) if RECORD else tape.play_count
        assert copilot.model is not None and copilot.model.reader.stats.calls == 2
    assert requests == 2  # one tool round (no tool called), then the structured answer, cut off
    assert got.produced_by == "deterministic_after_model_failed" and got.intent == "why_at_risk"
    assert got.answer.endswith(MODEL_FAILED["rejected"]) and got.citations
    assert {c.account for c in got.citations} == {book.at_risk}
    assert [c.tool for c in got.tool_calls] == ["scorecard", "open_alerts"]  # the deterministic path's reads
