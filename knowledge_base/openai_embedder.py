"""Embeddings from any OpenAI-compatible ``/v1/embeddings`` endpoint (OpenAI, vLLM, llama.cpp, Ollama, TEI).

LangChain's ``OpenAIEmbeddings`` makes the requests with its own retries off and its tiktoken pre-tokenising
off: that path sends OpenAI token ids rather than text, which another server's model cannot read, and fetches
tiktoken's vocabulary from the network. Each request is retried on its own with the project's jittered
backoff, so a 500 in the tenth batch repeats that batch and not the nine before it.

Rows are normalised here because not every server does; the width is the endpoint's to say, so it is read
from its first answer and every later answer must agree with it.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence

import numpy as np
import openai
from tenacity import RetryError

from core.retrying import backoff
from knowledge_base.embedder import check_texts, normalise_rows
from llm.endpoint_errors import describe_failure, is_transient

log = logging.getLogger(__name__)

#: Texts per request; OpenAI accepts up to 2,048 inputs in one request, local servers often fewer.
BATCH_SIZE = 256
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


class EmbeddingEndpointError(RuntimeError):
    """The endpoint failed or answered something that is not one vector per text; the message names it."""


def collection_name(model: str) -> str:
    """``openai-<model>``, with characters a vector collection's name cannot hold turned into dashes."""
    return "openai-" + _UNSAFE.sub("-", model).strip("-._")


class OpenAIEmbedder:
    def __init__(
        self,
        *,
        model: str,
        base_url: str | None,
        api_key: str | None,
        timeout_seconds: float,
        max_attempts: int,
        backoff_max_seconds: float,
        batch_size: int = BATCH_SIZE,
    ) -> None:
        from langchain_openai import OpenAIEmbeddings

        if batch_size < 1:
            raise ValueError(f"batch_size must be 1 or more, not {batch_size}")
        self.name = collection_name(model)
        self.model = model
        self.batch_size = batch_size
        self._where = f"{base_url or 'the OpenAI API'} (model {model!r})"
        self._max_attempts = max_attempts
        self._backoff_max_seconds = backoff_max_seconds
        self._dimensions: int | None = None
        self._client = OpenAIEmbeddings(
            model=model,
            base_url=base_url,
            api_key=api_key or "not-needed",
            timeout=timeout_seconds,
            max_retries=0,
            check_embedding_ctx_length=False,
            chunk_size=batch_size,
        )

    @property
    def dimensions(self) -> int:
        """The endpoint's vector width; before any vector has been seen this costs one request."""
        if self._dimensions is None:
            self.embed(["width"])
        assert self._dimensions is not None
        return self._dimensions

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        listed = check_texts(texts)
        if not listed:
            return np.zeros((0, self.dimensions), dtype=np.float32)
        rows: list[list[float]] = []
        for start in range(0, len(listed), self.batch_size):
            rows.extend(self._request(listed[start : start + self.batch_size]))
        widths = {len(row) for row in rows}
        if len(widths) != 1 or 0 in widths:
            raise EmbeddingEndpointError(f"{self._where} answered vectors of widths {sorted(widths)}")
        width = widths.pop()
        if self._dimensions is None:
            self._dimensions = width
        elif width != self._dimensions:
            raise EmbeddingEndpointError(f"{self._where} answered {width} dimensions after {self._dimensions}")
        return normalise_rows(np.asarray(rows, dtype=np.float32))

    def _request(self, batch: list[str]) -> list[list[float]]:
        try:
            for attempt in backoff(
                is_transient, attempts=self._max_attempts, max_wait_seconds=self._backoff_max_seconds, log=log
            ):
                with attempt:
                    vectors = self._client.embed_documents(batch)
        except RetryError as exc:
            cause = exc.last_attempt.exception()
            raise EmbeddingEndpointError(
                f"embeddings from {self._where} failed {self._max_attempts} times, last: {describe_failure(cause)}"
            ) from cause
        except openai.OpenAIError as exc:
            raise EmbeddingEndpointError(f"embeddings from {self._where} refused: {exc}") from exc
        if len(vectors) != len(batch):
            raise EmbeddingEndpointError(f"{self._where} answered {len(vectors)} vectors for {len(batch)} texts")
        return vectors
