"""The FastAPI application: JSON API under /api, POST /events, the web pages, and /health.

``create_app`` takes its engine, settings, policy and clock from the caller,
so tests and ``watchtower web`` build the same app against different databases.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy import Engine, text

from api.authenticate_first import AuthenticateFirst
from api.body_limit import BodyLimit
from api.bounds import MAX_BODY_BYTES
from api.copilot_door import CopilotHolder
from api.deps import ApiUser, LoginRequired, utcnow
from api.error_pages import install_error_pages
from api.lifespan import lifespan
from api.mcp_http import mount_mcp
from api.models import ServiceStatus
from api.openai_errors import OpenAIError, handle_openai_error
from api.openapi import complete_schema
from api.problems import method_not_allowed, request_validation
from api.routes import (
    admin,
    approvals,
    copilot,
    events,
    offers,
    openai_compat,
    web,
    web_briefings,
    web_copilot,
    web_outbox,
    web_portfolio,
    web_queue,
)
from api.security_headers import SecurityHeaders
from approvals.policy import ApprovalPolicy, load_policy
from core.db import make_engine
from core.login_throttle import load_login_policy
from core.settings import Settings


def create_app(
    settings: Settings | None = None,
    *,
    engine: Engine | None = None,
    policy: ApprovalPolicy | None = None,
    policy_path: Path | None = None,
    clock: Callable[[], datetime] = utcnow,
    max_body_bytes: int = MAX_BODY_BYTES,
) -> FastAPI:
    settings = settings or Settings()
    # No public docs pages: every route but /health needs a signed-in user, the schema included.
    app = FastAPI(
        title="Watchtower", version="0.1.0", docs_url=None, redoc_url=None, openapi_url=None, lifespan=lifespan
    )
    app.state.settings = settings
    app.state.engine = engine or make_engine(settings.database_url)
    app.state.policy = policy or load_policy(policy_path)
    app.state.clock = clock
    app.state.login_policy = load_login_policy()
    # Secure unless plain-http development was chosen (api.cookies): behind a TLS proxy the scheme says http.
    app.state.cookie_secure = settings.cookie_secure is not False
    # One copilot per app, opened by the first question (it is slow to open) and closed on shutdown.
    app.state.copilot = CopilotHolder(settings, app.state.engine)
    app.openapi = partial(complete_schema, app)  # type: ignore[method-assign]

    @app.get("/health", tags=["health"])
    def health() -> ServiceStatus:
        with app.state.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        return ServiceStatus(status="ok")

    @app.get("/api/openapi.json", tags=["health"], include_in_schema=False)
    def openapi(user: ApiUser) -> dict[str, Any]:
        return app.openapi()

    app.add_exception_handler(RequestValidationError, request_validation)  # type: ignore[arg-type]
    app.add_exception_handler(405, method_not_allowed)  # type: ignore[arg-type]
    app.add_exception_handler(OpenAIError, handle_openai_error)  # type: ignore[arg-type]
    # The last added runs first: credentials before the body, then the body's size as it is read.
    app.add_middleware(BodyLimit, max_bytes=max_body_bytes)
    app.add_middleware(AuthenticateFirst)

    @app.exception_handler(LoginRequired)
    def _login(request: Request, exc: LoginRequired) -> Response:
        here = f"{request.url.path}?{request.url.query}" if request.url.query else request.url.path
        return RedirectResponse(f"/login?{urlencode({'next': here})}", status_code=303)

    app.include_router(approvals.router)
    app.include_router(offers.router)
    app.include_router(events.router)
    app.include_router(copilot.router)
    app.include_router(openai_compat.router)
    app.include_router(admin.router)
    app.include_router(web.router)
    app.include_router(web_queue.router)
    app.include_router(web_outbox.router)
    app.include_router(web_copilot.router)
    app.include_router(web_briefings.router)
    app.include_router(web_portfolio.router)
    app.state.mcp = mount_mcp(app, app.state.copilot)
    app.mount("/static", StaticFiles(directory=Path(__file__).resolve().parent / "static"), name="static")
    install_error_pages(app)
    app.add_middleware(SecurityHeaders)
    return app
