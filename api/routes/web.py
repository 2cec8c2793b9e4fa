"""The web pages: sign in, the approvals queue for your role, and one approval with its decision form.

Server-rendered; every form posts the session's CSRF token, and every
decision goes through the same service as the JSON API. Every handler is a
plain ``def``: FastAPI reads the form on the event loop and runs the handler,
with its database and graph work, in its thread pool.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import Engine

from api.bounds import ApprovalId, not_form_text
from api.cookies import SESSION_COOKIE, clear_cookie, set_cookie
from api.deps import AppSettings, Clock, Db, FormUser, Policy, WebSession
from api.models import DecisionForm
from api.pages import back, local, page
from api.services import settle_decision
from approvals.decider_context import decider_view
from approvals.decisions import DecisionError, InvalidDecision
from approvals.views import approval_detail
from core.identity import SESSION_DAYS, User, logout
from core.login_throttle import Attempt, sign_in

router = APIRouter(include_in_schema=False)


@router.get("/login")
def login_page(request: Request, next: str = "/") -> HTMLResponse:
    return page(request, "login.html", user=None, next=local(next))


def _unreadable(**fields: str) -> str | None:
    """Why a sign-in cannot even be looked up (text the database refuses, or far past any real one), or None."""
    for name, value in fields.items():
        reason = not_form_text(value)
        if reason:
            return f"{name}: {reason}"
    return None


@router.post("/login")
def login_submit(
    request: Request,
    engine: Db,
    clock: Clock,
    username: Annotated[str, Form()],
    password: Annotated[str, Form()],
    next: Annotated[str, Form()] = "/",
) -> Response:
    """Throttled per username and per address (``core.login_throttle``); a locked attempt is a 429 page."""
    unreadable = _unreadable(username=username, password=password)
    if unreadable:
        return page(request, "login.html", status_code=422, user=None, next=local(next), error=unreadable)
    attempt = Attempt(username.strip(), request.client.host if request.client else "unknown")
    with engine.begin() as conn:
        outcome = sign_in(conn, attempt, password, request.app.state.login_policy, now=clock())
    if outcome.retry_after is not None:
        wait = outcome.retry_after
        error = f"Too many failed sign-ins; try again in {wait} seconds."
        response = page(request, "login.html", status_code=429, user=None, next=local(next), error=error)
        response.headers["Retry-After"] = str(wait)
        return response
    if outcome.session is None:
        return page(request, "login.html", user=None, next=local(next), error="Wrong username or password.")
    session = outcome.session
    response = RedirectResponse(local(next), status_code=303)
    set_cookie(request, response, SESSION_COOKIE, session, max_age=SESSION_DAYS * 86400)
    return response


@router.post("/logout")
def logout_submit(request: Request, engine: Db, user: FormUser) -> Response:
    with engine.begin() as conn:
        logout(conn, request.cookies.get(SESSION_COOKIE, ""))
    response = RedirectResponse("/login", status_code=303)
    clear_cookie(request, response, SESSION_COOKIE)
    return response


#: Where each role starts the day: deciders on their queue, account owners on their book, leaders on the dashboard.
LANDING = {"finance": "/approvals", "legal": "/approvals", "csm": "/book", "ae": "/book"}


@router.get("/")
def landing(session: WebSession) -> RedirectResponse:
    """Each role lands where its work is; the other pages are one click away in the navigation."""
    return RedirectResponse(LANDING.get(session[0].role, "/dashboard"), status_code=303)


def _approval_page(
    request: Request,
    engine: Engine,
    session: tuple[User, str],
    approval_id: int,
    now: datetime,
    *,
    status_code: int = 200,
    error: str | None = None,
    entered: dict[str, str] | None = None,
) -> HTMLResponse:
    user, csrf = session
    with engine.connect() as conn:
        found = approval_detail(conn, user, approval_id)
        if found is None:
            raise HTTPException(404, f"no approval {approval_id} you can see")
        context = decider_view(conn, found, user, now)
    values = {"error": error} if error else {}
    return page(
        request,
        "approval.html",
        status_code=status_code,
        user=user,
        csrf=csrf,
        a=found,
        d=context,
        entered=entered or {},
        **values,
    )


@router.get("/approvals/{approval_id}")
def approval_page(
    request: Request, approval_id: ApprovalId, engine: Db, clock: Clock, session: WebSession
) -> HTMLResponse:
    return _approval_page(request, engine, session, approval_id, clock())


@router.post("/approvals/{approval_id}/decision")
def approval_decision(
    request: Request,
    approval_id: ApprovalId,
    form: Annotated[DecisionForm, Form()],
    engine: Db,
    settings: AppSettings,
    policy: Policy,
    clock: Clock,
    user: FormUser,
    session: WebSession,
) -> Response:
    """A form that cannot be read as a decision (a number that is not one, a term out of bounds) comes back
    with the error and what was entered, as 422; a refusal (someone decided first, your role may not) goes
    back to the approval with the reason."""
    try:
        decision, version = form.typed()
        outcome = settle_decision(
            engine,
            settings=settings,
            policy=policy,
            user=user,
            approval_id=approval_id,
            decision=decision,
            now=clock(),
            expected_version=version,
        )
    except InvalidDecision as exc:
        return _approval_page(
            request, engine, session, approval_id, clock(), status_code=422, error=str(exc), entered=form.entered()
        )
    except DecisionError as exc:
        return back(request, f"/approvals/{approval_id}", error=str(exc))
    return back(request, form.back or "/approvals", message=f"Approval {approval_id}: {outcome.message}")
