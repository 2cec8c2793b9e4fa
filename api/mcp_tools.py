"""The copilot's tools as an MCP server, for one person at a time, whichever transport carries it.

Who is asking is decided per call by ``who`` (the stdio server's fixed user, or the bearer token of the HTTP
request that carried the call), and every tool that names an account resolves it with ``tools.access`` on
every call: an account out of reach is refused with the same sentence as one that does not exist, and no
data. ``propose_offer`` goes through the approvals queue's own path (``api.services.propose_offer``): it
creates a proposal for people to decide and never settles anything.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated, Any

from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from pydantic import Field, ValidationError
from sqlalchemy import Engine

from api.bounds import not_text
from api.copilot_door import CopilotHolder, as_of_default, reach
from api.models import OfferCreate
from api.services import NotVisible, propose_offer
from approvals.policy import ApprovalPolicy
from approvals.queue import OfferError
from approvals.terms import OfferKind, OfferTerms
from core.identity import User
from core.settings import Settings
from tools.access import AccountRef
from tools.copilot_tools import TOOLS, CopilotTools, NoKnowledgeBase

NOT_REACHABLE = "No such account: {account}. Check the external id, or name one of your accounts."
INSTRUCTIONS = (
    "Watchtower's account copilot. Every tool reads one account, named by its external id (ACC-00001), as the "
    "signed-in person may see it. ask_copilot answers a question with citations; propose_offer puts an offer "
    "into the approvals queue for people to decide."
)
#: The copilot's read tools served here: every one bound to a single account (the book-wide ``book`` is not).
ACCOUNT_TOOLS = tuple(name for name in TOOLS if name != "book")

Account = Annotated[str, Field(min_length=1, max_length=128, description="The account's external id (ACC-00001).")]
AsOf = Annotated[date | None, Field(description="Read as of this date (YYYY-MM-DD); today if absent.")]
#: Who is asking, for one call.
Who = Callable[[Context], User]


@dataclass(frozen=True)
class McpDeps:
    engine: Engine
    settings: Settings
    policy: ApprovalPolicy
    copilot: CopilotHolder
    clock: Callable[[], datetime]


def _account(deps: McpDeps, user: User, account: str) -> AccountRef:
    ref = reach(deps.engine, user, account)
    if ref is None:
        raise ToolError(NOT_REACHABLE.format(account=account))
    return ref


def _read(deps: McpDeps, user: User, account: str, day: date | None, tool: str, **arguments: Any) -> dict[str, Any]:
    ref = _account(deps, user, account)
    as_of = day or as_of_default(deps.settings, deps.clock())
    with deps.engine.connect() as conn:
        tools = CopilotTools(conn, user, ref, as_of, kb=deps.copilot.get().kb)
        try:
            return tools.call(tool, **arguments).model_dump(mode="json")
        except NoKnowledgeBase as exc:
            raise ToolError(str(exc)) from None


def _add_read_tool(server: MCPServer, deps: McpDeps, who: Who, name: str) -> None:
    description = TOOLS[name].description
    if name == "search_knowledge":

        def search(
            account: Account,
            query: Annotated[str, Field(min_length=1, max_length=500, description="What to look for.")],
            ctx: Context,
            k: Annotated[int, Field(ge=1, le=10, description="How many passages to return.")] = 5,
            as_of: AsOf = None,
        ) -> dict[str, Any]:
            return _read(deps, who(ctx), account, as_of, name, query=query, k=k)

        server.add_tool(search, name=name, description=description)
        return

    def read(account: Account, ctx: Context, as_of: AsOf = None) -> dict[str, Any]:
        return _read(deps, who(ctx), account, as_of, name)

    server.add_tool(read, name=name, description=description)


def build_mcp_server(deps: McpDeps, who: Who) -> MCPServer:
    # WARNING: the SDK sets up root logging at this level when nothing else has, and logs each refusal at INFO.
    server: MCPServer = MCPServer(name="watchtower", instructions=INSTRUCTIONS, version="0.1.0", log_level="WARNING")
    for name in ACCOUNT_TOOLS:
        _add_read_tool(server, deps, who, name)

    def ask_copilot(
        account: Account,
        question: Annotated[str, Field(min_length=1, max_length=2000, description="The question, in words.")],
        ctx: Context,
        as_of: AsOf = None,
    ) -> dict[str, Any]:
        """Ask the copilot about one account; the answer cites each claim ([n]) to a stored source."""
        user = who(ctx)
        ref = _account(deps, user, account)
        problem = not_text(question)
        if problem:
            raise ToolError(f"question: {problem}")
        day = as_of or as_of_default(deps.settings, deps.clock())
        answer = deps.copilot.get().ask(user=user, account=ref.external_id, question=question, as_of=day)
        return answer.model_dump(mode="json")

    def propose(
        account: Account,
        kind: OfferKind,
        terms: OfferTerms,
        rationale: Annotated[str, Field(min_length=1, max_length=4000, description="Why, for the approvers.")],
        ctx: Context,
    ) -> dict[str, Any]:
        """Propose an offer on one account: it joins the approvals queue, where people approve or reject it."""
        user = who(ctx)
        ref = _account(deps, user, account)
        try:
            offer = OfferCreate(account=ref.external_id, kind=kind, terms=terms, rationale=rationale)
            submitted = propose_offer(deps.engine, policy=deps.policy, user=user, offer=offer, now=deps.clock())
        except ValidationError as exc:
            raise ToolError("; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())) from None
        except NotVisible:
            raise ToolError(NOT_REACHABLE.format(account=account)) from None
        except OfferError as exc:
            raise ToolError(str(exc)) from None
        return submitted.model_dump(mode="json")

    server.add_tool(ask_copilot, name="ask_copilot")
    server.add_tool(propose, name="propose_offer")
    return server
