"""The outbox page: customer emails waiting for a person, a page at a time, each approved or discarded there."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import Engine

from actions.outbox import OutboxError
from api.bounds import MessageId, not_form_text
from api.deps import Clock, Db, FormUser, Paging, WebSession
from api.models import PageParams
from api.pages import back, page, paged
from api.services import DRAFT_DECISIONS, OUTBOX_ROLES, NotVisible, decide_draft, list_drafts
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
