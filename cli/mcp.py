"""`watchtower mcp`: the copilot's tools as an MCP server on stdin/stdout, for one person.

The person is ``--as USERNAME`` (whoever can run this command can read the database anyway), or else the
bearer token in ``WATCHTOWER_TOKEN``, as an MCP client's config passes it. Either is checked again on every
tool call, so a deactivated user or a revoked token stops working without a restart.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from typing import Annotated

import typer

from approvals.policy import load_policy
from cli.context import CliError, app_context, handle_errors
from cli.guards import require_schema
from core.identity import User, find_user, user_for_token

TOKEN_ENV = "WATCHTOWER_TOKEN"


def _now() -> datetime:
    return datetime.now(UTC)


@handle_errors
def mcp_command(
    ctx: typer.Context,
    as_user: Annotated[
        str | None, typer.Option("--as", help=f"Act as this user; without it, the token in {TOKEN_ENV}.")
    ] = None,
) -> None:
    """Serve the copilot's read tools, ask_copilot and propose_offer over MCP (stdio), scoped to one person."""
    from mcp.server.mcpserver import Context
    from mcp.server.mcpserver.exceptions import ToolError

    from api.copilot_door import CopilotHolder
    from api.mcp_tools import McpDeps, build_mcp_server

    app = app_context(ctx)
    require_schema(app.engine)
    engine = app.engine
    token = os.environ.get(TOKEN_ENV, "").strip()
    if not as_user and not token:
        raise CliError("no person to act as", f"pass --as USERNAME or set {TOKEN_ENV} to a token")

    def who(_: Context | None = None) -> User:
        with engine.begin() as conn:
            user = find_user(conn, as_user) if as_user else user_for_token(conn, token, now=_now())
        if user is None:
            raise ToolError(f"user {as_user!r} is unknown or inactive" if as_user else f"{TOKEN_ENV}: unknown token")
        return user

    try:
        who()
    except ToolError as exc:
        raise CliError(
            str(exc), "watchtower users list shows who exists; watchtower tokens create makes a token"
        ) from None
    copilot = CopilotHolder(app.settings, engine)
    deps = McpDeps(engine=engine, settings=app.settings, policy=load_policy(), copilot=copilot, clock=_now)
    try:
        build_mcp_server(deps, who).run("stdio")
    finally:
        copilot.close()
