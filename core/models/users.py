"""People who use Watchtower, their API tokens and their web sessions.

Secrets are never stored: tokens and session ids are kept as SHA-256 digests
(they are long random strings, so a plain digest is enough), passwords as
scrypt hashes with a per-user salt.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel


class AppUser(SQLModel, table=True):
    """One person with one role; a CSM's ``email`` is what accounts name as ``owner_csm``."""

    __tablename__ = "app_user"

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=64, unique=True)
    display_name: str = Field(max_length=255)
    email: str | None = Field(default=None, max_length=255, index=True)
    role: str = Field(max_length=16)
    password_hash: str | None = Field(default=None, max_length=255)
    active: bool = True
    created_at: datetime


class ApiToken(SQLModel, table=True):
    """A bearer token for the API; ``prefix`` identifies it in lists without revealing it."""

    __tablename__ = "api_token"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="app_user.id", index=True, ondelete="CASCADE")
    name: str = Field(max_length=128)
    prefix: str = Field(max_length=16)
    token_hash: str = Field(max_length=64, unique=True)
    created_at: datetime
    expires_at: datetime | None = None
    last_used_at: datetime | None = None
    revoked_at: datetime | None = None


class WebSession(SQLModel, table=True):
    """A signed-in browser; the CSRF token travels in each form and must match the session's."""

    __tablename__ = "web_session"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="app_user.id", index=True, ondelete="CASCADE")
    session_hash: str = Field(max_length=64, unique=True)
    csrf_token: str = Field(max_length=64)
    created_at: datetime
    expires_at: datetime


class LoginThrottle(SQLModel, table=True):
    """Failed sign-ins counted per key (``user:<name>`` or ``address:<ip>``), in the database so every worker
    process sees the same count; ``lockouts`` in a row is what the backoff grows with."""

    __tablename__ = "login_throttle"

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=200, unique=True)
    failures: int = 0
    last_failure_at: datetime | None = None
    lockouts: int = 0
    locked_until: datetime | None = None
