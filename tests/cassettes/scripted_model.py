"""A scripted OpenAI-compatible chat server on loopback, for the copilot's model path: tool calls, answers,
errors, each served in turn, streamed as server-sent events when the request asks for a stream.

A step is a fixed reply or a function of the request (an answer that quotes the tool result the "model" was
sent, the way a model would read it). Every request body is kept, so a test can read what the model was told
(the tool results, the repair turn). ``delay`` is waited before each reply's first byte: the bench subtracts
it to measure our own overhead.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Request = dict[str, Any]


@dataclass(frozen=True)
class Reply:
    status: int = 200
    content: str | None = None
    tool_calls: list[dict[str, Any]] = field(default_factory=list)


Step = Reply | Callable[[Request], Reply]


def tool_call(name: str, arguments: dict[str, Any] | None = None, *, call_id: str = "call_1") -> Reply:
    return Reply(tool_calls=[{"id": call_id, "name": name, "arguments": json.dumps(arguments or {})}])


def text(content: str) -> Reply:
    return Reply(content=content)


def answer(body: dict[str, Any]) -> Reply:
    return Reply(content=json.dumps(body))


def status(code: int) -> Reply:
    return Reply(status=code)


def tool_results(request: Request) -> list[dict[str, Any]]:
    """The tool results in a request, unwrapped from their ``<untrusted>`` section."""
    found = []
    for m in request["messages"]:
        if m["role"] == "tool" and m["content"].startswith("<untrusted"):
            found.append(json.loads(m["content"].split("\n", 1)[1].rsplit("\n", 1)[0]))
    return found


def cite_first_source(request: Request) -> Reply:
    """An answer that reads the first tool result with a source and cites its first line, as a model would."""
    result = next(r for r in tool_results(request) if isinstance(r.get("source"), dict))
    source = result["source"]
    return answer(
        {
            "answer": f"{result['account']['name']} has this on record [1].",
            "citations": [
                {
                    "source": source["table"],
                    "id": source["id"],
                    "account": result["account"]["external_id"],
                    "quote": source["text"].split("\n")[0],
                }
            ],
        }
    )


def _completion(reply: Reply) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": reply.content}
    if reply.tool_calls:
        message["tool_calls"] = [
            {"id": c["id"], "type": "function", "function": {"name": c["name"], "arguments": c["arguments"]}}
            for c in reply.tool_calls
        ]
    return {
        "id": "chatcmpl-scripted",
        "object": "chat.completion",
        "created": 1763856000,
        "model": "scripted",
        "choices": [{"index": 0, "message": message, "finish_reason": "tool_calls" if reply.tool_calls else "stop"}],
        "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15},
    }


def _chunks(reply: Reply, size: int) -> Iterator[dict[str, Any]]:
    def chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
        return {
            "id": "chatcmpl-scripted",
            "object": "chat.completion.chunk",
            "created": 1763856000,
            "model": "scripted",
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
        }

    yield chunk({"role": "assistant", "content": ""})
    for i, c in enumerate(reply.tool_calls):
        yield chunk(
            {
                "tool_calls": [
                    {"index": i, "id": c["id"], "type": "function", "function": {"name": c["name"], "arguments": ""}}
                ]
            }
        )
        yield chunk({"tool_calls": [{"index": i, "function": {"arguments": c["arguments"]}}]})
    content = reply.content or ""
    for start in range(0, len(content), size):
        yield chunk({"content": content[start : start + size]})
    yield chunk({}, "tool_calls" if reply.tool_calls else "stop")


@dataclass
class ScriptedModel:
    """The steps to serve, the requests received, and where it listens."""

    steps: list[Step]
    delay: float = 0.0
    chunk_chars: int = 8
    requests: list[Request] = field(default_factory=list)
    port: int = 0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def restart(self, steps: list[Step]) -> None:
        """Serve a new script from its first step (a bench asks many questions of one server)."""
        self.steps, self.requests = steps, []

    def next_reply(self, request: Request) -> Reply:
        self.requests.append(request)
        if len(self.requests) > len(self.steps):
            return Reply(status=400, content="the script has no more steps")
        step = self.steps[len(self.requests) - 1]
        return step(request) if callable(step) else step


def _handler(script: ScriptedModel) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            request = json.loads(self.rfile.read(int(self.headers.get("content-length", 0))) or b"{}")
            reply = script.next_reply(request)
            time.sleep(script.delay)
            if reply.status != 200:
                self._send(reply.status, {"error": {"message": reply.content or "scripted error", "type": "error"}})
            elif request.get("stream"):
                self.send_response(200)
                self.send_header("content-type", "text/event-stream")
                self.send_header("connection", "close")
                self.end_headers()
                for part in _chunks(reply, script.chunk_chars):
                    self.wfile.write(f"data: {json.dumps(part)}\n\n".encode())
                    self.wfile.flush()
                self.wfile.write(b"data: [DONE]\n\n")
                self.close_connection = True
            else:
                self._send(200, _completion(reply))

        def _send(self, code: int, body: dict[str, Any]) -> None:
            data = json.dumps(body).encode()
            self.send_response(code)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            return

    return Handler


@contextmanager
def serving(script: ScriptedModel) -> Iterator[ScriptedModel]:
    """The script served on a free loopback port for the block's length."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(script))
    script.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield script
    finally:
        server.shutdown()
        server.server_close()
