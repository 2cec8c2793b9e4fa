"""State and context shared by the four watchtower graphs.

Each graph takes the narrow ``WatchtowerInput`` (one account, one date),
works on its own full state, and returns ``WatchtowerResult``: a typed payload,
the alerts it raises and, for market intel, stakeholder movements. Writing
them is the cycle's job, so a graph can be run and tested without a database
transaction of its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, Literal, TypedDict

from pydantic import BaseModel, Field
from sqlalchemy import Connection

from agents.configuration import WatchtowerConfig
from llm.structured import LlmReader

Severity = Literal["low", "medium", "high", "critical"]


class AlertCandidate(BaseModel):
    """An alert a watchtower raises this cycle; the cycle opens, updates or resolves stored alerts from these."""

    kind: Literal["risk", "opportunity"]
    type: str
    reason: str
    severity: Severity
    title: str
    detail: dict[str, Any] = Field(default_factory=dict)
    #: The raw values the title was printed from (ratios, counts, amounts, names); the title's faithfulness
    #: is checked against these alone.
    facts: dict[str, Any] = Field(default_factory=dict)
    evidence: list[str] = Field(default_factory=list)


class Movement(BaseModel):
    """One stakeholder joining or leaving, and the fact behind it."""

    contact_id: int | None
    person: str
    roles: list[str]
    movement: Literal["departed", "joined"]
    occurred_on: date
    new_company: str | None = None
    source: str
    quote: str | None = None


class WatchtowerInput(TypedDict):
    account_id: int
    as_of: date


class WatchtowerResult(TypedDict, total=False):
    agent: str
    account_id: int
    as_of: date
    payload: dict[str, Any]
    produced_by: str
    alerts: list[AlertCandidate]
    movements: list[Movement]


@dataclass
class WatchtowerContext:
    """What a graph run is given rather than builds: the connection, the policy and the (optional) model."""

    conn: Connection
    config: WatchtowerConfig
    reader: LlmReader


def combine_paths(paths: list[str]) -> str:
    """One label for how a payload's text readings were produced."""
    kinds = set(paths)
    if not kinds or kinds == {"deterministic"}:
        return "deterministic"
    if "fallback" in kinds:
        return "llm_with_fallback"
    return "llm"


def severity_by(value: float, steps: list[tuple[float, Severity]], default: Severity = "medium") -> Severity:
    """The first severity whose threshold ``value`` reaches; steps go from the most severe down."""
    for threshold, severity in steps:
        if value >= threshold:
            return severity
    return default
