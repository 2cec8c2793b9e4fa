"""The team's configuration through the CLI: `watchtower config`, `config init` and `model apply`.

The promise under test: applying a model or copying the defaults writes the team's folder and the database,
never the defaults that ship inside the package (and so never a source checkout's tracked files).
"""

from __future__ import annotations

import hashlib
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from cli.main import app
from core.config_files import PACKAGES_ROOT, POLICY_FILES, SHIPPED_DIR, shipped_policy
from core.models import HealthModelVersion
from scorecards.weekly import ScoringConfig

runner = CliRunner()
FRAMEWORK = SHIPPED_DIR / "health_model_framework.yaml"


def wt(*args: str):
    return runner.invoke(app, list(args))


def _fingerprint() -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(SHIPPED_DIR.iterdir())}


@pytest.fixture
def shipped_untouched() -> Iterator[None]:
    """Fails the test when a shipped default changed; puts the bytes back so a failure cannot spoil the tree."""
    saved = {p: p.read_bytes() for p in SHIPPED_DIR.iterdir()}
    before = _fingerprint()
    yield
    after = _fingerprint()
    for path, content in saved.items():
        path.write_bytes(content)
    for path in set(SHIPPED_DIR.iterdir()) - set(saved):
        path.unlink()
    assert after == before, "a shipped default was written"


