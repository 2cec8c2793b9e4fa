"""The tenant glossary: the company's wording for the terms the copilot uses, one YAML file a team can edit.

The deterministic copilot words its answers with it and a model is given it, so "at risk" or "active user"
means what the team means by it. Shipped default in ``core/defaults/glossary.yaml``; a team's copy in its
configuration directory wins, like every policy (``core.config_files``).
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, field_validator

from core.config_errors import load_yaml_model
from core.config_files import policy_path

#: Terms every glossary must define: the deterministic answers use each of them.
REQUIRED_TERMS = ("at_risk", "champion", "active_user", "engaged")


class Term(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    term: str = Field(min_length=1, max_length=80)
    wording: str = Field(min_length=1, max_length=400)


class Glossary(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    version: str = Field(min_length=1)
    terms: dict[str, Term]
    at_risk_bands: list[str] = Field(min_length=1)

    @field_validator("terms")
    @classmethod
    def _required(cls, terms: dict[str, Term]) -> dict[str, Term]:
        missing = [t for t in REQUIRED_TERMS if t not in terms]
        if missing:
            raise ValueError(f"missing {', '.join(missing)}; the answers use each of them")
        return terms

    def wording(self, key: str) -> str:
        return self.terms[key].wording


def load_glossary(path: Path | None = None, *, directory: Path | None = None) -> Glossary:
    """``path`` for one run, else the team's ``glossary.yaml``, else the shipped default."""
    return load_yaml_model(policy_path("glossary.yaml", path, directory=directory), Glossary)
