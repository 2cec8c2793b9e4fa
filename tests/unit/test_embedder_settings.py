"""Which embedder the settings give, and the errors that name the setting to fix."""

from __future__ import annotations

import pytest

from core.settings import Settings
from knowledge_base.embeddings import EmbeddingSettingsError, embedder_from_settings
from knowledge_base.minilm import MiniLM
from knowledge_base.openai_embedder import OpenAIEmbedder, collection_name


@pytest.fixture(autouse=True)
def _no_embedding_environment(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    for name in (
        "WATCHTOWER_EMBEDDING_BACKEND",
        "WATCHTOWER_EMBEDDING_MODEL",
        "WATCHTOWER_EMBEDDING_BASE_URL",
        "WATCHTOWER_LLM_BASE_URL",
        "OPENAI_BASE_URL",
        "OPENAI_API_KEY",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)  # no stray .env


def test_the_default_is_the_offline_minilm():
    embedder = embedder_from_settings(Settings())
    assert isinstance(embedder, MiniLM)
    assert embedder.name == "all-minilm-l6-v2"


def test_the_environment_selects_an_endpoint_and_its_model(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("WATCHTOWER_EMBEDDING_BACKEND", "openai")
    monkeypatch.setenv("WATCHTOWER_EMBEDDING_MODEL", "text-embedding-3-small")
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
    embedder = embedder_from_settings(Settings())
    assert isinstance(embedder, OpenAIEmbedder)
    assert embedder.name == "openai-text-embedding-3-small"
    assert embedder.model == "text-embedding-3-small"


def test_an_unknown_backend_names_the_setting_and_the_choices():
    with pytest.raises(
        EmbeddingSettingsError, match=r"WATCHTOWER_EMBEDDING_BACKEND is 'bert'; use one of: minilm, openai"
    ):
        embedder_from_settings(Settings(embedding_backend="bert"))


def test_an_endpoint_without_a_model_names_the_model_setting():
    with pytest.raises(EmbeddingSettingsError, match="WATCHTOWER_EMBEDDING_MODEL"):
        embedder_from_settings(Settings(embedding_backend="openai", llm_base_url="http://127.0.0.1:9/v1"))


def test_an_endpoint_with_neither_url_nor_key_says_what_to_set():
    with pytest.raises(EmbeddingSettingsError, match=r"WATCHTOWER_EMBEDDING_BASE_URL .*OPENAI_API_KEY"):
        embedder_from_settings(Settings(embedding_backend="openai", embedding_model="m"))


def test_models_whose_names_differ_never_share_a_collection():
    names = {collection_name(m) for m in ("text-embedding-3-small", "text-embedding-3-large", "BAAI/bge-m3", "bge-m3")}
    assert len(names) == 4
    assert all(n.replace("-", "").replace(".", "").replace("_", "").isalnum() for n in names)
