"""The web pages: sign in, the approvals queue for your role, one approval, and the outbox of drafts.

Server-rendered; every form posts the session's CSRF token, and every
decision goes through the same ``decide`` as the JSON API.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from sqlalchemy import select

from actions.outbox import OutboxError, approve, discard
from api.deps import SESSION_COOKIE, AppSettings, Clock, Db, FormUser, Policy, WebSession
from api.routes.approvals import settle
from approvals.views import approval_detail, list_approvals
from core.identity import SESSION_DAYS, User, login, logout
from core.models import Account, OutboxMessage

router = APIRouter(include_in_schema=False)
templates = Jinja2Templates(directory=Path(__file__).resolve().parents[1] / "templates")
OUTBOX = OutboxMessage.__table__  # type: ignore[attr-defined]
ACCOUNT = Account.__table__  # type: ignore[attr-defined]
#: Roles that may approve customer emails; a CSM only on their own accounts.
OUTBOX_ROLES = ("csm", "cs_manager", "ae", "cro")
EDITABLE_IN_FORM = ("discount_pct", "term_months", "payment_terms_days")


def _page(request: Request, name: str, **values: Any) -> HTMLResponse:
    values.setdefault("message", request.query_params.get("message"))
    values.setdefault("error", request.query_params.get("error"))
    return templates.TemplateResponse(request, name, values)


def _local(path: str) -> str:
    """Only paths on this site are followed after sign-in (no //host or /\\host redirects)."""
    return path if path.startswith("/") and not path.startswith(("//", "/\\")) else "/"


@router.get("/login")
def login_page(request: Request, next: str = "/") -> HTMLResponse:
    return _page(request, "login.html", user=None, next=_local(next))


@router.post("/login")
def login_submit(
    request: Request,
    engine: Db,
    clock: Clock,
    username: Annotated[str, Form()],
    password: Annotated[str, Form()],
    next: Annotated[str, Form()] = "/",
) -> Response:
    with engine.begin() as conn:
        found = login(conn, username.strip(), password, now=clock())
    if found is None:
        return _page(request, "login.html", user=None, next=next, error="Wrong username or password.")
    session, _ = found
    response = RedirectResponse(_local(next), status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        session,
        max_age=SESSION_DAYS * 86400,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )
    return response


@router.post("/logout")
def logout_submit(request: Request, engine: Db, user: FormUser) -> Response:
    with engine.begin() as conn:
        logout(conn, request.cookies.get(SESSION_COOKIE, ""))
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response


@router.get("/")
def queue_page(request: Request, engine: Db, session: WebSession) -> HTMLResponse:
    user, csrf = session
    with engine.connect() as conn:
        role = None if user.role == "csm" else user.role
        items, _ = list_approvals(conn, user, status="pending", role=role, limit=200)
    return _page(request, "queue.html", user=user, csrf=csrf, items=items)


@router.get("/approvals/{approval_id}")
def approval_page(request: Request, approval_id: int, engine: Db, session: WebSession) -> HTMLResponse:
    user, csrf = session
    with engine.connect() as conn:
        found = approval_detail(conn, user, approval_id)
    if found is None:
        raise HTTPException(404, f"no approval {approval_id} you can see")
    return _page(request, "approval.html", user=user, csrf=csrf, a=found)


def _back(path: str, *, message: str | None = None, error: str | None = None) -> RedirectResponse:
    query = f"?message={quote(message)}" if message else f"?error={quote(error or '')}"
    return RedirectResponse(path + query, status_code=303)


@router.post("/approvals/{approval_id}/decision")
async def approval_decision(
    request: Request,
    approval_id: int,
    engine: Db,
    settings: AppSettings,
    policy: Policy,
    clock: Clock,
    user: FormUser,
) -> Response:
    form = await request.form()
    decision: dict[str, Any] = {"decision": form.get("decision"), "reason": str(form.get("reason") or "").strip()}
    if decision["decision"] == "edit":
        terms: dict[str, Any] = {}
        for name in EDITABLE_IN_FORM:
            raw = str(form.get(name) or "").strip()
            if raw:
                terms[name] = float(raw) if name == "discount_pct" else int(float(raw))
        decision["terms"] = terms
    version = str(form.get("version") or "")
    try:
        outcome = settle(
            engine,
            settings,
            policy,
            user,
            approval_id,
            decision,
            now=clock(),
            expected_version=int(version) if version.isdigit() else None,
        )
    except HTTPException as exc:
        return _back(f"/approvals/{approval_id}", error=str(exc.detail))
    return _back("/", message=f"Approval {approval_id}: {outcome['message']}")


def _drafts(engine: Db, user: User) -> list[dict[str, Any]]:
    query = (
        select(OUTBOX, ACCOUNT.c.name.label("account_name"))
        .join(ACCOUNT, ACCOUNT.c.id == OUTBOX.c.account_id)
        .where(OUTBOX.c.status == "drafted", OUTBOX.c.audience == "customer")
        .order_by(OUTBOX.c.id)
        .limit(200)
    )
    if user.role == "csm":
        query = query.where(ACCOUNT.c.owner_csm == user.email)
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(query).mappings()]


@router.get("/outbox")
def outbox_page(request: Request, engine: Db, session: WebSession) -> HTMLResponse:
    user, csrf = session
    return _page(
        request,
        "outbox.html",
        user=user,
        csrf=csrf,
        messages=_drafts(engine, user),
        can_approve=user.role in OUTBOX_ROLES,
    )


@router.post("/outbox/{message_id}/decision")
def outbox_decision(
    message_id: int,
    engine: Db,
    clock: Clock,
    user: FormUser,
    decision: Annotated[str, Form()],
    reason: Annotated[str, Form()] = "",
) -> Response:
    if user.role not in OUTBOX_ROLES or not any(m["id"] == message_id for m in _drafts(engine, user)):
        return _back("/outbox", error=f"message {message_id} is not a draft you may approve")
    try:
        with engine.begin() as conn:
            if decision == "approve":
                approve(conn, message_id, by=user.username, now=clock(), reason=reason or None)
            elif decision == "discard":
                discard(conn, message_id, by=user.username, reason=reason, now=clock())
            else:
                return _back("/outbox", error="decision must be approve or discard")
    except OutboxError as exc:
        return _back("/outbox", error=str(exc))
    return _back("/outbox", message=f"Message {message_id}: {'approved' if decision == 'approve' else 'discarded'}")
