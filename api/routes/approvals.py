"""GET /api/approvals, GET /api/approvals/{id}, POST /api/approvals/{id}/decision."""

from __future__ import annotations

import logging
from typing import Annotated, Any

from fastapi import APIRouter, Body, HTTPException, Query, status
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError

from agents.resume import resume_settled
from api.deps import ApiUser, AppSettings, Clock, Db, Policy
from approvals.decisions import DecisionError, decide
from approvals.policy import ApprovalPolicy
from approvals.queue import Actor
from approvals.views import STATUSES, approval_detail, is_visible, list_approvals
from core.identity import ROLES, User
from core.settings import Settings

router = APIRouter(prefix="/api/approvals", tags=["approvals"])
log = logging.getLogger(__name__)


@router.get("")
def queue(
    user: ApiUser,
    engine: Db,
    status_: Annotated[str | None, Query(alias="status", description=f"one of {', '.join(STATUSES)}")] = None,
    role: Annotated[str | None, Query(description="approvals an open group of this role may decide now")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> dict[str, Any]:
    if status_ is not None and status_ not in STATUSES:
        raise HTTPException(422, f"status must be one of {', '.join(STATUSES)}")
    if role is not None and role not in ROLES:
        raise HTTPException(422, f"role must be one of {', '.join(ROLES)}")
    with engine.connect() as conn:
        items, total = list_approvals(conn, user, status=status_, role=role, limit=limit, offset=offset)
    return {"items": items, "total": total, "limit": limit, "offset": offset}


@router.get("/{approval_id}")
def detail(approval_id: int, user: ApiUser, engine: Db) -> dict[str, Any]:
    with engine.connect() as conn:
        found = approval_detail(conn, user, approval_id)
    if found is None:
        raise HTTPException(404, f"no approval {approval_id} you can see")
    return found


def settle(
    engine: Engine,
    settings: Settings,
    policy: ApprovalPolicy,
    user: User,
    approval_id: int,
    decision: dict[str, Any],
    *,
    now: Any,
    expected_version: int | None,
) -> dict[str, Any]:
    """Decide in one transaction, then resume the paused agent run if the decision settled the offer."""
    with engine.connect() as conn:
        if not is_visible(conn, user, approval_id):
            raise HTTPException(404, f"no approval {approval_id} you can see")
    actor = Actor(user.username, "person", user.role, user.id)
    try:
        with engine.begin() as conn:
            outcome = decide(conn, policy, approval_id, actor, decision, now=now, expected_version=expected_version)
    except DecisionError as exc:
        raise HTTPException(exc.status, str(exc)) from None
    except OperationalError as exc:  # SQLite: another decision held the write lock past the busy timeout
        if "locked" not in str(exc):
            raise
        raise HTTPException(409, f"approval {approval_id} was being decided by someone else; reload it") from None
    resumed: list[int] = []
    if outcome.settled:
        try:
            resumed = resume_settled(engine, settings.database_url, policy, now=now, approval_ids=[approval_id])
        except Exception:  # the decision stands; the serve loop resumes the run on its next tick
            log.exception("resuming the run paused on approval %s failed; it will be retried", approval_id)
    return {**outcome.__dict__, "resumed": bool(resumed)}


@router.post("/{approval_id}/decision")
def decision(
    approval_id: int,
    user: ApiUser,
    engine: Db,
    settings: AppSettings,
    policy: Policy,
    clock: Clock,
    body: Annotated[dict[str, Any], Body(examples=[{"decision": "approve", "reason": "within guidance"}])],
) -> dict[str, Any]:
    """Body: ``decision`` (approve | edit | reject), ``reason``, ``terms`` for edit, and optionally the
    ``version`` you read, to be refused with 409 if someone decided in between."""
    body = dict(body)
    version = body.pop("version", None)
    if version is not None and not isinstance(version, int):
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, "version must be the integer you read")
    return settle(engine, settings, policy, user, approval_id, body, now=clock(), expected_version=version)
