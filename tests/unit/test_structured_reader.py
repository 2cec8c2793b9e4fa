"""The LLM step's contract without a network: rules when no model, one repair, cache, rejection memory.

The chat model here is langchain-core's scripted fake (third-party test
support), standing in for an HTTP endpoint; the recorded-HTTP tests live in
tests/integration/test_llm_cassettes.py.
"""

from __future__ import annotations

import json

from langchain_core.language_models import FakeMessagesListChatModel
from langchain_core.messages import AIMessage
from sqlalchemy import Connection, func, select

from agents.text_reading import InteractionReading, Statement, check_interaction
from core.models import LlmCacheEntry
from llm.cache import DatabaseLlmCache
from llm.structured import LlmReader, StepResult
from prompts.loader import load_prompt

BODY = "Dana Lee: Support keeps closing issues that are not fixed."
RULES = InteractionReading(statements=[Statement(contact_id=7, quote="rule path", sentiment=-0.5)])
GOOD = {
    "statements": [{"contact_id": 7, "quote": "Support keeps closing issues that are not fixed.", "sentiment": -0.8}]
}
INVENTED = {"statements": [{"contact_id": 7, "quote": "We are leaving.", "sentiment": -1}]}


def _reader(replies: list[dict | str], cache: DatabaseLlmCache | None = None) -> LlmReader:
    messages = [AIMessage(r if isinstance(r, str) else json.dumps(r)) for r in replies]
    return LlmReader(FakeMessagesListChatModel(responses=messages), model_name="fake", method="json_mode", cache=cache)


def _read(reader: LlmReader, text: str = BODY) -> StepResult[InteractionReading]:
    return reader.read(
        step="read_interaction",
        prompt=load_prompt("read_interaction"),
        variables={"participants": "7: Dana Lee", "kind": "call", "occurred_on": "2026-11-01", "text": text},
        schema=InteractionReading,
        deterministic=lambda: RULES,
        check=lambda reading: check_interaction(reading, BODY, {7}),
    )


def test_no_model_means_the_rule_path_and_no_calls() -> None:
    reader = LlmReader(None)
    assert _read(reader) == StepResult(RULES, "deterministic")
    assert reader.stats.calls == 0


def test_an_invented_quote_is_repaired_once() -> None:
    reader = _reader([INVENTED, GOOD])
    result = _read(reader)
    assert result.produced_by == "llm"
    assert result.output.statements[0].quote == GOOD["statements"][0]["quote"]
    assert reader.stats.calls == 2 and reader.stats.fallbacks == 0


def test_two_bad_answers_fall_back_and_say_why() -> None:
    reader = _reader(["not json at all", INVENTED])
    result = _read(reader)
    assert result == StepResult(RULES, "fallback")
    assert reader.stats.notes == [
        "read_interaction: answer rejected after one repair (statements[0].quote does not occur in the text); "
        "used the deterministic path"
    ]


def test_a_cached_answer_costs_no_call_and_a_changed_input_does(conn: Connection) -> None:
    cache = DatabaseLlmCache(conn)
    first = _reader([GOOD], cache)
    assert _read(first).produced_by == "llm"
    again = _reader([], cache)  # no scripted replies: any call would fail
    assert _read(again).produced_by == "llm_cache"
    assert again.stats.calls == 0 and again.stats.cache_hits == 1
    changed = _reader([GOOD], cache)
    assert _read(changed, text=BODY + " ").produced_by == "llm"
    assert changed.stats.calls == 1


def test_a_rejected_answer_is_remembered_so_reruns_do_not_pay_again(conn: Connection) -> None:
    cache = DatabaseLlmCache(conn)
    assert _read(_reader([INVENTED, INVENTED], cache)).produced_by == "fallback"
    rerun = _reader([], cache)
    assert _read(rerun) == StepResult(RULES, "fallback")
    assert rerun.stats.calls == 0 and rerun.stats.cache_hits == 1 and rerun.stats.fallbacks == 1


def test_answers_wait_in_memory_until_flushed_and_a_key_is_stored_once(conn: Connection) -> None:
    """The cycle asks the model with no transaction open: answers are written later, in its short write."""
    cache = DatabaseLlmCache(conn)
    _read(_reader([GOOD], cache))

    def stored() -> int:
        return conn.execute(select(func.count()).select_from(LlmCacheEntry)).scalar_one()

    assert stored() == 0 and len(cache.pending) == 1
    assert cache.flush(conn) == 1 and stored() == 1 and not cache.pending
    other = DatabaseLlmCache(conn)  # a second run that answered the same text before seeing the first's row
    (key,) = conn.execute(select(LlmCacheEntry.key)).scalars()
    other.put(key, step="read_interaction", model="fake", output=GOOD, tokens=1)
    assert other.flush(conn) == 1 and stored() == 1
