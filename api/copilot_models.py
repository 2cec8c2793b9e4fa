"""The copilot's request bodies and path parameter at the HTTP boundary; its answer is ``CopilotAnswer`` itself."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import Path
from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field

from api.bounds import PlainText, not_text
from api.models import _TextOnly

MAX_QUESTION = 2000


def _text(value: str) -> str:
    reason = not_text(value)
    if reason:
        raise ValueError(reason)
    return value


#: An account's external id in a path, as long as the accounts table holds.
AccountKey = Annotated[
    str,
    Path(min_length=1, max_length=128, description="The account's external id.", examples=["ACC-00001"]),
    AfterValidator(_text),
]


def _iso_date(value: Any) -> Any:
    """Only a date written as a date: lax parsing would read the number 0 as 1970-01-01."""
    if value is not None and not isinstance(value, str):
        raise ValueError("a date is written YYYY-MM-DD")
    return value


class CopilotQuestion(_TextOnly):
    """One question about one account; the account is the path's, so nothing in the body can name another."""

    model_config = ConfigDict(extra="forbid")

    question: PlainText = Field(min_length=1, max_length=MAX_QUESTION, examples=["Why is this account at risk?"])
    as_of: Annotated[date | None, BeforeValidator(_iso_date)] = Field(
        None, description="The date to answer as of (YYYY-MM-DD); today in the team's time zone if null."
    )


class CopilotStreamEvent(BaseModel):
    """One server-sent event of a streamed answer (the schema of each event, as OpenAPI 3.1 reads it)."""

    event: Literal["delta", "answer", "done", "error"]
    data: str = Field(
        description="JSON: delta {text}, answer the whole CopilotAnswer, done {}, error {detail}.",
    )