@pytest.fixture
def fresh_folder(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """A working folder like a fresh clone's: no ./config, no WATCHTOWER_CONFIG_DIR, the data dir in ./var."""
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.delenv("WATCHTOWER_CONFIG_DIR", raising=False)
    monkeypatch.delenv("WATCHTOWER_DATA_DIR", raising=False)
    monkeypatch.chdir(work)
    return work


def test_model_apply_writes_the_teams_copy_and_records_it_never_the_shipped_file(
    engine, database_url: str, fresh_folder: Path, shipped_untouched: None
) -> None:
    assert wt("config").exit_code == 0  # nothing to see yet, and nothing written by looking
    assert not (fresh_folder / "var").exists()
    result = wt("--database-url", database_url, "model", "apply", str(FRAMEWORK), "--by", "lead@cs.example")
    assert result.exit_code == 0, result.output
    team_copy = fresh_folder / "var" / "config" / "health_model.yaml"
    assert team_copy.read_bytes() == FRAMEWORK.read_bytes()
    assert "the next `watchtower score` uses it" in result.output
    assert sorted(p.name for p in team_copy.parent.iterdir()) == ["health_model.yaml"]  # no partial file left
    with engine.connect() as conn:
        row = conn.execute(select(HealthModelVersion)).one()
    assert (row.version, row.applied_by, row.applied_to) == (
        "framework-40-30-20-10-1",
        "lead@cs.example",
        str(team_copy.resolve()),
    )
    assert row.sha256 == hashlib.sha256(FRAMEWORK.read_bytes()).hexdigest()
    # what a run reads now, and what `watchtower config` says about it
    assert ScoringConfig.load().model.version == "framework-40-30-20-10-1"
    shown = wt("config")
    assert shown.exit_code == 0, shown.output
    assert re.search(r"health_model\.yaml\s+│ team copy\s+│ framework-40-30-20-10-1", shown.output), shown.output
    assert re.search(r"segments\.yaml\s+│ shipped default", shown.output), shown.output


def test_model_apply_refuses_the_shipped_defaults_as_a_target(
    engine, database_url: str, fresh_folder: Path, shipped_untouched: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    refused = wt("--database-url", database_url, "model", "apply", str(FRAMEWORK), "--to", str(SHIPPED_DIR / "x.yaml"))
    assert refused.exit_code == 1 and "never written" in refused.output, refused.output
    monkeypatch.setenv("WATCHTOWER_CONFIG_DIR", str(SHIPPED_DIR))
    refused = wt("--database-url", database_url, "model", "apply", str(FRAMEWORK))
    assert refused.exit_code == 1 and "nothing was applied" in refused.output, refused.output
    with engine.connect() as conn:
        assert conn.execute(select(HealthModelVersion.id)).all() == []


@pytest.mark.parametrize("inside", ["scorecards/health_model.yaml", "config/health_model.yaml", "core/x/health.yaml"])
def test_model_apply_refuses_a_target_among_the_packages_or_in_the_source_checkout(
    engine, database_url: str, fresh_folder: Path, inside: str
) -> None:
    """``--to`` is a path a person types; one inside the installed packages (or the checkout they sit in) would
    change the program itself, or leave a source checkout dirty."""
    target = PACKAGES_ROOT / inside
    made = next(p for p in [target, *target.parents] if p.parent.exists())  # what a wrong apply would create
    try:
        refused = wt("--database-url", database_url, "model", "apply", str(FRAMEWORK), "--to", str(target))
        assert refused.exit_code == 1 and "nothing was applied" in refused.output, refused.output
        assert not made.exists()
    finally:  # a failure must not leave the checkout dirty
        if made.is_dir():
            shutil.rmtree(made)
        made.unlink(missing_ok=True)
    with engine.connect() as conn:
        assert conn.execute(select(HealthModelVersion.id)).all() == []


def test_apply_to_another_file_says_score_will_not_use_it(engine, database_url: str, fresh_folder: Path) -> None:
    elsewhere = fresh_folder / "review" / "health_model.yaml"
    result = wt("--database-url", database_url, "model", "apply", str(FRAMEWORK), "--to", str(elsewhere))
    assert result.exit_code == 0, result.output
    assert "uses it only with --model" in result.output
    assert ScoringConfig.load().model.version == "seeds-matrix-1"


def test_config_shows_where_the_directory_came_from(fresh_folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    shown = wt("config")
    assert shown.exit_code == 0, shown.output
    assert f"team configuration: {fresh_folder / 'var' / 'config'}" in shown.output
    assert "under the data dir" in shown.output and "not created yet" in shown.output
    assert f"shipped defaults: {SHIPPED_DIR}" in shown.output
    for name in POLICY_FILES:
        assert re.search(rf"{re.escape(name)}\s+│ shipped default .*│ yes", shown.output), shown.output
    # readable at 100 columns: only a line that prints a path may be longer
    assert all(len(line) <= 100 for line in shown.output.splitlines() if "/" not in line)

    (fresh_folder / "config").mkdir()
    assert "./config in the working folder" in wt("config").output
    monkeypatch.setenv("WATCHTOWER_CONFIG_DIR", str(fresh_folder / "policies"))
    assert "from the setting WATCHTOWER_CONFIG_DIR" in wt("config").output


def test_config_names_the_key_of_an_invalid_team_copy(fresh_folder: Path) -> None:
    team = fresh_folder / "config"
    team.mkdir()
    text = shipped_policy("approvals.yaml").read_text(encoding="utf-8").replace("sla_hours: 24", "sla_hours: -1", 1)
    (team / "approvals.yaml").write_text(text, encoding="utf-8")
    shown = wt("config")
    assert shown.exit_code == 1
    assert re.search(r"approvals\.yaml\s+│ team copy\s+│\s+│ no", shown.output), shown.output
    assert "config/approvals.yaml: rules[discount_up_to_10].sla_hours: Input should be greater than 0" in shown.output
    assert "1 of 9 policy files do not validate" in shown.output


def test_config_init_copies_the_defaults_and_never_overwrites(fresh_folder: Path, shipped_untouched: None) -> None:
    team = fresh_folder / "var" / "config"
    team.mkdir(parents=True)
    ours = "# the team's own rules\n" + shipped_policy("approvals.yaml").read_text(encoding="utf-8")
    (team / "approvals.yaml").write_text(ours, encoding="utf-8")
    result = wt("config", "init")
    assert result.exit_code == 0, result.output
    assert "kept    approvals.yaml (the team's copy exists)" in result.output
    assert (team / "approvals.yaml").read_text(encoding="utf-8") == ours
    for name in POLICY_FILES:
        if name != "approvals.yaml":
            assert (team / name).read_bytes() == shipped_policy(name).read_bytes(), name
    again = wt("config", "init", "plays.yaml")
    assert again.exit_code == 0 and "kept    plays.yaml" in again.output and "0 file(s) copied" in again.output
    unknown = wt("config", "init", "nope.yaml")
    assert unknown.exit_code == 1 and "unknown policy file nope.yaml" in unknown.output
