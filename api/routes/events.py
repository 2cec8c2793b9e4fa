"""POST /events: usage and market-signal events, validated like an import, all or nothing per batch."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query

from api.deps import ApiUser, Db
from api.models import SIGNED_IN, EventBatch, EventsAccepted, Problem
from api.problems import import_rejected
from api.strict_json import StrictJsonRoute
from sources.errors import ImportFailed
from sources.events import ingest_events

router = APIRouter(tags=["events"], responses=SIGNED_IN, route_class=StrictJsonRoute)


@router.post("/events", status_code=202, responses={403: {"model": Problem, "description": "Not an admin token."}})
def post_events(
    body: EventBatch,
    user: ApiUser,
    engine: Db,
    clear_empty: Annotated[
        bool,
        Query(
            description="A null field clears the stored value. Without it an event changes only the fields it "
            "carries with a value: absent and null fields keep what is stored."
        ),
    ] = False,
) -> EventsAccepted:
    """Integrations post with an admin's token: events write source data for every account, so a person's
    own role (a CSM's, say) does not cover them."""
    if user.role != "admin":
        raise HTTPException(403, f"posting events needs an admin token (integrations); {user.username} is {user.role}")
    try:
        result = ingest_events(
            engine, body.events, kind=body.type, source=f"POST /events ({user.username})", clear_empty=clear_empty
        )
    except ImportFailed as exc:
        raise import_rejected(exc.errors, field="events") from None
    return EventsAccepted(
        rows=result.rows, inserted=result.inserted, updated=result.updated, unchanged=result.unchanged
    )
