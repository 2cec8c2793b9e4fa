from __future__ import annotations

import importlib

import pytest
from pydantic import ValidationError

from core.settings import DEFAULT_DATABASE_URL, Settings


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    for name in (
        "DATABASE_URL",
        "WATCHTOWER_DATABASE_URL",
        "WATCHTOWER_TIMEZONE",
        "WATCHTOWER_LLM_MODEL",
        "OPENAI_API_KEY",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)  # no stray .env


def test_embedded_default_needs_nothing() -> None:
    settings = Settings()
    assert settings.database_url == DEFAULT_DATABASE_URL
    assert settings.is_sqlite
    assert not settings.llm_configured


def test_environment_beats_default_and_argument_beats_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://env/db")
    assert Settings().database_url == "postgresql+psycopg://env/db"
    assert Settings(database_url="sqlite:///run.db").database_url == "sqlite:///run.db"


def test_env_file_is_read_only_when_settings_are_built(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    (tmp_path / ".env").write_text("WATCHTOWER_TIMEZONE=Europe/Berlin\n", encoding="utf-8")
    assert Settings().timezone == "Europe/Berlin"
    monkeypatch.setenv("WATCHTOWER_TIMEZONE", "Asia/Tokyo")
    assert Settings().timezone == "Asia/Tokyo"


def test_unknown_time_zone_is_named() -> None:
    with pytest.raises(ValidationError, match="unknown time zone 'Mars/Olympus'"):
        Settings(timezone="Mars/Olympus")


def test_importing_modules_reads_no_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WATCHTOWER_TIMEZONE", "Not/AZone")
    modules = ("core.settings", "core.db", "core.config_files", "approvals.policy", "sources.importer", "cli.main")
    for module in modules:
        importlib.reload(importlib.import_module(module))


def test_the_team_config_dir_is_unset_by_default_and_read_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("WATCHTOWER_CONFIG_DIR", raising=False)
    assert Settings().config_dir is None
    monkeypatch.setenv("WATCHTOWER_CONFIG_DIR", "/srv/team/policies")
    assert str(Settings().config_dir) == "/srv/team/policies"


def test_llm_is_configured_only_with_a_model_and_an_endpoint() -> None:
    assert not Settings(llm_model="m").llm_configured
    assert Settings(llm_model="m", llm_base_url="http://127.0.0.1:8080/v1").llm_configured
