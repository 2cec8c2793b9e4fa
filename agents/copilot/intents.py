"""The copilot's intents as data: a YAML file of intents, each with example questions, tools and a composer.

The classifier matches a question to the examples; nothing in code lists the ways a question can be asked.
Shipped default ``core/defaults/copilot_intents.yaml``; a team's copy in its configuration directory wins.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from core.config_errors import load_yaml_model
from core.config_files import policy_path
from tools.copilot_tools import TOOLS


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class OfferSpec(_Strict):
    """The save offer ``draft_offer`` proposes: a discount sized by the account's band."""

    kind: str = "discount"
    rationale: str = Field(min_length=1)
    discount_pct_by_band: dict[str, float] = Field(min_length=1)


class Intent(_Strict):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    description: str = Field(min_length=1)
    tools: list[str] = []
    examples: list[str] = Field(min_length=1)
    #: How the tool results become template values (``agents.copilot.compose``); the id when not given.
    compose: str | None = None
    #: The answer template, ``prompts/copilot/<template>.md``; the id when not given.
    template: str | None = None
    offer: OfferSpec | None = None

    @field_validator("tools")
    @classmethod
    def _known_tools(cls, tools: list[str]) -> list[str]:
        unknown = [t for t in tools if t not in TOOLS]
        if unknown:
            raise ValueError(f"unknown tool {', '.join(unknown)}; known: {', '.join(TOOLS)}")
        return tools

    @property
    def composer(self) -> str:
        return self.compose or self.id

    @property
    def template_name(self) -> str:
        return self.template or self.id


class IntentSet(_Strict):
    version: str = Field(min_length=1)
    threshold: float = Field(ge=-1, le=1)
    #: A threshold for embedders whose name starts with the key (cosines differ in scale between models).
    embedder_thresholds: dict[str, float] = {}
    fallback: str
    intents: list[Intent] = Field(min_length=1)

    @model_validator(mode="after")
    def _consistent(self) -> IntentSet:
        ids = [i.id for i in self.intents]
        twice = sorted({i for i in ids if ids.count(i) > 1})
        if twice:
            raise ValueError(f"intents: {', '.join(twice)} defined twice")
        if self.fallback not in ids:
            raise ValueError(f"fallback: {self.fallback!r} is not one of the intents")
        return self

    def threshold_for(self, embedder_name: str) -> float:
        matches = [k for k in self.embedder_thresholds if embedder_name.startswith(k)]
        return self.embedder_thresholds[max(matches, key=len)] if matches else self.threshold

    def get(self, intent_id: str) -> Intent:
        return next(i for i in self.intents if i.id == intent_id)


class LoadedIntents(BaseModel):
    """The intents with the hash of their file's bytes, which keys the cached example vectors."""

    model_config = ConfigDict(frozen=True)

    intents: IntentSet
    path: Path
    digest: str


def load_intents(path: Path | None = None, *, directory: Path | None = None) -> LoadedIntents:
    """``path`` for one run, else the team's ``copilot_intents.yaml``, else the shipped default."""
    source = policy_path("copilot_intents.yaml", path, directory=directory)
    intents = load_yaml_model(source, IntentSet)
    return LoadedIntents(intents=intents, path=source, digest=hashlib.sha256(source.read_bytes()).hexdigest()[:16])
