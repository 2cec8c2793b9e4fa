"""A scripted OpenAI-compatible server for recording cassettes: 429s, 500s, malformed and canned answers.

Each scenario is a path prefix (``/rate_limited/v1/chat/completions``) with a
list of replies served in turn; the last one repeats. Only used when
recording (see tests/cassettes/README.md); tests replay what it answered.

    python -m tests.cassettes.error_server --port 8766
"""

from __future__ import annotations

import argparse
import json
from collections import defaultdict
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar

ANSWER = {"statements": [], "cancel_intent": False}


def _completion(content: str) -> dict[str, Any]:
    return {
        "id": "chatcmpl-scripted",
        "object": "chat.completion",
        "created": 1763856000,
        "model": "scripted",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15},
    }


RATE_LIMIT = (429, {"error": {"message": "Rate limit reached", "type": "rate_limit_error"}})
SERVER_ERROR = (500, {"error": {"message": "The server had an error", "type": "server_error"}})
MALFORMED = (200, _completion('{"statements": [{"contact_id": 1, "quote": '))
VALID = (200, _completion(json.dumps(ANSWER)))

#: For the evals' --live path: every text read as one unhappy statement.
NEGATIVE = (
    200,
    _completion(
        json.dumps({"statements": [{"contact_id": 1, "quote": "x", "sentiment": -0.8}], "cancel_intent": False})
    ),
)

SCENARIOS: dict[str, list[tuple[int, dict[str, Any]]]] = {
    "negative_reader": [NEGATIVE],
    "rate_limited": [RATE_LIMIT, VALID],
    "server_error": [SERVER_ERROR],
    "malformed": [MALFORMED],
}


class Handler(BaseHTTPRequestHandler):
    served: ClassVar[dict[str, int]] = defaultdict(int)

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("content-length", 0)))
        scenario = self.path.strip("/").split("/")[0]
        replies = SCENARIOS.get(scenario)
        if replies is None:
            self.send_error(404)
            return
        status, body = replies[min(self.served[scenario], len(replies) - 1)]
        self.served[scenario] += 1
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        return


def serve(port: int) -> ThreadingHTTPServer:
    return ThreadingHTTPServer(("127.0.0.1", port), Handler)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8766)
    serve(parser.parse_args().port).serve_forever()
