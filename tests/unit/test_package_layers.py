"""The import contracts in pyproject.toml hold, and they fail when a lower layer imports a higher one."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LINT = Path(sys.executable).with_name("lint-imports")


def _packages() -> list[str]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    return config["tool"]["importlinter"]["root_packages"]


def _copy_tree(target: Path) -> None:
    for package in _packages():
        shutil.copytree(ROOT / package, target / package, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    shutil.copy(ROOT / "pyproject.toml", target / "pyproject.toml")


def _lint(folder: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(LINT), "--no-cache"], cwd=folder, capture_output=True, text=True, timeout=120, check=False
    )


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    _copy_tree(tmp_path)
    return tmp_path


def test_the_tree_keeps_every_contract(tree: Path) -> None:
    result = _lint(tree)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


@pytest.mark.parametrize(
    ("module", "upward"),
    [
        ("core/db.py", "import api.app"),  # ground importing a door
        ("approvals/queue.py", "from actions.outbox import notify_internal"),  # a decision importing an effect
        ("scorecards/scoring.py", "import playbooks.play_engine"),  # judgement importing decisions
        ("llm/structured.py", "import signals.derived"),  # model access importing facts
        ("metrics/report.py", "import playbooks.risk_cases"),  # judgement importing decisions
        ("metrics/cohort.py", "import scorecards.scoring"),  # siblings of one layer kept independent
    ],
)
def test_an_upward_import_breaks_the_layers(tree: Path, module: str, upward: str) -> None:
    path = tree / module
    path.write_text(path.read_text() + f"\n{upward}  # noqa\n")
    result = _lint(tree)
    assert result.returncode != 0
    assert "BROKEN" in result.stdout
    assert module.removesuffix(".py").replace("/", ".") in result.stdout


def test_a_cycle_inside_a_package_breaks_the_acyclic_contract(tree: Path) -> None:
    path = tree / "playbooks" / "play_config.py"
    path.write_text(path.read_text() + "\nimport playbooks.play_engine  # noqa\n")
    result = _lint(tree)
    assert result.returncode != 0
    assert "No cycles are allowed in playbooks" in result.stdout
