"""The outbox page: customer emails waiting for a person, a page at a time, each edited, approved, sent or
discarded there."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import Engine

from actions.outbox import OutboxError
from api.bounds import MessageId, not_form_text
from api.deps import AppSettings, Clock, Db, FormUser, Paging, WebSession
from api.models import PageParams
from api.pages import back, page, paged
from api.services import (
    DRAFT_DECISIONS,
    OUTBOX_ROLES,
    NotVisible,
    decide_draft,
    edit_message,
    list_drafts,
    send_one,
)
from core.identity import User

router = APIRouter(include_in_schema=False)


def _outbox_page(
    request: Request,
    engine: Engine,
    session: tuple[User, str],
    params: PageParams,
    *,
    status_code: int = 200,
    error: str | None = None,
) -> HTMLResponse:
    user, csrf = session
    with engine.connect() as conn:
        messages, pager = paged(
            "/outbox", params, lambda limit, offset: list_drafts(conn, user=user, limit=limit, offset=offset)
        )
    values = {"error": error} if error else {}
    return page(
        request,
        "outbox.html",
        status_code=status_code,
        user=user,
        csrf=csrf,
        messages=messages,
        pager=pager,
        can_approve=user.role in OUTBOX_ROLES,
        **values,
    )


@router.get("/outbox")
def outbox_page(request: Request, engine: Db, session: WebSession, params: Paging) -> HTMLResponse:
    return _outbox_page(request, engine, session, params)


@router.post("/outbox/{message_id}/decision")
def outbox_decision(
    request: Request,
    message_id: MessageId,
    engine: Db,
    clock: Clock,
    user: FormUser,
    session: WebSession,
    decision: Annotated[str, Form()],
    reason: Annotated[str, Form()] = "",
    back_to: Annotated[str, Form(alias="back")] = "/outbox",
) -> Response:
    """Back to the page the message was on, whichever page of the outbox that is. A reason that cannot be
    stored comes back as the outbox with the error, as 422; a refusal goes back with the reason."""
    unreadable = not_form_text(reason)
    if unreadable:
        return _outbox_page(request, engine, session, PageParams(), status_code=422, error=f"reason: {unreadable}")
    try:
        decide_draft(engine, user=user, message_id=message_id, decision=decision, reason=reason, now=clock())
    except (NotVisible, OutboxError) as exc:
        return back(request, back_to, error=str(exc))
    return back(request, back_to, message=f"Message {message_id}: {DRAFT_DECISIONS[decision]}")


@router.post("/outbox/{message_id}/edit")
def outbox_edit(
    request: Request,
    message_id: MessageId,
    engine: Db,
    clock: Clock,
    user: FormUser,
    session: WebSession,
    subject: Annotated[str, Form(max_length=512)] = "",
    body: Annotated[str, Form(max_length=20000)] = "",
    back_to: Annotated[str, Form(alias="back")] = "/outbox",
) -> Response:
    """A rewrite of the subject and body, audited with the text before and after; the draft still waits."""
    for name, value in (("subject", subject), ("body", body)):
        unreadable = not_form_text(value)
        if unreadable:
            return _outbox_page(request, engine, session, PageParams(), status_code=422, error=f"{name}: {unreadable}")
    try:
        changed = edit_message(engine, user=user, message_id=message_id, subject=subject, body=body, now=clock())
    except (NotVisible, OutboxError) as exc:
        return back(request, back_to, error=str(exc))
    return back(request, back_to, message=f"Message {message_id}: {'edited' if changed else 'unchanged'}")


@router.post("/outbox/{message_id}/send")
def outbox_send(
    request: Request,
    message_id: MessageId,
    engine: Db,
    settings: AppSettings,
    clock: Clock,
    user: FormUser,
    session: WebSession,
    reason: Annotated[str, Form()] = "",
    back_to: Annotated[str, Form(alias="back")] = "/outbox",
) -> Response:
    """Approve this one message and send it now, through the same sender and rules as every send."""
    unreadable = not_form_text(reason)
    if unreadable:
        return _outbox_page(request, engine, session, PageParams(), status_code=422, error=f"reason: {unreadable}")
    try:
        said = send_one(engine, settings=settings, user=user, message_id=message_id, reason=reason, now=clock())
    except (NotVisible, OutboxError) as exc:
        return back(request, back_to, error=str(exc))
    return back(request, back_to, message=f"Message {message_id}: {said}")
