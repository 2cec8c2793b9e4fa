"""POST /api/copilot/{account}/messages: ask the copilot about one account, as JSON or as server-sent events."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import StreamingResponse

from agents.copilot.schema import CopilotAnswer
from api.copilot_door import CopilotDep, as_of_default, reach
from api.copilot_models import AccountKey, CopilotQuestion, CopilotStreamEvent
from api.deps import ApiUser, AppSettings, Clock, Db
from api.models import SIGNED_IN, Problem
from api.sse import HEADERS, MEDIA_TYPE, answer_events
from api.strict_json import StrictJsonRoute

router = APIRouter(prefix="/api/copilot", tags=["copilot"], responses=SIGNED_IN, route_class=StrictJsonRoute)

STREAM_DESCRIPTION = (
    'With `Accept: text/event-stream` or `?stream=true`: `event: delta` events whose data is `{"text": ...}`, '
    "one per piece of the answer, then `event: answer` with the whole answer as JSON, then `event: done`. "
    'A failure after the stream started is an `event: error` with `{"detail": ...}`.'
)


def _wants_stream(request: Request, stream: bool) -> bool:
    return stream or MEDIA_TYPE in request.headers.get("accept", "")


@router.post(
    "/{account}/messages",
    response_model=CopilotAnswer,
    responses={
        200: {
            "content": {MEDIA_TYPE: {"schema": CopilotStreamEvent.model_json_schema()}},
            "description": STREAM_DESCRIPTION,
        },
        404: {"model": Problem, "description": "No such account you can reach."},
    },
)
def ask_copilot(
    request: Request,
    account: AccountKey,
    body: CopilotQuestion,
    user: ApiUser,
    engine: Db,
    settings: AppSettings,
    clock: Clock,
    copilot: CopilotDep,
    stream: Annotated[bool, Query(description="Stream server-sent events (as `Accept: text/event-stream`).")] = False,
) -> CopilotAnswer | StreamingResponse:
    """The copilot's answer about the account, each claim cited to a stored source of that account."""
    ref = reach(engine, user, account)
    if ref is None:
        raise HTTPException(404, f"account: no account {account!r} you can reach")
    as_of = body.as_of or as_of_default(settings, clock())
    if _wants_stream(request, stream):
        pieces = copilot.stream(user=user, account=ref.external_id, question=body.question, as_of=as_of)
        return StreamingResponse(answer_events(pieces, account=ref.external_id), media_type=MEDIA_TYPE, headers=HEADERS)
    return copilot.ask(user=user, account=ref.external_id, question=body.question, as_of=as_of)
