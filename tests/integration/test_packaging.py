"""The shipped policies are package data: a non-editable install has every default it needs."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from core.config_files import POLICY_FILES, SHIPPED_DIR

ROOT = SHIPPED_DIR.parents[1]
LEFT_OUT = (".git", ".venv", ".venv-llm", "var", "build", "tests", "*.egg-info", "__pycache__", ".*_cache")


def test_a_built_wheel_carries_every_shipped_policy(tmp_path: Path) -> None:
    if not (ROOT / "pyproject.toml").is_file():
        pytest.skip("needs the source tree (this Watchtower is installed without it)")
    source = tmp_path / "src"  # build from a copy: building in place would leave build/ in the checkout
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(*LEFT_OUT))
    built = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "--no-index",
            "--wheel-dir",
            str(tmp_path / "dist"),
            str(source),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert built.returncode == 0, built.stderr
    [wheel] = (tmp_path / "dist").glob("watchtower-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for name in [*POLICY_FILES, "health_model_framework.yaml"]:
        assert f"core/defaults/{name}" in names, name
    assert not any(n.startswith("config/") for n in names)
    for template in (ROOT / "prompts" / "copilot").glob("*.md"):
        assert f"prompts/copilot/{template.name}" in names, template.name  # the copilot's answers
    for layout in [*(ROOT / "prompts" / "briefing").glob("*.md"), *(ROOT / "prompts" / "briefing").glob("*.j2")]:
        assert f"prompts/briefing/{layout.name}" in names, layout.name  # the briefing's prompt, template, layouts
    for name in (
        "api/templates/base.html",
        "api/templates/error.html",
        "api/templates/copilot.html",
        "api/templates/briefings.html",
        "api/static/watchtower.css",
        "api/static/copilot.js",
    ):
        assert name in names, name  # the web pages, the one stylesheet and the one script their CSP allows
