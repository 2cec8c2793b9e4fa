"""Request dependencies: the database, the policy, the clock and who is asking.

The JSON API authenticates with ``Authorization: Bearer <token>``; the web
pages with a session cookie, and every form they post carries the session's
CSRF token. Health is the only route that needs neither.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated

from fastapi import Depends, Form, HTTPException, Query, Request, status
from sqlalchemy import Engine

from api.cookies import SESSION_COOKIE
from api.models import PageParams
from approvals.policy import ApprovalPolicy
from core.identity import User, session_user, user_for_token
from core.settings import Settings


def get_engine(request: Request) -> Engine:
    return request.app.state.engine


def get_policy(request: Request) -> ApprovalPolicy:
    return request.app.state.policy


def get_settings(request: Request) -> Settings:
    return request.app.state.settings


def get_clock(request: Request) -> Callable[[], datetime]:
    return request.app.state.clock


Db = Annotated[Engine, Depends(get_engine)]
Policy = Annotated[ApprovalPolicy, Depends(get_policy)]
AppSettings = Annotated[Settings, Depends(get_settings)]
Clock = Annotated[Callable[[], datetime], Depends(get_clock)]
#: ``?limit=&offset=`` of every list, JSON and web alike.
Paging = Annotated[PageParams, Query()]


def bearer_user(request: Request, engine: Db, clock: Clock) -> User:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "send Authorization: Bearer <token> (watchtower tokens create)",
            headers={"WWW-Authenticate": "Bearer"},
        )
    with engine.begin() as conn:
        user = user_for_token(conn, token.strip(), now=clock())
    if user is None:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED, "unknown, expired or revoked token", headers={"WWW-Authenticate": "Bearer"}
        )
    return user


ApiUser = Annotated[User, Depends(bearer_user)]


class LoginRequired(Exception):
    """Raised by web pages without a live session; the app answers with a redirect to the login page."""


def web_session(request: Request, engine: Db, clock: Clock) -> tuple[User, str]:
    cookie = request.cookies.get(SESSION_COOKIE)
    if not cookie:
        raise LoginRequired
    with engine.connect() as conn:
        found = session_user(conn, cookie, now=clock())
    if found is None:
        raise LoginRequired
    return found


WebSession = Annotated[tuple[User, str], Depends(web_session)]


def checked_form_user(session: WebSession, csrf: Annotated[str, Form()] = "") -> User:
    """The signed-in user of a form post whose CSRF token matches the session's."""
    user, expected = session
    if not hmac.compare_digest(csrf, expected):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "the form's CSRF token does not match your session; reload")
    return user


FormUser = Annotated[User, Depends(checked_form_user)]


def utcnow() -> datetime:
    return datetime.now(UTC)
