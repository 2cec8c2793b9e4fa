"""The tool registry: LangChain tools bound to one account, and which agent may use which.

The account id and as-of date are bound when the tools are built, not passed
by the caller, so nothing a model or a text says can point a tool at another
account or at the future. Every tool here only reads.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date
from functools import partial
from typing import Any, Literal

from langchain_core.tools import BaseTool, StructuredTool
from pydantic import BaseModel, Field
from sqlalchemy import Connection

from tools import reads


class Lookback(BaseModel):
    days: int = Field(365, ge=1, le=3650, description="How many days before the as-of date to read.")


class NoArguments(BaseModel):
    pass


#: name -> (service function, description, what it takes after the connection and account id)
_SERVICES: dict[str, tuple[Callable[..., Any], str, Literal["account", "as_of", "lookback"]]] = {
    "read_account": (reads.read_account, "The account's profile: segment, ARR, plan and limits, owner.", "account"),
    "read_usage": (reads.read_usage, "Usage snapshots (logins, active users, seats, features, metrics).", "lookback"),
    "read_invoices": (reads.read_invoices, "Invoices with due and paid dates as known on the as-of date.", "lookback"),
    "read_tickets": (reads.read_tickets, "Support tickets open during the look-back.", "lookback"),
    "read_surveys": (reads.read_surveys, "NPS/CSAT/CES answers with verbatims.", "lookback"),
    "read_contacts": (reads.read_contacts, "Contacts with roles and whether they had left by the as-of date.", "as_of"),
    "read_interactions": (reads.read_interactions, "Calls, emails and meetings with their text.", "lookback"),
    "read_market_signals": (reads.read_market_signals, "News and job changes about the company.", "lookback"),
}

#: Which read tools each watchtower is allowed; asking for any other is an error, not a fallback.
AGENT_TOOLS: dict[str, tuple[str, ...]] = {
    "product_health": ("read_account", "read_usage"),
    "sentiment": ("read_contacts", "read_interactions", "read_surveys"),
    "financial": ("read_invoices",),
    "market_intel": ("read_account", "read_contacts", "read_market_signals", "read_interactions"),
}


class ToolNotAllowed(PermissionError):
    """An agent asked for a tool outside its policy."""


@dataclass(frozen=True)
class ToolCall:
    """One call made through :func:`use`, as a recorder saw it: which agent, which tool, bound to which account.

    ``arguments`` are the caller's, before the tool's schema dropped anything, so an attempt to name another
    account shows even though it could not take effect. ``refused`` marks a name outside the agent's tools.
    """

    agent: str | None
    tool: str
    account_id: int | None
    as_of: date | None
    arguments: dict[str, Any]
    refused: bool


_recorders: ContextVar[tuple[list[ToolCall], ...]] = ContextVar("tool_call_recorders", default=())


@contextmanager
def recording_tool_calls() -> Iterator[list[ToolCall]]:
    """Collect every call made through :func:`use` while the block runs, graph steps included.

    Evaluations use it to see what the agents really called; recorders nest, and with none open ``use``
    pays one context-variable lookup.
    """
    calls: list[ToolCall] = []
    token = _recorders.set((*_recorders.get(), calls))
    try:
        yield calls
    finally:
        _recorders.reset(token)


def _bind(agent: str, name: str, conn: Connection, account_id: int, as_of: date) -> BaseTool:
    fn, description, takes = _SERVICES[name]
    bound = partial(fn, conn, account_id) if takes == "account" else partial(fn, conn, account_id, as_of)
    # The binding travels with the tool so a recorder can say whose call it was and on which account.
    metadata = {"agent": agent, "account_id": account_id, "as_of": as_of}
    if takes == "lookback":
        return StructuredTool.from_function(
            lambda days=365: bound(days), name=name, description=description, args_schema=Lookback, metadata=metadata
        )
    return StructuredTool.from_function(
        bound, name=name, description=description, args_schema=NoArguments, metadata=metadata
    )


def tools_for(agent: str, conn: Connection, account_id: int, as_of: date) -> dict[str, BaseTool]:
    """The read tools ``agent`` may use, bound to one account and date."""
    try:
        names = AGENT_TOOLS[agent]
    except KeyError:
        raise ToolNotAllowed(f"unknown agent {agent!r}; known: {', '.join(AGENT_TOOLS)}") from None
    return {name: _bind(agent, name, conn, account_id, as_of) for name in names}


def _record(
    recorders: tuple[list[ToolCall], ...], tools: dict[str, BaseTool], name: str, arguments: dict[str, Any]
) -> None:
    tool = tools.get(name)
    # A refused name has no tool of its own; every tool of the set carries the same agent and account.
    binding = (tool or next(iter(tools.values()), None)) if tools else None
    metadata = (binding.metadata or {}) if binding is not None else {}
    call = ToolCall(
        agent=metadata.get("agent"),
        tool=name,
        account_id=metadata.get("account_id"),
        as_of=metadata.get("as_of"),
        arguments=dict(arguments),
        refused=tool is None,
    )
    for calls in recorders:
        calls.append(call)


def use(tools: dict[str, BaseTool], name: str, **arguments: Any) -> Any:
    """Call one of an agent's tools by name; a name outside its set is refused.

    Arguments are validated by the tool's own schema (unknown ones, such as an
    account id, are dropped). The call goes straight to the tool's function:
    LangChain's callback machinery cost about 1.3 ms a call, a third of a cycle's
    time, and buys nothing for an in-process read.
    """
    recorders = _recorders.get()
    if recorders:
        _record(recorders, tools, name, arguments)
    tool = tools.get(name)
    if tool is None:
        raise ToolNotAllowed(f"tool {name!r} is not allowed here; allowed: {', '.join(tools)}")
    schema = tool.args_schema
    validated = schema.model_validate(arguments).model_dump() if isinstance(schema, type) else arguments
    return tool.func(**validated)  # type: ignore[attr-defined]
