"""POST /api/offers: a person proposes an offer; the policy routes it into the approvals queue."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from api.deps import ApiUser, Clock, Db, Policy
from approvals.queue import ACCOUNT, Actor, OfferError, submit
from approvals.terms import OfferKind

router = APIRouter(prefix="/api/offers", tags=["offers"])


class OfferIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    account: str = Field(description="The account's external id.")
    contract_id: int | None = None
    kind: OfferKind
    terms: dict[str, Any] = Field(default_factory=dict)
    rationale: str = Field(min_length=1, max_length=4000)
    evidence: list[str] = Field(default_factory=list, max_length=50)


@router.post("", status_code=201)
def propose(body: OfferIn, user: ApiUser, engine: Db, policy: Policy, clock: Clock) -> dict[str, Any]:
    with engine.begin() as conn:
        account = conn.execute(
            select(ACCOUNT.c.id, ACCOUNT.c.owner_csm).where(ACCOUNT.c.external_id == body.account)
        ).first()
        if account is None or (user.role == "csm" and account.owner_csm != user.email):
            raise HTTPException(404, f"account: no account {body.account!r} you can see")
        try:
            submitted = submit(
                conn,
                policy,
                account_id=account.id,
                contract_id=body.contract_id,
                kind=body.kind,
                terms=body.terms,
                requester=Actor(user.username, "person", user.role, user.id),
                rationale=body.rationale,
                evidence=body.evidence,
                now=clock(),
            )
        except OfferError as exc:
            raise HTTPException(422, str(exc)) from None
    return {**submitted.__dict__}
