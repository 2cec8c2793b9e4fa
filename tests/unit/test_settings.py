from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from pydantic import ValidationError

from core.settings import DEFAULT_DATABASE_URL, Settings

ROOT = Path(__file__).resolve().parents[2]
#: Files inside the packages that are scripts, not modules: importing them runs them.
SCRIPTS = {"core.migrations.env": "Alembic executes it inside a migration context; importing it migrates"}

#: Runs in the fresh interpreter: refuse the network, import every module, then prove settings cannot be built.
_IMPORT_EVERY_MODULE = """
import importlib, json, socket, sys

def refuse(*args, **kwargs):
    raise OSError(f"network access while importing: {args!r:.200}")

socket.socket.connect = socket.socket.connect_ex = refuse
socket.create_connection = socket.getaddrinfo = refuse
packages, modules = json.loads(sys.argv[1]), json.loads(sys.argv[2])
early = sorted(m for m in sys.modules if m.split(".")[0] in packages)
if early:
    sys.exit(f"already imported before the check began: {early}")
for name in modules:
    importlib.import_module(name)
from pydantic import ValidationError
from core.settings import Settings
try:
    Settings()
except ValidationError:
    print("imported", len(modules), "settings-refused")
else:
    sys.exit("Settings() was built under the broken environment; the check would prove nothing")
"""


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


def _root_packages() -> list[str]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    return config["tool"]["importlinter"]["root_packages"]


def _project_modules() -> list[str]:
    """Every module of the root packages, ground first, found on disk rather than by importing."""
    modules = []
    for package in _root_packages():
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            modules.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return [m for m in modules if m not in SCRIPTS]


def _broken_environment() -> dict[str, str]:
    """The caller's environment without any setting, plus a time zone that makes ``Settings()`` fail."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("WATCHTOWER_", "OPENAI_")) and k not in ("DATABASE_URL", "PYTHONSTARTUP")
    }
    # bench/ is not installed as a package; the checkout goes on the path for it.
    return env | {"WATCHTOWER_TIMEZONE": "Not/AZone", "PYTHONPATH": str(ROOT)}


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


def test_importing_modules_reads_no_settings(tmp_path: Path) -> None:
    """Every module of every root package imports in a fresh interpreter where ``Settings()`` cannot be built.

    One interpreter serves all modules: it starts with none of the project imported and runs every import
    under the broken environment, so a module that builds settings at import fails there whatever order the
    imports take (a module whose import failed is left out of ``sys.modules`` and fails again for its next
    importer). The pytest process itself is never used: there the modules were imported long ago under a
    valid environment and importing them again runs nothing.
    """
    modules = _project_modules()
    assert len(modules) > 100 and "core.settings" in modules and "bench.score_bench" in modules
    workdir = tmp_path / "cwd"
    workdir.mkdir()
    result = subprocess.run(
        [sys.executable, "-c", _IMPORT_EVERY_MODULE, json.dumps(_root_packages()), json.dumps(modules)],
        cwd=workdir,
        env=_broken_environment(),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, f"{result.stderr[-4000:]}"
    assert result.stdout.split() == ["imported", str(len(modules)), "settings-refused"], result.stdout
    assert not list(workdir.iterdir()), "importing wrote files into the working directory"


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


def test_secrets_stay_out_of_repr_str_and_logs(caplog: pytest.LogCaptureFixture) -> None:
    secrets = ["db-pass-7Hq", "sk-live-9Zt", "smtp-pass-Qx81", "T0SECRET", "llm-pass-4Rw"]
    settings = Settings(
        database_url="postgresql+psycopg://watchtower:db-pass-7Hq@db.internal:5432/wt",
        llm_base_url="https://proxy:llm-pass-4Rw@llm.internal/v1",
        openai_api_key="sk-live-9Zt",
        smtp_password="smtp-pass-Qx81",
        slack_webhook_url="https://hooks.slack.example/services/T0SECRET/B0/x",
    )
    caplog.set_level(logging.DEBUG)
    logging.getLogger("watchtower.test").info("settings %s / %r", settings, settings)
    shown = f"{settings!r} {settings} {caplog.text}"
    assert not [s for s in secrets if s in shown], shown
    assert "postgresql+psycopg://watchtower:***@db.internal:5432/wt" in shown and "https://proxy:***@llm" in shown
    # The values themselves are untouched: the engine and the model client need them whole.
    assert settings.database_url.endswith("watchtower:db-pass-7Hq@db.internal:5432/wt")
    assert repr(Settings(database_url="sqlite:///./var/a.db")).startswith("Settings(database_url='sqlite:///")


def test_chroma_server_is_unset_by_default_and_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CHROMA_HOST", raising=False)
    monkeypatch.delenv("CHROMA_PORT", raising=False)
    assert (Settings().chroma_host, Settings().chroma_port) == (None, 8000)
    monkeypatch.setenv("CHROMA_HOST", "chroma.internal")
    monkeypatch.setenv("CHROMA_PORT", "8123")
    assert (Settings().chroma_host, Settings().chroma_port) == ("chroma.internal", 8123)
    monkeypatch.setenv("CHROMA_HOST", " ")
    assert Settings().chroma_host is None  # CHROMA_HOST= in a .env means the embedded store
    assert Settings(chroma_host=None).chroma_host is None
