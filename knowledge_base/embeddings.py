"""Settings to an embedder: the offline MiniLM unless the team points the knowledge base at an endpoint.

The backend name is checked here rather than in ``core.settings``: the backends are the knowledge base's to
know, and a mistyped name then fails the commands that embed, with the setting named, and no others.
"""

from __future__ import annotations

from core.settings import Settings
from knowledge_base.embedder import Embedder
from knowledge_base.minilm import MiniLM
from knowledge_base.openai_embedder import OpenAIEmbedder

BACKENDS = ("minilm", "openai")


class EmbeddingSettingsError(ValueError):
    """The embedding settings name no usable embedder; the message names the environment variable to set."""


def embedder_from_settings(settings: Settings) -> Embedder:
    backend = settings.embedding_backend.strip().lower()
    if backend == "minilm":
        return MiniLM()
    if backend == "openai":
        return _openai(settings)
    raise EmbeddingSettingsError(
        f"WATCHTOWER_EMBEDDING_BACKEND is {settings.embedding_backend!r}; use one of: {', '.join(BACKENDS)}"
    )


def _openai(settings: Settings) -> OpenAIEmbedder:
    if not settings.embedding_model:
        raise EmbeddingSettingsError(
            "WATCHTOWER_EMBEDDING_BACKEND=openai needs WATCHTOWER_EMBEDDING_MODEL, the endpoint's embedding model"
        )
    base_url = settings.embedding_base_url or settings.llm_base_url
    key = settings.openai_api_key.get_secret_value() if settings.openai_api_key else None
    if not base_url and not key:
        raise EmbeddingSettingsError(
            "WATCHTOWER_EMBEDDING_BACKEND=openai needs an endpoint: WATCHTOWER_EMBEDDING_BASE_URL "
            "(or OPENAI_BASE_URL) for an OpenAI-compatible server, or OPENAI_API_KEY for OpenAI's own"
        )
    return OpenAIEmbedder(
        model=settings.embedding_model,
        base_url=base_url,
        api_key=key,
        timeout_seconds=settings.llm_timeout_seconds,
        max_attempts=settings.llm_max_attempts,
        backoff_max_seconds=settings.llm_backoff_max_seconds,
    )
