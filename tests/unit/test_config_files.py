"""Where each policy is read from: a per-run path, else the team's copy, else the shipped default."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from agents.configuration import load_watchtower_config
from agents.copilot.intents import load_intents
from approvals.policy import load_policy
from core.config_errors import ConfigError
from core.config_files import (
    POLICY_FILES,
    SHIPPED_DIR,
    DirOrigin,
    FileOrigin,
    policy_source,
    shipped_policy,
    team_config_dir,
)
from core.glossary import load_glossary
from core.login_throttle import load_security_policy
from core.settings import Settings
from playbooks.play_engine import load_play_configs
from scorecards.weekly import ScoringConfig


@pytest.fixture
def workdir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """An empty working folder with neither the setting nor ./config, and the data dir inside it."""
    monkeypatch.delenv("WATCHTOWER_CONFIG_DIR", raising=False)
    monkeypatch.delenv("WATCHTOWER_DATA_DIR", raising=False)
    monkeypatch.chdir(tmp_path)  # also: no stray .env
    return tmp_path


def team_copy(folder: Path, name: str, old: str, new: str) -> Path:
    """The shipped file with one line changed, as a team would edit it."""
    text = shipped_policy(name).read_text(encoding="utf-8")
    assert old in text, f"{name} no longer has {old!r}"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


def test_every_policy_ships_inside_the_package() -> None:
    assert SHIPPED_DIR.parent.name == "core"
    for name in POLICY_FILES:
        assert shipped_policy(name).is_file(), name
    with pytest.raises(ValueError, match=r"unknown policy file 'nope\.yaml'"):
        shipped_policy("nope.yaml")


def test_without_a_team_copy_the_shipped_default_is_read(workdir: Path) -> None:
    team = team_config_dir()
    assert (team.path, team.origin) == (Path("var") / "config", DirOrigin.DATA_DIR)
    for name in POLICY_FILES:
        assert policy_source(name).path == shipped_policy(name)
        assert policy_source(name).origin is FileOrigin.SHIPPED


def test_the_data_dir_setting_moves_the_default_team_folder(workdir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WATCHTOWER_DATA_DIR", str(workdir / "data"))
    assert team_config_dir() == team_config_dir(Settings(data_dir=workdir / "data"))
    assert team_config_dir().path == workdir / "data" / "config"


def test_a_config_folder_in_the_working_folder_is_used_when_it_exists(workdir: Path) -> None:
    (workdir / "config").mkdir()
    team = team_config_dir()
    assert (team.path, team.origin) == (Path("config"), DirOrigin.WORKING_FOLDER)


def test_the_setting_beats_the_working_folder(workdir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (workdir / "config").mkdir()
    monkeypatch.setenv("WATCHTOWER_CONFIG_DIR", str(workdir / "team"))
    team = team_config_dir()
    assert (team.path, team.origin) == (workdir / "team", DirOrigin.SETTING)


def test_a_blank_setting_counts_as_unset(workdir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WATCHTOWER_CONFIG_DIR", " ")
    assert Settings().config_dir is None
    assert team_config_dir().origin is DirOrigin.DATA_DIR


def test_each_file_falls_back_to_the_shipped_default_on_its_own(workdir: Path) -> None:
    mine = team_copy(workdir / "var" / "config", "approvals.yaml", "version: approvals-2026.11", "version: ours-1")
    assert policy_source("approvals.yaml") == policy_source("approvals.yaml", directory=Path("var/config"))
    assert policy_source("approvals.yaml").path == Path("var/config/approvals.yaml")
    assert policy_source("approvals.yaml").path.resolve() == mine
    assert policy_source("approvals.yaml").origin is FileOrigin.TEAM
    assert policy_source("plays.yaml").origin is FileOrigin.SHIPPED


def test_a_per_run_path_beats_the_team_copy_and_reads_no_settings(
    workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    team_copy(workdir / "var" / "config", "approvals.yaml", "version: approvals-2026.11", "version: ours-1")
    explicit = team_copy(workdir / "run", "approvals.yaml", "version: approvals-2026.11", "version: this-run")
    monkeypatch.setenv("WATCHTOWER_TIMEZONE", "Not/AZone")  # building Settings() would fail
    source = policy_source("approvals.yaml", explicit)
    assert (source.path, source.origin) == (explicit, FileOrigin.ARGUMENT)
    assert load_policy(explicit).version == "this-run"


LOADERS: dict[str, tuple[str, str, Callable[[], Any]]] = {
    "health_model.yaml": ('version: "seeds-matrix-1"', 'version: "ours-1"', lambda: ScoringConfig.load().model.version),
    "segments.yaml": (
        "use_imported_segment: true",
        "use_imported_segment: false",
        lambda: "ours-1" if not ScoringConfig.load().segments.use_imported_segment else "shipped",
    ),
    "watchtowers.yaml": ("version: watchtowers-2026.11", "version: ours-1", lambda: load_watchtower_config().version),
    "plays.yaml": ("version: plays-2026.11", "version: ours-1", lambda: load_play_configs()[0].version),
    "forecast.yaml": ("version: forecast-2026.11", "version: ours-1", lambda: load_play_configs()[1].version),
    "approvals.yaml": ("version: approvals-2026.11", "version: ours-1", lambda: load_policy().version),
    "security.yaml": ("version: security-2026.12", "version: ours-1", lambda: load_security_policy().version),
    "glossary.yaml": ('version: "2026-12-01"', 'version: "ours-1"', lambda: load_glossary().version),
    "copilot_intents.yaml": ('version: "2026-12-01"', 'version: "ours-1"', lambda: load_intents().intents.version),
}


@pytest.mark.parametrize("name", POLICY_FILES)
def test_every_loader_reads_the_teams_copy(workdir: Path, monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    old, new, read = LOADERS[name]
    assert read() != "ours-1"  # the shipped default first
    team_copy(workdir / "team", name, old, new)
    monkeypatch.setenv("WATCHTOWER_CONFIG_DIR", str(workdir / "team"))
    assert read() == "ours-1"


def test_an_invalid_team_copy_is_named_by_file_and_key(workdir: Path) -> None:
    mine = team_copy(workdir / "config", "approvals.yaml", "sla_hours: 24", "sla_hours: -1")
    with pytest.raises(ConfigError) as caught:
        load_policy()
    assert f"{mine.relative_to(workdir)}: rules[discount_up_to_10].sla_hours: Input should be greater than 0" in str(
        caught.value
    )


def test_a_key_written_twice_is_an_error_not_the_last_one_silently(workdir: Path) -> None:
    """A team that adds its own ``rules:`` block under the shipped one would otherwise lose every shipped rule,
    the finance and CRO approvals among them, without a word."""
    mine = team_copy(
        workdir / "config",
        "approvals.yaml",
        "rules:\n",
        'rules:\n  - {id: ours, when: "discount_pct > 40", approvers: [{roles: [cro]}], sla_hours: 8}\n\nrules:\n',
    )
    with pytest.raises(ConfigError) as caught:
        load_policy()
    assert str(caught.value).startswith(f"{mine.relative_to(workdir)} (line ")
    assert "key 'rules' appears twice" in str(caught.value)
    nested = team_copy(workdir / "config", "approvals.yaml", "  finance: cro\n", "  finance: cro\n  finance: legal\n")
    with pytest.raises(ConfigError, match=r"\(line \d+\): .*key 'finance' appears twice"):
        load_policy()
    assert nested.is_file()


def test_a_team_copy_that_cannot_be_read_as_text_is_named_not_a_crash(workdir: Path) -> None:
    mine = workdir / "config" / "segments.yaml"
    mine.parent.mkdir()
    mine.write_bytes("segments:\n  - name: Caf\xe9\n".encode("latin-1"))  # saved in the wrong encoding
    with pytest.raises(ConfigError, match=r"^config/segments\.yaml: not UTF-8 text \(byte 0xe9 at 23\)"):
        ScoringConfig.load()


def test_a_folder_in_place_of_a_team_copy_is_an_error_not_the_default(workdir: Path) -> None:
    """A folder where the team's file should be is a mistake to show, not a reason to read the default."""
    (workdir / "config" / "approvals.yaml").mkdir(parents=True)
    assert policy_source("approvals.yaml").origin == FileOrigin.TEAM
    with pytest.raises(ConfigError, match=r"^config/approvals\.yaml: not a file"):
        load_policy()
