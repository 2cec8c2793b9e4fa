"""One settings object for the whole process.

Precedence is: explicit per-run argument (passed by the caller through
``Settings(**overrides)``), then the environment, then a ``.env`` file, then the
defaults below. Nothing here runs at import time; callers build ``Settings()``
when they need it so tests and the CLI can point at different databases.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DATABASE_URL = "sqlite:///./var/watchtower.db"
#: The password of ``scheme://user:password@host``; URLs are not SecretStr because every engine needs them whole.
_URL_PASSWORD = re.compile(r"^([^:/?#]+://[^:@/?#]*):[^@/?#]*@")


class Settings(BaseSettings):
    """Runtime configuration; every field can be set from the environment."""

    model_config = SettingsConfigDict(
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        populate_by_name=True,
    )

    database_url: str = Field(
        default=DEFAULT_DATABASE_URL,
        validation_alias=AliasChoices("database_url", "DATABASE_URL", "WATCHTOWER_DATABASE_URL"),
        description="SQLAlchemy URL. SQLite file by default; postgresql+psycopg://... in production.",
    )
    data_dir: Path = Field(
        default=Path("./var"),
        validation_alias=AliasChoices("data_dir", "WATCHTOWER_DATA_DIR"),
        description="Folder for the embedded database, vector store, reports and exports.",
    )
    config_dir: Path | None = Field(
        default=None,
        validation_alias=AliasChoices("config_dir", "WATCHTOWER_CONFIG_DIR"),
        description="The team's policy folder; unset: ./config when it exists, else <data_dir>/config.",
    )
    user: str | None = Field(
        default=None,
        validation_alias=AliasChoices("user", "WATCHTOWER_USER"),
        description="Who runs the command line: an email, or a username whose email is used; `--mine` filters "
        "lists to the accounts this person owns (owner_csm).",
    )
    timezone: str = Field(
        default="UTC",
        validation_alias=AliasChoices("timezone", "WATCHTOWER_TIMEZONE"),
        description="IANA time zone used to turn 'today' into an as-of date.",
    )
    llm_base_url: str | None = Field(
        default=None,
        validation_alias=AliasChoices("llm_base_url", "WATCHTOWER_LLM_BASE_URL", "OPENAI_BASE_URL"),
    )
    llm_model: str | None = Field(default=None, validation_alias=AliasChoices("llm_model", "WATCHTOWER_LLM_MODEL"))
    openai_api_key: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("openai_api_key", "OPENAI_API_KEY")
    )
    llm_timeout_seconds: float = Field(
        default=60.0, validation_alias=AliasChoices("llm_timeout_seconds", "WATCHTOWER_LLM_TIMEOUT")
    )

    llm_structured_method: Literal["json_schema", "json_mode", "function_calling"] = Field(
        default="json_schema",
        validation_alias=AliasChoices("llm_structured_method", "WATCHTOWER_LLM_STRUCTURED_METHOD"),
        description="json_schema for OpenAI; json_mode or function_calling for servers that lack JSON-schema output.",
    )
    llm_max_tokens: int = Field(
        default=1024, ge=16, validation_alias=AliasChoices("llm_max_tokens", "WATCHTOWER_LLM_MAX_TOKENS")
    )
    llm_max_tokens_field: Literal["max_completion_tokens", "max_tokens"] = Field(
        default="max_completion_tokens",
        validation_alias=AliasChoices("llm_max_tokens_field", "WATCHTOWER_LLM_MAX_TOKENS_FIELD"),
        description="Some servers (llama.cpp) ignore max_completion_tokens and need max_tokens.",
    )
    llm_max_attempts: int = Field(
        default=4, ge=1, le=10, validation_alias=AliasChoices("llm_max_attempts", "WATCHTOWER_LLM_MAX_ATTEMPTS")
    )
    llm_backoff_max_seconds: float = Field(
        default=20.0, ge=0, validation_alias=AliasChoices("llm_backoff_max_seconds", "WATCHTOWER_LLM_BACKOFF_MAX")
    )

    embedding_backend: str = Field(
        default="minilm",
        validation_alias=AliasChoices("embedding_backend", "WATCHTOWER_EMBEDDING_BACKEND"),
        description="minilm (offline, in-process, the default) or openai (any OpenAI-compatible /v1/embeddings). "
        "Checked where an embedder is built, so a wrong name fails the commands that embed and no others.",
    )
    embedding_model: str | None = Field(
        default=None,
        validation_alias=AliasChoices("embedding_model", "WATCHTOWER_EMBEDDING_MODEL"),
        description="The endpoint's embedding model (backend openai); part of the vector collection's name.",
    )
    embedding_base_url: str | None = Field(
        default=None,
        validation_alias=AliasChoices("embedding_base_url", "WATCHTOWER_EMBEDDING_BASE_URL"),
        description="The embeddings endpoint when it is not the chat model's; unset: the LLM base URL.",
    )

    cookie_secure: bool | None = Field(
        default=None,
        validation_alias=AliasChoices("cookie_secure", "WATCHTOWER_COOKIE_SECURE"),
        description="Session cookies only over https (browsers keep them on http://127.0.0.1 and localhost too). "
        "Unset or true: yes; false: plain http anywhere (development only, said when `watchtower web` starts).",
    )

    smtp_host: str | None = Field(default=None, validation_alias=AliasChoices("smtp_host", "WATCHTOWER_SMTP_HOST"))
    smtp_port: int = Field(default=587, validation_alias=AliasChoices("smtp_port", "WATCHTOWER_SMTP_PORT"))
    smtp_security: Literal["none", "starttls", "ssl"] = Field(
        default="starttls", validation_alias=AliasChoices("smtp_security", "WATCHTOWER_SMTP_SECURITY")
    )
    smtp_username: str | None = Field(
        default=None, validation_alias=AliasChoices("smtp_username", "WATCHTOWER_SMTP_USERNAME")
    )
    smtp_password: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("smtp_password", "WATCHTOWER_SMTP_PASSWORD")
    )
    smtp_from: str | None = Field(default=None, validation_alias=AliasChoices("smtp_from", "WATCHTOWER_SMTP_FROM"))
    slack_webhook_url: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("slack_webhook_url", "WATCHTOWER_SLACK_WEBHOOK_URL")
    )
    web_base_url: str = Field(
        default="http://127.0.0.1:8000",
        description="Where people open the web app: links in messages (a briefing's archive page) start here.",
        validation_alias=AliasChoices("web_base_url", "WATCHTOWER_WEB_BASE_URL"),
    )
    send_max_attempts: int = Field(
        default=3, ge=1, le=10, validation_alias=AliasChoices("send_max_attempts", "WATCHTOWER_SEND_MAX_ATTEMPTS")
    )
    send_backoff_max_seconds: float = Field(
        default=10.0, ge=0, validation_alias=AliasChoices("send_backoff_max_seconds", "WATCHTOWER_SEND_BACKOFF_MAX")
    )
    send_timeout_seconds: float = Field(
        default=15.0, gt=0, validation_alias=AliasChoices("send_timeout_seconds", "WATCHTOWER_SEND_TIMEOUT")
    )

    kb_vectors: bool = Field(
        default=True,
        validation_alias=AliasChoices("kb_vectors", "WATCHTOWER_KB_VECTORS"),
        description="Whether the knowledge base keeps a vector store beside its lexical index (hybrid search). "
        "Off: lexical search only, and nothing is embedded.",
    )
    chroma_host: str | None = Field(
        default=None,
        validation_alias=AliasChoices("chroma_host", "CHROMA_HOST", "WATCHTOWER_CHROMA_HOST"),
        description="A Chroma server for the vector store; unset: the embedded store under <data_dir>/kb/chroma.",
    )
    chroma_port: int = Field(
        default=8000,
        ge=1,
        le=65535,
        validation_alias=AliasChoices("chroma_port", "CHROMA_PORT", "WATCHTOWER_CHROMA_PORT"),
    )
    chroma_max_attempts: int = Field(
        default=4, ge=1, le=10, validation_alias=AliasChoices("chroma_max_attempts", "WATCHTOWER_CHROMA_MAX_ATTEMPTS")
    )
    chroma_backoff_max_seconds: float = Field(
        default=5.0,
        ge=0,
        validation_alias=AliasChoices("chroma_backoff_max_seconds", "WATCHTOWER_CHROMA_BACKOFF_MAX"),
    )

    @field_validator("config_dir", mode="before")
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        # WATCHTOWER_CONFIG_DIR= in a .env must mean "not set", not the current folder.
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("chroma_host", mode="before")
    @classmethod
    def _blank_host_is_unset(cls, value: object) -> object:
        # CHROMA_HOST= in a .env means the embedded store, not a server named "".
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}; use an IANA name such as 'Europe/Berlin'") from exc
        return value

    def __repr_args__(self) -> Iterator[tuple[str | None, Any]]:
        """repr() and str() mask a password inside a URL, as SecretStr masks the other secrets."""
        for name, value in super().__repr_args__():
            yield name, _URL_PASSWORD.sub(r"\1:***@", value) if isinstance(value, str) and "://" in value else value

    @property
    def llm_configured(self) -> bool:
        """True when a model endpoint is set; otherwise every LLM step takes its deterministic path."""
        return bool(self.llm_model and (self.llm_base_url or self.openai_api_key))

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")
