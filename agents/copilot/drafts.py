"""The model's answer text while it is still being written, as draft pieces a stream can show at once.

The final answer arrives as JSON (``{"answer": "...", "citations": [...]}``), in the message content or in a
tool call's arguments, depending on the structured method. Each chunk extends the raw JSON; the partial
object is parsed again and only what the ``answer`` field grew by is passed on, so a reader sees words, not
braces. A draft is provisional: it has not been verified, and the answer that is finally shown may differ
(see ``agents.copilot.service``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from langchain_core.messages import AIMessageChunk
from langchain_core.utils.json import parse_partial_json


@dataclass(frozen=True)
class Draft:
    """A piece of an unverified answer. ``n`` counts the attempts of this turn: when it changes, the text of
    the previous attempt (a retried call, or the answer that the repair turn replaces) is void."""

    n: int
    text: str


@dataclass
class DraftWriter:
    """Turns the chunks of one structured answer into ``Draft`` pieces handed to ``emit``."""

    emit: Callable[[Draft], Any]
    attempt: int = 0
    _raw: str = ""
    _shown: str = ""
    _args: dict[int, str] = field(default_factory=dict)

    def start(self) -> None:
        self.attempt += 1
        self._raw, self._shown, self._args = "", "", {}

    def chunk(self, chunk: AIMessageChunk) -> None:
        if chunk.tool_call_chunks:
            for part in chunk.tool_call_chunks:
                index = part.get("index") or 0
                self._args[index] = self._args.get(index, "") + (part.get("args") or "")
            self._raw = self._args.get(min(self._args), "")
        elif isinstance(chunk.content, str) and chunk.content:
            self._raw += chunk.content
        else:
            return
        grown = self._answer_so_far()
        if grown.startswith(self._shown) and len(grown) > len(self._shown):
            self.emit(Draft(self.attempt, grown[len(self._shown) :]))
            self._shown = grown

    def _answer_so_far(self) -> str:
        text = self._raw.strip()
        if text.startswith("```"):
            text = text.split("\n", 1)[1] if "\n" in text else ""
        try:
            parsed = parse_partial_json(text) if text else None
        except ValueError:
            return self._shown
        value = parsed.get("answer") if isinstance(parsed, dict) else None
        return value if isinstance(value, str) else self._shown
