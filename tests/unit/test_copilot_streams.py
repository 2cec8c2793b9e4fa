"""The streamed answer's framing on both doors, a failure half-way included (the status line has gone out)."""

from __future__ import annotations

import json
from collections.abc import Iterator

from agents.copilot.drafts import Draft
from agents.copilot.schema import Citation, CopilotAnswer
from api.routes.openai_compat import Reply, sources_text
from api.sse import answer_events

CITED = Citation(source="scorecard", id="8", account="ACC-00008", quote="Orange band")
ANSWER = CopilotAnswer(
    answer="It is in the Orange band [1].\nScore 59.9.", citations=[CITED], produced_by="deterministic"
)


def _pieces(*, fail: bool) -> Iterator[str | CopilotAnswer]:
    yield "It is in the Orange band [1].\n"
    if fail:
        raise RuntimeError("the checkpointer went away")
    yield "Score 59.9."
    yield ANSWER


def _sse(text: str) -> list[tuple[str, str]]:
    blocks = [dict(line.split(": ", 1) for line in b.splitlines()) for b in text.strip().split("\n\n")]
    return [(b.get("event", ""), b["data"]) for b in blocks]


def test_the_event_stream_is_deltas_answer_done_or_an_error_event() -> None:
    events = _sse("".join(answer_events(_pieces(fail=False), account="ACC-00008")))
    assert [n for n, _ in events] == ["delta", "delta", "answer", "done"]
    assert CopilotAnswer.model_validate_json(events[2][1]) == ANSWER
    failed = _sse("".join(answer_events(_pieces(fail=True), account="ACC-00008")))
    assert [n for n, _ in failed] == ["delta", "error"]
    assert "ACC-00008" in json.loads(failed[1][1])["detail"] and "checkpointer" not in failed[1][1]


def test_openai_chunks_carry_the_text_the_sources_and_then_the_citations() -> None:
    reply = Reply("chatcmpl-1", 0, "watchtower-copilot:ACC-00008")
    chunks = [data for _, data in _sse("".join(reply.chunks(_pieces(fail=False))))]
    assert chunks[-1] == "[DONE]"
    deltas = [json.loads(c)["choices"][0] for c in chunks[:-1]]
    assert deltas[0]["delta"] == {"role": "assistant", "content": ""}
    text = "".join(d["delta"].get("content", "") for d in deltas)
    assert text == ANSWER.answer + sources_text([CITED])
    assert deltas[-1]["finish_reason"] == "stop" and deltas[-1]["delta"]["citations"] == [CITED.model_dump()]
    failed = [json.loads(data) for _, data in _sse("".join(reply.chunks(_pieces(fail=True))))]
    assert failed[-1]["error"]["type"] == "server_error" and "[DONE]" not in str(failed)


def _drafted() -> Iterator[Draft | str | CopilotAnswer]:
    """A model's draft, a second attempt, then the verified answer that replaces both."""
    yield Draft(1, "It is in the Red")
    yield Draft(2, "It is in the Orange band [1].")
    yield "It is in the Orange band [1].\n"
    yield "Score 59.9."
    yield ANSWER


def test_drafts_are_their_own_event_and_never_reach_an_openai_client() -> None:
    events = _sse("".join(answer_events(_drafted(), account="ACC-00008")))
    assert [n for n, _ in events] == ["draft", "draft", "delta", "delta", "answer", "done"]
    assert json.loads(events[1][1]) == {"n": 2, "text": "It is in the Orange band [1]."}
    chunks = [data for _, data in _sse("".join(Reply("chatcmpl-1", 0, "m").chunks(_drafted())))]
    text = "".join(json.loads(c)["choices"][0]["delta"].get("content", "") for c in chunks[:-1])
    assert text == ANSWER.answer + sources_text([CITED]) and "Red" not in text
