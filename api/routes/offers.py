"""POST /api/offers (a person proposes; the policy routes it into the queue), GET /api/offers, GET /api/offers/{id}."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query

from api.bounds import OfferId
from api.deps import ApiUser, Clock, Db, Paging, Policy
from api.models import SIGNED_IN, OfferCreate, OfferPublic, OffersPublic, OfferSubmitted, Problem
from api.problems import unprocessable
from api.services import NotVisible, propose_offer
from api.strict_json import StrictJsonRoute
from approvals.queue import OfferError
from approvals.views import OfferStatus, list_offers, offer_detail

router = APIRouter(prefix="/api/offers", tags=["offers"], responses=SIGNED_IN, route_class=StrictJsonRoute)


@router.post("", status_code=201, responses={404: {"model": Problem, "description": "No such account you can see."}})
def create_offer(body: OfferCreate, user: ApiUser, engine: Db, policy: Policy, clock: Clock) -> OfferSubmitted:
    try:
        return propose_offer(engine, policy=policy, user=user, offer=body, now=clock())
    except NotVisible as exc:
        raise HTTPException(404, str(exc)) from None
    except OfferError as exc:
        raise unprocessable(str(exc)) from None


@router.get("")
def read_offers(
    user: ApiUser, engine: Db, page: Paging, status: Annotated[OfferStatus | None, Query()] = None
) -> OffersPublic:
    """The offers on the accounts you can see, newest first."""
    with engine.connect() as conn:
        items, total = list_offers(conn, user, status=status, limit=page.limit, offset=page.offset)
    return OffersPublic.model_validate({"items": items, "total": total, **page.model_dump()})


@router.get("/{offer_id}", responses={404: {"model": Problem}})
def read_offer(offer_id: OfferId, user: ApiUser, engine: Db) -> OfferPublic:
    with engine.connect() as conn:
        found = offer_detail(conn, user, offer_id)
    if found is None:
        raise HTTPException(404, f"no offer {offer_id} you can see")
    return OfferPublic.model_validate(found)
