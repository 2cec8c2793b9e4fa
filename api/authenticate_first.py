"""Who is asking is settled before a request's body is read: a body from nobody is never read, let alone parsed.

FastAPI reads and parses a body before it resolves a route's dependencies, so
the route's own check of the token or session would come after a 100 MB body
had been taken in. This middleware runs the very same checks
(``api.deps.bearer_user`` for the JSON API, ``api.deps.web_session`` for the
web forms) first, for every request that carries a body, in the thread pool
as the routes do; the route checks again, unchanged.
"""

from __future__ import annotations

from urllib.parse import urlencode

from anyio import to_thread
from fastapi import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from api.deps import LoginRequired, bearer_user, web_session
from api.openai_errors import PREFIX as OPENAI_PREFIX
from api.openai_errors import error_response, unauthorized

#: Paths that take a body from someone not signed in yet.
PUBLIC = frozenset({"/login"})


def _is_api(path: str) -> bool:
    """Paths whose callers are programs with a bearer token: the JSON API, events, OpenAI-compatible, MCP."""
    return path.startswith(("/api/", OPENAI_PREFIX)) or path in ("/events", "/mcp")


def _has_body(scope: Scope) -> bool:
    headers = dict(scope["headers"])
    length = headers.get(b"content-length", b"0")
    return b"transfer-encoding" in headers or not length.isdigit() or int(length) > 0


class AuthenticateFirst:
    """ASGI middleware: a request with a body and no valid credentials is refused before the body is read."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] not in PUBLIC and _has_body(scope):
            refusal = await to_thread.run_sync(_refusal, Request(scope))
            if refusal is not None:
                await refusal(scope, receive, send)
                return
        await self.app(scope, receive, send)


def _refusal(request: Request) -> Response | None:
    """The answer for a request whose credentials do not hold, or None when they do."""
    state = request.app.state
    try:
        if _is_api(request.url.path):
            bearer_user(request, state.engine, state.clock)
        else:
            web_session(request, state.engine, state.clock)
    except HTTPException as exc:
        if request.url.path.startswith(OPENAI_PREFIX):
            return error_response(unauthorized(str(exc.detail)))
        return JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=exc.headers)
    except LoginRequired:
        return RedirectResponse(f"/login?{urlencode({'next': request.url.path})}", status_code=303)
    return None
