"""Which plays are risk plays and which are opportunity plays, read from the team's plays.yaml.

The metrics sit below the play engine, so they cannot use its loader; they need only each play's id
and kind, and read those two keys from the same file the engine reads.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict

from core.config_errors import load_yaml_model
from core.config_files import policy_path


class _Play(BaseModel):
    model_config = ConfigDict(extra="ignore")
    id: str
    kind: str


class _Plays(BaseModel):
    model_config = ConfigDict(extra="ignore")
    plays: list[_Play] = []


def play_kinds(path: Path | None = None) -> dict[str, str]:
    """Play id to kind (risk, opportunity, renewal)."""
    plays: _Plays = load_yaml_model(policy_path("plays.yaml", path), _Plays)
    return {p.id: p.kind for p in plays.plays}
