"""Where the editable policies (health model, segments, plays, forecast, approvals, watchtowers) are read from."""

from __future__ import annotations

from pathlib import Path

PROJECT_CONFIG = Path(__file__).resolve().parents[1] / "config"


def config_dir(explicit: Path | None = None) -> Path:
    """The team's ``./config`` when present, else the defaults that ship with Watchtower."""
    if explicit is not None:
        return explicit
    local = Path("config")
    return local if (local / "health_model.yaml").exists() else PROJECT_CONFIG
