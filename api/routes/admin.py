"""Admin-only API: revoke a token, deactivate a user. Each takes effect on the very next request and is audited."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request, status

from api.admin_models import DeactivateRequest, TokenRevoked, UserDeactivated
from api.bounds import TokenId, Username
from api.deps import ApiUser, Clock, Db
from api.models import SIGNED_IN, Problem
from api.strict_json import StrictJsonRoute
from core.identity import User
from core.user_admin import NotFound, deactivate, revoke, token_id_of

ADMIN_ONLY = {**SIGNED_IN, 403: {"model": Problem, "description": "Only an admin may do this."}}
NOT_FOUND = {404: {"model": Problem}}


def admin_user(user: ApiUser) -> User:
    if user.role != "admin":
        raise HTTPException(status.HTTP_403_FORBIDDEN, f"only an admin may do this; you are {user.role}")
    return user


Admin = Annotated[User, Depends(admin_user)]
router = APIRouter(prefix="/api", tags=["admin"], responses=ADMIN_ONLY, route_class=StrictJsonRoute)


@router.post(
    "/tokens/{token_id}/revoke",
    responses={**NOT_FOUND, 409: {"model": Problem, "description": "The token this request uses."}},
)
def revoke_token(request: Request, token_id: TokenId, admin: Admin, engine: Db, clock: Clock) -> TokenRevoked:
    """Not the token this request came with: revoke it from the command line or with another admin's token."""
    presented = request.headers.get("authorization", "").partition(" ")[2].strip()
    try:
        with engine.begin() as conn:
            if token_id_of(conn, presented) == token_id:
                raise HTTPException(409, "you cannot revoke the token this request uses; use another token or the CLI")
            done = revoke(conn, token_id, now=clock(), by=admin.username)
    except NotFound as exc:
        raise HTTPException(404, str(exc)) from None
    return TokenRevoked(id=done.token_id, changed=done.changed, revoked_at=done.revoked_at)


@router.post(
    "/users/{username}/deactivate",
    responses={**NOT_FOUND, 409: {"model": Problem, "description": "An admin cannot deactivate themselves."}},
)
def deactivate_user(
    username: Username,
    body: DeactivateRequest,
    admin: Admin,
    engine: Db,
    clock: Clock,
) -> UserDeactivated:
    """An admin cannot lock themselves out here (another admin, or `watchtower users deactivate`, can)."""
    if username == admin.username:
        raise HTTPException(409, "you cannot deactivate yourself; ask another admin or use the command line")
    try:
        with engine.begin() as conn:
            done = deactivate(conn, username, now=clock(), by=admin.username, reason=body.reason)
    except NotFound as exc:
        raise HTTPException(404, str(exc)) from None
    return UserDeactivated(
        username=done.username,
        changed=done.changed,
        tokens_revoked=done.tokens_revoked,
        sessions_ended=done.sessions_ended,
    )
