"""Server-sent events as the copilot's stream writes them: one named event per answer piece, JSON data."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator

from agents.copilot.drafts import Draft
from agents.copilot.schema import CopilotAnswer

log = logging.getLogger(__name__)
MEDIA_TYPE = "text/event-stream"
#: Keep proxies from buffering the stream and browsers from caching it.
HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}


def event(name: str, data: str) -> str:
    """One event; ``data`` is JSON on one line, so it never needs splitting over ``data:`` lines."""
    return f"event: {name}\ndata: {data}\n\n"


def answer_events(pieces: Iterator[Draft | str | CopilotAnswer], *, account: str) -> Iterator[str]:
    """``draft`` for each unverified piece of a model's answer (``{"n": ..., "text": ...}``; provisional: a new
    ``n`` voids the text drafted before it, and the first ``delta`` or the ``answer`` replaces all of it),
    ``delta`` for each verified text piece (``{"text": ...}``), ``answer`` with the whole answer, then ``done``.

    The status line went out with the first byte, so a failure half-way is told as an ``error`` event.
    """
    try:
        for piece in pieces:
            if isinstance(piece, CopilotAnswer):
                yield event("answer", piece.model_dump_json())
            elif isinstance(piece, Draft):
                yield event("draft", json.dumps({"n": piece.n, "text": piece.text}))
            else:
                yield event("delta", json.dumps({"text": piece}))
    except Exception:  # the response has started: say so in the stream rather than cut it short unexplained
        log.exception("the copilot failed while streaming an answer about %s", account)
        yield event("error", json.dumps({"detail": f"the copilot failed answering about {account}; ask again"}))
        return
    yield event("done", "{}")
