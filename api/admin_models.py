"""Bodies of the admin routes (revoke a token, deactivate a user), kept beside ``api.models`` in the same style."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from api.bounds import PlainText


class DeactivateRequest(BaseModel):
    reason: PlainText = Field(min_length=1, max_length=1000, description="Why, for the audit trail.")


class TokenRevoked(BaseModel):
    id: int
    changed: bool = Field(description="False when the token was already revoked; repeating the call is safe.")
    revoked_at: datetime


class UserDeactivated(BaseModel):
    username: str
    changed: bool = Field(description="False when the user was already inactive with nothing left to revoke.")
    tokens_revoked: int
    sessions_ended: int
