"""Users, API tokens and web sessions: creating them and telling who a request comes from.

Tokens and session ids are 256-bit random strings shown once; only their
SHA-256 digests are stored, so a copy of the database lets nobody in.
Passwords (for the web login) are scrypt hashes with a per-user salt. Every
user has exactly one role, from the roles the approval policy names.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from sqlalchemy import Connection, delete, insert, select, update

from core.audit import record
from core.models import ApiToken, AppUser, WebSession

#: The roles a user can hold; the approval policy names which of them approve what.
Role = Literal["csm", "cs_manager", "ae", "finance", "legal", "cro", "admin"]
ROLES: tuple[str, ...] = Role.__args__  # type: ignore[attr-defined]

USER = AppUser.__table__  # type: ignore[attr-defined]
TOKEN = ApiToken.__table__  # type: ignore[attr-defined]
SESSION = WebSession.__table__  # type: ignore[attr-defined]
TOKEN_PREFIX = "wt_"
SESSION_DAYS = 7
_SCRYPT = {"n": 2**14, "r": 8, "p": 1}
USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
#: A well-formed hash no password matches: what an unknown user's password is checked against, so signing in
#: as nobody runs the same single scrypt as signing in as somebody.
_STAND_IN = "scrypt$" + "00" * 16 + "$" + "00" * 32


class IdentityError(ValueError):
    """A user or token that cannot be created as asked; the message says why."""


@dataclass(frozen=True)
class User:
    id: int
    username: str
    display_name: str
    email: str | None
    role: str


def token_digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    key = hashlib.scrypt(password.encode(), salt=salt, dklen=32, **_SCRYPT)
    return f"scrypt${salt.hex()}${key.hex()}"


def verify_password(password: str, stored: str | None) -> bool:
    """Always one scrypt run, whatever ``stored`` is: a missing or unreadable hash is checked against a
    stand-in and refused, so a user without a password costs what a user with one costs."""
    usable = bool(stored) and stored.startswith("scrypt$") and stored.count("$") == 2  # type: ignore[union-attr]
    _, salt, key = (stored if usable else _STAND_IN).split("$")  # type: ignore[union-attr]
    got = hashlib.scrypt(password.encode(), salt=bytes.fromhex(salt), dklen=32, **_SCRYPT)
    return hmac.compare_digest(got.hex(), key) and usable


def _user(row: object) -> User:
    return User(row.id, row.username, row.display_name, row.email, row.role)  # type: ignore[attr-defined]


def add_user(
    conn: Connection,
    *,
    username: str,
    role: str,
    now: datetime,
    display_name: str | None = None,
    email: str | None = None,
    password: str | None = None,
    by: str = "cli",
) -> User:
    if not USERNAME.match(username):
        raise IdentityError("username: 2-64 lowercase letters, digits, dots, dashes or underscores")
    if role not in ROLES:
        raise IdentityError(f"role: {role!r} is not one of {', '.join(ROLES)}")
    if role == "csm" and not email:
        raise IdentityError("email: a CSM needs the address accounts name as their owner_csm")
    if password is not None and len(password) < 8:
        raise IdentityError("password: at least 8 characters")
    if conn.execute(select(USER.c.id).where(USER.c.username == username)).first() is not None:
        raise IdentityError(f"username: {username} already exists")
    user_id = conn.execute(
        insert(USER)
        .values(
            username=username,
            display_name=display_name or username,
            email=email,
            role=role,
            password_hash=hash_password(password) if password else None,
            active=True,
            created_at=now,
        )
        .returning(USER.c.id)
    ).scalar_one()
    record(
        conn,
        at=now,
        actor=by,
        actor_kind="person",
        action="create",
        entity="user",
        entity_id=user_id,
        after={"username": username, "role": role, "email": email},
    )
    return User(user_id, username, display_name or username, email, role)


def find_user(conn: Connection, username: str) -> User | None:
    row = conn.execute(select(USER).where(USER.c.username == username, USER.c.active.is_(True))).first()
    return _user(row) if row else None


def list_users(conn: Connection) -> list[tuple[User, bool]]:
    rows = conn.execute(select(USER).order_by(USER.c.role, USER.c.username)).all()
    return [(_user(r), r.active) for r in rows]


def create_token(
    conn: Connection, user: User, *, name: str, now: datetime, expires_days: int | None = None
) -> tuple[str, int]:
    """Returns the token (shown once) and its id."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token_id = conn.execute(
        insert(TOKEN)
        .values(
            user_id=user.id,
            name=name,
            prefix=token[:10],
            token_hash=token_digest(token),
            created_at=now,
            expires_at=now + timedelta(days=expires_days) if expires_days else None,
        )
        .returning(TOKEN.c.id)
    ).scalar_one()
    record(
        conn,
        at=now,
        actor=user.username,
        actor_kind="person",
        action="create",
        entity="token",
        entity_id=token_id,
        after={"user": user.username, "name": name, "prefix": token[:10]},
    )
    return token, token_id


def user_for_token(conn: Connection, token: str, *, now: datetime) -> User | None:
    row = conn.execute(
        select(USER, TOKEN.c.id.label("token_id"), TOKEN.c.expires_at, TOKEN.c.revoked_at, TOKEN.c.last_used_at)
        .join(TOKEN, TOKEN.c.user_id == USER.c.id)
        .where(TOKEN.c.token_hash == token_digest(token), USER.c.active.is_(True))
    ).first()
    if row is None or row.revoked_at is not None or (row.expires_at is not None and row.expires_at <= now):
        return None
    # Written at most once an hour per token, so reads stay reads under load.
    if row.last_used_at is None or now - row.last_used_at > timedelta(hours=1):
        conn.execute(update(TOKEN).where(TOKEN.c.id == row.token_id).values(last_used_at=now))
    return _user(row)


def login(conn: Connection, username: str, password: str, *, now: datetime) -> tuple[str, User] | None:
    """A new session id for the right password, or None (the same for an unknown user and a wrong password)."""
    row = conn.execute(select(USER).where(USER.c.username == username, USER.c.active.is_(True))).first()
    if not verify_password(password, row.password_hash if row is not None else None) or row is None:
        return None
    session = secrets.token_urlsafe(32)
    conn.execute(delete(SESSION).where(SESSION.c.expires_at <= now))
    conn.execute(
        insert(SESSION).values(
            user_id=row.id,
            session_hash=token_digest(session),
            csrf_token=secrets.token_urlsafe(24),
            created_at=now,
            expires_at=now + timedelta(days=SESSION_DAYS),
        )
    )
    return session, _user(row)


def session_user(conn: Connection, session: str, *, now: datetime) -> tuple[User, str] | None:
    """The user and the session's CSRF token, for a live session."""
    row = conn.execute(
        select(USER, SESSION.c.csrf_token, SESSION.c.expires_at)
        .join(SESSION, SESSION.c.user_id == USER.c.id)
        .where(SESSION.c.session_hash == token_digest(session), USER.c.active.is_(True))
    ).first()
    if row is None or row.expires_at <= now:
        return None
    return _user(row), row.csrf_token


def logout(conn: Connection, session: str) -> None:
    conn.execute(delete(SESSION).where(SESSION.c.session_hash == token_digest(session)))
