"""The MCP server over streamable HTTP at ``/mcp``, behind the same bearer tokens as the JSON API.

Stateless: every POST is a whole exchange, so nothing of one person's session lives in the server between
requests and the token is checked on every one (here, and again by each tool for the person it acts for).
DNS-rebinding protection (a Host/Origin allow-list) is off: it guards servers that trust whoever reaches
them, and this one trusts only a bearer token, which a browser never attaches on its own.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from anyio import to_thread
from fastapi import FastAPI, HTTPException
from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.server.streamable_http_manager import StreamableHTTPSessionManager
from mcp.server.transport_security import TransportSecuritySettings
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from api.copilot_door import CopilotHolder
from api.deps import bearer_user
from api.mcp_tools import McpDeps, build_mcp_server
from core.identity import User, user_for_token

PATH = "/mcp"


class McpMount:
    """The MCP server and, while the app runs, its session manager (a manager runs once, an app may restart)."""

    def __init__(self, server: MCPServer) -> None:
        self.server = server
        self.manager: StreamableHTTPSessionManager | None = None

    @asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        # Builds a new session manager on the server; its own Starlette app is not used, ``BearerGate`` serves it.
        self.server.streamable_http_app(
            stateless_http=True,
            json_response=True,
            transport_security=TransportSecuritySettings(enable_dns_rebinding_protection=False),
        )
        manager = self.server.session_manager
        async with manager.run():
            self.manager = manager
            try:
                yield
            finally:
                self.manager = None


class BearerGate:
    """ASGI endpoint: a request without a live bearer token is a 401; any other goes to the MCP sessions."""

    def __init__(self, mount: McpMount) -> None:
        self.mount = mount

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope)
        state = request.app.state
        try:
            await to_thread.run_sync(bearer_user, request, state.engine, state.clock)
        except HTTPException as exc:
            await JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=exc.headers)(
                scope, receive, send
            )
            return
        manager = self.mount.manager
        if manager is None:  # served without the app's lifespan (nothing runs the sessions)
            await JSONResponse({"detail": "the MCP server is not running"}, status_code=503)(scope, receive, send)
            return
        await manager.handle_request(scope, receive, send)


def mount_mcp(app: FastAPI, copilot: CopilotHolder) -> McpMount:
    """Serve the MCP tools at ``/mcp``; the app's lifespan runs the returned mount (``McpMount.running``)."""
    state = app.state
    deps = McpDeps(
        engine=state.engine, settings=state.settings, policy=state.policy, copilot=copilot, clock=state.clock
    )

    def who(ctx: Context) -> User:
        header = (ctx.headers or {}).get("authorization", "")
        scheme, _, token = header.partition(" ")
        user = None
        if scheme.lower() == "bearer" and token.strip():
            with deps.engine.begin() as conn:
                user = user_for_token(conn, token.strip(), now=deps.clock())
        if user is None:
            raise ToolError("unknown, expired or revoked token")
        return user

    mount = McpMount(build_mcp_server(deps, who))
    app.router.routes.append(Route(PATH, endpoint=BearerGate(mount), include_in_schema=False))
    return mount
