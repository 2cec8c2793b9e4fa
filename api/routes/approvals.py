"""GET /api/approvals, GET /api/approvals/{id}, POST /api/approvals/{id}/decision."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, HTTPException, Query

from api.bounds import ApprovalId
from api.deps import ApiUser, AppSettings, Clock, Db, Paging, Policy
from api.models import SIGNED_IN, ApprovalDetail, ApprovalsPublic, DecisionOutcome, DecisionRequest, Problem
from api.problems import unprocessable
from api.services import settle_decision
from api.strict_json import StrictJsonRoute
from approvals.decisions import DecisionError
from approvals.views import ApprovalStatus, approval_detail, list_approvals
from core.identity import Role

router = APIRouter(prefix="/api/approvals", tags=["approvals"], responses=SIGNED_IN, route_class=StrictJsonRoute)


@router.get("")
def read_approvals(
    user: ApiUser,
    engine: Db,
    page: Paging,
    status: Annotated[ApprovalStatus | None, Query()] = None,
    role: Annotated[Role | None, Query(description="Approvals an open group of this role may decide now.")] = None,
) -> ApprovalsPublic:
    with engine.connect() as conn:
        items, total = list_approvals(conn, user, status=status, role=role, limit=page.limit, offset=page.offset)
    return ApprovalsPublic.model_validate({"items": items, "total": total, **page.model_dump()})


@router.get("/{approval_id}", responses={404: {"model": Problem}})
def read_approval(approval_id: ApprovalId, user: ApiUser, engine: Db) -> ApprovalDetail:
    with engine.connect() as conn:
        found = approval_detail(conn, user, approval_id)
    if found is None:
        raise HTTPException(404, f"no approval {approval_id} you can see")
    return ApprovalDetail.model_validate(found)


@router.post(
    "/{approval_id}/decision",
    responses={
        403: {"model": Problem, "description": "Your role may not decide this, or you proposed the offer."},
        404: {"model": Problem},
        409: {"model": Problem, "description": "Decided or changed since you read it, or not your turn yet."},
    },
)
def decide_approval(
    approval_id: ApprovalId,
    body: Annotated[
        DecisionRequest, Body(examples=[{"decision": "approve", "reason": "within guidance", "version": 1}])
    ],
    user: ApiUser,
    engine: Db,
    settings: AppSettings,
    policy: Policy,
    clock: Clock,
) -> DecisionOutcome:
    """Approve, edit (approve with changed terms, within what your role may change) or reject, with a reason.
    Send the ``version`` you read to be refused with 409 if someone decided in between."""
    try:
        return settle_decision(
            engine,
            settings=settings,
            policy=policy,
            user=user,
            approval_id=approval_id,
            decision=body.to_decision(),
            now=clock(),
            expected_version=body.version,
        )
    except DecisionError as exc:
        if exc.status == 422:
            raise unprocessable(str(exc)) from None
        raise HTTPException(exc.status, str(exc)) from None
