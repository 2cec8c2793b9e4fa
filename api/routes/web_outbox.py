"""The outbox page: customer emails waiting for a person, a page at a time, each approved or discarded there."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from actions.outbox import OutboxError
from api.deps import Clock, Db, FormUser, Paging, WebSession
from api.pages import back, page, paged
from api.services import DRAFT_DECISIONS, OUTBOX_ROLES, NotVisible, decide_draft, list_drafts

router = APIRouter(include_in_schema=False)


@router.get("/outbox")
def outbox_page(request: Request, engine: Db, session: WebSession, params: Paging) -> HTMLResponse:
    user, csrf = session
    with engine.connect() as conn:
        messages, pager = paged(
            "/outbox", params, lambda limit, offset: list_drafts(conn, user=user, limit=limit, offset=offset)
        )
    return page(
        request,
        "outbox.html",
        user=user,
        csrf=csrf,
        messages=messages,
        pager=pager,
        can_approve=user.role in OUTBOX_ROLES,
    )


@router.post("/outbox/{message_id}/decision")
def outbox_decision(
    request: Request,
    message_id: int,
    engine: Db,
    clock: Clock,
    user: FormUser,
    decision: Annotated[str, Form()],
    reason: Annotated[str, Form()] = "",
    back_to: Annotated[str, Form(alias="back")] = "/outbox",
) -> Response:
    """Back to the page the message was on, whichever page of the outbox that is."""
    try:
        decide_draft(engine, user=user, message_id=message_id, decision=decision, reason=reason, now=clock())
    except (NotVisible, OutboxError) as exc:
        return back(request, back_to, error=str(exc))
    return back(request, back_to, message=f"Message {message_id}: {DRAFT_DECISIONS[decision]}")
