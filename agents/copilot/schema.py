"""The copilot's answer as every door returns it (CLI ``--json``, the API, MCP), whichever path produced it."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

#: Who wrote the answer text:
#: ``model``: a model, and the answer verified; ``deterministic``: templates filled from tool results (no model
#: configured, or the question needed none); ``deterministic_after_model_failed``: a model's answer failed
#: verification or the model failed, and the templates answered instead.
ProducedBy = Literal["model", "deterministic", "deterministic_after_model_failed"]


class Citation(BaseModel):
    """A verbatim span of one stored source of the account in scope."""

    model_config = ConfigDict(frozen=True)

    source: str = Field(description="The table the row lives in, or 'kb' for a knowledge-base chunk.")
    id: str = Field(description="The row id, or the chunk id for 'kb'.")
    account: str = Field(description="The external id of the account the source belongs to.")
    quote: str = Field(min_length=1, description="A verbatim span of the source's text.")


class ToolCallMade(BaseModel):
    tool: str
    arguments: dict[str, Any]
    refused: str | None = Field(None, description="Why the call was not run (a model asked for a tool it lacks).")


class CopilotAnswer(BaseModel):
    """``answer`` marks each claim with ``[n]``, the 1-based position of its citation in ``citations``."""

    answer: str
    citations: list[Citation] = []
    produced_by: ProducedBy
    tool_calls: list[ToolCallMade] = []
    intent: str | None = Field(None, description="The intent the deterministic path chose, when it answered.")
