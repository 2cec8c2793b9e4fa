"""Draft pieces of a structured answer still being written: only what the ``answer`` field grew by, from JSON
content or from a tool call's arguments, and a fresh draft for each attempt."""

from __future__ import annotations

from langchain_core.messages import AIMessageChunk

from agents.copilot.drafts import Draft, DraftWriter


def written(chunks: list[AIMessageChunk], attempts: int = 1) -> list[Draft]:
    shown: list[Draft] = []
    writer = DraftWriter(shown.append)
    for _ in range(attempts):
        writer.start()
        for chunk in chunks:
            writer.chunk(chunk)
    return shown


def test_content_chunks_yield_only_the_answer_text() -> None:
    raw = '{"answer": "Acme is in the \\"Orange\\" band [1].", "citations": [{"source": "scorecard"}]}'
    pieces = written([AIMessageChunk(content=raw[i : i + 5]) for i in range(0, len(raw), 5)])
    assert "".join(p.text for p in pieces) == 'Acme is in the "Orange" band [1].'
    assert len(pieces) > 3 and {p.n for p in pieces} == {1}


def test_tool_call_arguments_yield_the_answer_text() -> None:
    raw = '{"answer": "Renews on 2027-03-14 [1].", "citations": []}'
    chunks = [
        AIMessageChunk(content="", tool_call_chunks=[{"name": "ModelAnswer", "args": "", "id": "c1", "index": 0}])
    ] + [
        AIMessageChunk(content="", tool_call_chunks=[{"name": None, "args": raw[i : i + 4], "id": None, "index": 0}])
        for i in range(0, len(raw), 4)
    ]
    assert "".join(p.text for p in written(chunks)) == "Renews on 2027-03-14 [1]."


def test_each_attempt_is_a_draft_of_its_own() -> None:
    pieces = written([AIMessageChunk(content='{"answer": "Yes [1].", "citations": []}')], attempts=2)
    assert [(p.n, p.text) for p in pieces] == [(1, "Yes [1]."), (2, "Yes [1].")]
