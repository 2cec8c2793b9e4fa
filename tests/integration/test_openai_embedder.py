"""The endpoint embedder against a scripted OpenAI-compatible ``/v1/embeddings`` server on 127.0.0.1.

The server answers each text with a vector made from the text itself (not unit length), so a test can tell
whether rows were normalised and kept in order; a script of statuses makes it fail before it answers.
"""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import numpy as np
import pytest

from core.settings import Settings
from knowledge_base.embeddings import embedder_from_settings
from knowledge_base.openai_embedder import EmbeddingEndpointError, OpenAIEmbedder

WIDTH = 6
MODEL = "nomic-ai/nomic-embed-text-v1.5"


def vector_for(text: str) -> list[float]:
    """A vector that differs for every text and is not unit length."""
    codes = [ord(c) for c in text] or [0]
    return [float(len(text) + 1), float(sum(codes) % 97), 3.0, float(max(codes)), -2.0, float(len(set(text)))]


class ScriptedEmbeddings:
    """Answers POST /v1/embeddings; ``script`` holds statuses served first, in turn, then 200s."""

    def __init__(self, script: list[int] | None = None) -> None:
        self.script = list(script or [])
        self.requests: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers.get("content-length", 0))))
                outer.requests.append(body)
                outer.headers.append({k.lower(): v for k, v in self.headers.items()})
                status = outer.script.pop(0) if outer.script else 200
                if self.path != "/v1/embeddings":
                    status = 404
                if status != 200:
                    self._reply(status, {"error": {"message": f"scripted {status}", "type": "server_error"}})
                    return
                data = []
                for index, text in enumerate(body["input"]):
                    vector = vector_for(text)
                    if body.get("encoding_format") == "base64":
                        encoded = base64.b64encode(np.asarray(vector, dtype="<f4").tobytes()).decode()
                        data.append({"object": "embedding", "index": index, "embedding": encoded})
                    else:
                        data.append({"object": "embedding", "index": index, "embedding": vector})
                usage = {"prompt_tokens": len(data), "total_tokens": len(data)}
                self._reply(200, {"object": "list", "data": data, "model": body["model"], "usage": usage})

            def _reply(self, status: int, payload: dict[str, Any]) -> None:
                raw = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/v1"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def server() -> Iterator[ScriptedEmbeddings]:
    scripted = ScriptedEmbeddings()
    yield scripted
    scripted.close()


def settings_for(server: ScriptedEmbeddings, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "embedding_backend": "openai",
        "embedding_model": MODEL,
        "embedding_base_url": server.url,
        "openai_api_key": "sk-test",
        "llm_max_attempts": 3,
        "llm_backoff_max_seconds": 0,
        "llm_timeout_seconds": 5,
    }
    return Settings(**(values | overrides))


def expected(texts: list[str]) -> np.ndarray:
    raw = np.array([vector_for(t) for t in texts], dtype=np.float64)
    return raw / np.linalg.norm(raw, axis=1, keepdims=True)


TEXTS = ["Renewal at risk", "", "Quote: $48,000 for 120 seats", "Müller GmbH verlängert", "ok"]


def test_texts_are_sent_as_text_and_come_back_unit_length_in_order(server: ScriptedEmbeddings):
    embedder = embedder_from_settings(settings_for(server))
    vectors = embedder.embed(TEXTS)
    assert vectors.dtype == np.float32
    assert vectors.shape == (len(TEXTS), WIDTH)
    np.testing.assert_allclose(vectors, expected(TEXTS), atol=1e-6)
    [request] = server.requests
    assert request["model"] == MODEL
    assert request["input"] == TEXTS, "texts, not tiktoken ids"
    assert server.headers[0]["authorization"] == "Bearer sk-test"


def test_the_name_carries_the_model_and_the_width_comes_from_the_endpoint(server: ScriptedEmbeddings):
    embedder = embedder_from_settings(settings_for(server))
    assert embedder.name == "openai-nomic-ai-nomic-embed-text-v1.5"
    assert embedder.name != embedder_from_settings(settings_for(server, embedding_model="other-model")).name
    assert embedder.dimensions == WIDTH
    assert embedder.embed([]).shape == (0, WIDTH)
    assert len(server.requests) == 1, "the width is asked for once"


def test_one_server_error_is_retried_and_the_answer_used(server: ScriptedEmbeddings):
    server.script = [500]
    vectors = embedder_from_settings(settings_for(server)).embed(TEXTS[:2])
    assert len(server.requests) == 2
    assert server.requests[0] == server.requests[1]
    np.testing.assert_allclose(vectors, expected(TEXTS[:2]), atol=1e-6)


def test_an_endpoint_that_keeps_failing_is_an_error_after_the_set_attempts(server: ScriptedEmbeddings):
    server.script = [503, 500, 502, 500]
    with pytest.raises(EmbeddingEndpointError, match=r"failed 3 times, last: HTTP 502"):
        embedder_from_settings(settings_for(server)).embed(TEXTS)
    assert len(server.requests) == 3


def test_a_refused_request_is_not_retried(server: ScriptedEmbeddings):
    server.script = [400]
    with pytest.raises(EmbeddingEndpointError, match=r"refused: .*scripted 400"):
        embedder_from_settings(settings_for(server)).embed(TEXTS)
    assert len(server.requests) == 1


def test_a_retry_repeats_only_the_batch_that_failed(server: ScriptedEmbeddings):
    embedder = OpenAIEmbedder(
        model=MODEL,
        base_url=server.url,
        api_key=None,
        timeout_seconds=5,
        max_attempts=3,
        backoff_max_seconds=0,
        batch_size=2,
    )
    server.script = [200, 500]
    vectors = embedder.embed(TEXTS)
    assert [r["input"] for r in server.requests] == [TEXTS[0:2], TEXTS[2:4], TEXTS[2:4], TEXTS[4:5]]
    np.testing.assert_allclose(vectors, expected(TEXTS), atol=1e-6)
