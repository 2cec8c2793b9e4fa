"""One factory from settings to a chat model, or to nothing: then every LLM step takes its deterministic path."""

from __future__ import annotations

from typing import Any

from langchain_core.language_models import BaseChatModel

from core.settings import Settings
from llm.structured import LlmCache, LlmReader, LlmStats


def build_chat_model(settings: Settings) -> BaseChatModel | None:
    """A ``ChatOpenAI`` for any OpenAI-compatible endpoint, or ``None`` when no model is configured.

    The client's own retries are off: ``llm.structured`` retries with
    tenacity so every attempt is counted, backed off with jitter and logged.
    """
    if not settings.llm_configured:
        return None
    from langchain_openai import ChatOpenAI

    limit: dict[str, Any] = (
        {"max_completion_tokens": settings.llm_max_tokens}
        if settings.llm_max_tokens_field == "max_completion_tokens"
        else {"extra_body": {"max_tokens": settings.llm_max_tokens}}
    )
    key = settings.openai_api_key.get_secret_value() if settings.openai_api_key else "not-needed"
    return ChatOpenAI(
        model=settings.llm_model,
        base_url=settings.llm_base_url,
        api_key=key,
        timeout=settings.llm_timeout_seconds,
        max_retries=0,
        temperature=0,
        **limit,
    )


def model_name(settings: Settings) -> str:
    return f"{settings.llm_base_url or 'openai'}/{settings.llm_model}" if settings.llm_configured else "none"


def build_reader(
    settings: Settings, model: BaseChatModel | None, *, stats: LlmStats, cache: LlmCache | None = None
) -> LlmReader:
    """An LLM step runner with the settings' method, retries and backoff; ``model`` None means rules only."""
    return LlmReader(
        model,
        model_name=model_name(settings),
        method=settings.llm_structured_method,
        max_attempts=settings.llm_max_attempts,
        backoff_max_seconds=settings.llm_backoff_max_seconds,
        cache=cache,
        stats=stats,
    )
