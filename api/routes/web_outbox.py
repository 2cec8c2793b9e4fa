"""The outbox page: customer emails waiting for a person, a page at a time, each edited, approved, sent or
discarded there."""

from __future__ import annotations

from collections.abc import Callable
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


def _act_on_message(
    request: Request,
    engine: Engine,
    session: tuple[User, str],
    message_id: int,
    back_to: str,
    texts: dict[str, str],
    act: Callable[[], str],
) -> Response:
    """What every action on one message does around the action itself: a text that cannot be stored comes back
    as the outbox with the error, as 422; a refusal goes back to the page it came from with the reason, and a
    success with what ``act`` says was done."""
    for name, value in texts.items():
        unreadable = not_form_text(value)
        if unreadable:
            return _outbox_page(request, engine, session, PageParams(), status_code=422, error=f"{name}: {unreadable}")
    try:
        said = act()
    except (NotVisible, OutboxError) as exc:
        return back(request, back_to, error=str(exc))
    return back(request, back_to, message=f"Message {message_id}: {said}")


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

    def act() -> str:
        decide_draft(engine, user=user, message_id=message_id, decision=decision, reason=reason, now=clock())
        return DRAFT_DECISIONS[decision]

    return _act_on_message(request, engine, session, message_id, back_to, {"reason": reason}, act)


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

    def act() -> str:
        changed = edit_message(engine, user=user, message_id=message_id, subject=subject, body=body, now=clock())
        return "edited" if changed else "unchanged"

    return _act_on_message(request, engine, session, message_id, back_to, {"subject": subject, "body": body}, act)


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

    def act() -> str:
        return send_one(engine, settings=settings, user=user, message_id=message_id, reason=reason, now=clock())

    return _act_on_message(request, engine, session, message_id, back_to, {"reason": reason}, act)
