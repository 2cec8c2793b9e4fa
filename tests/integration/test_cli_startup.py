"""`watchtower --help` and every command's help load no heavy library: they are imported where they are used."""

from __future__ import annotations

import subprocess
import sys

import pytest

#: Libraries that cost seconds to import; only the commands that use them may load them.
HEAVY = (
    "langgraph",
    "langchain_core",
    "langchain_openai",
    "langsmith",
    "chromadb",
    "numpy",
    "alembic",
    "tokenizers",
    "onnxruntime",
    "fastapi",
    "starlette",
    "uvicorn",
    "mcp",
    "openai",
)


def imported(*args: str) -> set[str]:
    """The top-level packages imported by `python -m cli.main ARGS`, read from -X importtime."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "cli.main", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={"PATH": "/usr/bin:/bin", "COLUMNS": "100"},
    )
    assert done.returncode == 0, done.stderr[-2000:]
    names = {line.rsplit("|", 1)[1].strip() for line in done.stderr.splitlines() if line.startswith("import time:")}
    return {name.split(".")[0] for name in names}


def test_help_imports_no_heavy_library() -> None:
    loaded = imported("--help")
    assert "typer" in loaded and "cli" in loaded  # the measurement sees what was imported
    assert loaded.isdisjoint(HEAVY), sorted(loaded & set(HEAVY))


@pytest.mark.parametrize(
    "command",
    [["renewals", "--help"], ["plays", "runs", "--help"], ["approvals", "list", "--help"], ["account", "--help"]],
)
def test_a_command_help_imports_no_heavy_library(command: list[str]) -> None:
    loaded = imported(*command)
    assert loaded.isdisjoint(HEAVY), sorted(loaded & set(HEAVY))
