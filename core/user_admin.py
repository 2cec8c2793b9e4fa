"""Taking access away: revoking one API token, deactivating a person.

Both act on the rows every request checks (``user_for_token`` and
``session_user`` join on an active user and an unrevoked token), so the next
request of a revoked token or a deactivated person is refused; there is no
cache to wait out. Deactivating also revokes the person's tokens and ends their
web sessions, so reactivating someone later never brings an old token back.
Each change is one audit event in the same transaction as the change.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, delete, func, select, update

from core.audit import record
from core.identity import SESSION, TOKEN, USER, token_digest


class NotFound(LookupError):
    """No such token or user; the message names which."""


@dataclass(frozen=True)
class TokenRow:
    id: int
    username: str
    name: str
    prefix: str
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None
    revoked_at: datetime | None


@dataclass(frozen=True)
class Revoked:
    token_id: int
    #: False when the token was already revoked (the call is safe to repeat)
    changed: bool
    revoked_at: datetime


@dataclass(frozen=True)
class Deactivated:
    username: str
    #: False when the person was already inactive
    changed: bool
    tokens_revoked: int
    sessions_ended: int


def list_tokens(conn: Connection, *, username: str | None = None) -> list[TokenRow]:
    query = (
        select(TOKEN, USER.c.username).join(USER, USER.c.id == TOKEN.c.user_id).order_by(USER.c.username, TOKEN.c.id)
    )
    if username is not None:
        query = query.where(USER.c.username == username)
    return [
        TokenRow(r.id, r.username, r.name, r.prefix, r.created_at, r.expires_at, r.last_used_at, r.revoked_at)
        for r in conn.execute(query)
    ]


def token_id_of(conn: Connection, token: str) -> int | None:
    """The id of the token a request presented: an admin's API refuses to revoke the token it is using."""
    return conn.execute(select(TOKEN.c.id).where(TOKEN.c.token_hash == token_digest(token))).scalar()


def revoke(conn: Connection, token_id: int, *, now: datetime, by: str, reason: str | None = None) -> Revoked:
    row = conn.execute(
        select(TOKEN.c.prefix, TOKEN.c.name, TOKEN.c.revoked_at, USER.c.username)
        .join(USER, USER.c.id == TOKEN.c.user_id)
        .where(TOKEN.c.id == token_id)
    ).first()
    if row is None:
        raise NotFound(f"no token {token_id}")
    if row.revoked_at is not None:
        return Revoked(token_id, False, row.revoked_at)
    conn.execute(update(TOKEN).where(TOKEN.c.id == token_id).values(revoked_at=now))
    record(
        conn,
        at=now,
        actor=by,
        actor_kind="person",
        action="revoke",
        entity="token",
        entity_id=token_id,
        before={"revoked_at": None},
        after={"user": row.username, "name": row.name, "prefix": row.prefix, "revoked_at": now},
        reason=reason,
    )
    return Revoked(token_id, True, now)


def deactivate(conn: Connection, username: str, *, now: datetime, by: str, reason: str | None = None) -> Deactivated:
    row = conn.execute(select(USER.c.id, USER.c.active).where(USER.c.username == username)).first()
    if row is None:
        raise NotFound(f"no user {username!r}")
    live_tokens = (TOKEN.c.user_id == row.id) & TOKEN.c.revoked_at.is_(None)
    tokens = conn.execute(select(func.count()).where(live_tokens)).scalar_one()
    sessions = conn.execute(select(func.count()).where(SESSION.c.user_id == row.id)).scalar_one()
    if not row.active and not tokens and not sessions:
        return Deactivated(username, False, 0, 0)
    conn.execute(update(USER).where(USER.c.id == row.id).values(active=False))
    conn.execute(update(TOKEN).where(live_tokens).values(revoked_at=now))
    conn.execute(delete(SESSION).where(SESSION.c.user_id == row.id))
    record(
        conn,
        at=now,
        actor=by,
        actor_kind="person",
        action="deactivate",
        entity="user",
        entity_id=row.id,
        before={"active": row.active},
        after={"active": False, "tokens_revoked": tokens, "sessions_ended": sessions},
        reason=reason,
    )
    return Deactivated(username, True, tokens, sessions)
