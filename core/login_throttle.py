"""Failed sign-ins counted per username from one address, per username from anywhere and per client address,
with a lockout that doubles while it recurs.

A few failures lock a username only for the address that made them, so a stranger
who knows an approver's name cannot lock the approver out; many failures from
many addresses (a distributed guess) lock the username everywhere, and many
failures from one address across names (password spraying) lock the address.

The counts live in the database, not in the process, so every worker behind a
load balancer and every restart see the same numbers. Usernames are counted
whether or not they exist: a lockout that only real users could reach would
tell an attacker which names are real. While a key is locked the password is
not even checked, so a correct guess during a lockout teaches nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator
from sqlalchemy import Connection, Row, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from core.audit import record
from core.config_errors import load_yaml_model
from core.config_files import policy_path
from core.identity import login
from core.models import LoginThrottle

THROTTLE = LoginThrottle.__table__  # type: ignore[attr-defined]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class KeyLimit(_Strict):
    max_failures: int = Field(ge=1, le=1000)


class LoginPolicy(_Strict):
    user_address: KeyLimit = KeyLimit(max_failures=5)
    user: KeyLimit = KeyLimit(max_failures=50)
    address: KeyLimit = KeyLimit(max_failures=20)
    window_seconds: int = Field(900, ge=1)
    lockout_seconds: int = Field(60, ge=1)
    lockout_max_seconds: int = Field(3600, ge=1)

    @model_validator(mode="after")
    def _cap_not_below_first_lockout(self) -> LoginPolicy:
        if self.lockout_max_seconds < self.lockout_seconds:
            raise ValueError(
                f"lockout_max_seconds ({self.lockout_max_seconds}) must not be below "
                f"lockout_seconds ({self.lockout_seconds})"
            )
        return self

    def lockout(self, in_a_row: int) -> timedelta:
        return timedelta(seconds=min(self.lockout_max_seconds, self.lockout_seconds * 2 ** min(in_a_row - 1, 32)))


class SecurityPolicy(_Strict):
    version: str = Field(min_length=1)
    login: LoginPolicy = LoginPolicy()


def load_security_policy(path: Path | None = None, *, directory: Path | None = None) -> SecurityPolicy:
    """``path`` for one run, else the team's ``security.yaml``, else the shipped default."""
    return load_yaml_model(policy_path("security.yaml", path, directory=directory), SecurityPolicy)


def load_login_policy(path: Path | None = None) -> LoginPolicy:
    return load_security_policy(path).login


@dataclass(frozen=True)
class Attempt:
    """Who is signing in, as the throttle counts them."""

    username: str
    address: str

    @property
    def keys(self) -> tuple[tuple[str, str], ...]:
        user, address = self.username.lower()[:64], self.address[:64]
        return (
            ("user_address", f"user_address:{user}@{address}"),
            ("user", f"user:{user}"),
            ("address", f"address:{address}"),
        )


def retry_after(conn: Connection, attempt: Attempt, *, now: datetime) -> int | None:
    """Seconds until the latest lockout on any of the attempt's keys ends; None when none is locked."""
    until = conn.execute(
        select(THROTTLE.c.locked_until).where(
            THROTTLE.c.key.in_([key for _, key in attempt.keys]), THROTTLE.c.locked_until > now
        )
    ).scalars()
    latest = max(until, default=None)
    return None if latest is None else max(1, int((latest - now).total_seconds() + 0.999))


def failed(conn: Connection, attempt: Attempt, policy: LoginPolicy, *, now: datetime) -> int | None:
    """Count one failure on each key; a key that reaches its limit is locked (and audited). Returns the
    seconds until the attempt may be tried again when this failure locked a key, else None."""
    locked: list[int] = []
    for kind, key in attempt.keys:
        limit: KeyLimit = getattr(policy, kind)
        row = _row(conn, key)
        # The window runs from the last failure or the end of the last lockout, whichever is later, so
        # the lockouts in a row (and the backoff) only start over after a quiet window.
        last = max((t for t in (row.last_failure_at, row.locked_until) if t is not None), default=None)
        quiet = last is None or now - last > timedelta(seconds=policy.window_seconds)
        failures = 1 if quiet else row.failures + 1
        lockouts = 0 if quiet else row.lockouts
        values: dict[str, object] = {"failures": failures, "last_failure_at": now, "lockouts": lockouts}
        if failures >= limit.max_failures:
            lockouts += 1
            until = now + policy.lockout(lockouts)
            values.update(failures=0, lockouts=lockouts, locked_until=until)
            record(
                conn,
                at=now,
                actor="login-throttle",
                actor_kind="system",
                action="lockout",
                entity="login_throttle",
                entity_id=row.id,
                after={"key": key, "failures": failures, "lockouts_in_row": lockouts, "locked_until": until},
                reason=f"{failures} failed sign-ins in a row",
            )
            locked.append(int((until - now).total_seconds()))
        conn.execute(update(THROTTLE).where(THROTTLE.c.id == row.id).values(**values))
    return max(locked, default=None)


def succeeded(conn: Connection, attempt: Attempt) -> None:
    """A right password clears the username's counts; the address keeps its own (one good sign-in from an
    address must not reset the count of the guesses it made at other names)."""
    conn.execute(delete(THROTTLE).where(THROTTLE.c.key.in_([attempt.keys[0][1], attempt.keys[1][1]])))


def _row(conn: Connection, key: str) -> Row[Any]:
    """The key's row, created on first use; locked for update where the backend can, so two workers
    counting the same key at once both count."""
    query = select(THROTTLE).where(THROTTLE.c.key == key).with_for_update()
    row = conn.execute(query).first()
    if row is None:
        try:
            with conn.begin_nested():
                conn.execute(insert(THROTTLE).values(key=key, failures=0, lockouts=0))
        except IntegrityError:
            pass  # another worker created it first
        row = conn.execute(query).one()
    return row


@dataclass(frozen=True)
class SignIn:
    """A session id for a right password; else, when the attempt is or just became locked, how long to wait."""

    session: str | None
    retry_after: int | None = None


def sign_in(conn: Connection, attempt: Attempt, password: str, policy: LoginPolicy, *, now: datetime) -> SignIn:
    """One throttled sign-in in the caller's transaction: refused unchecked while locked, counted when wrong."""
    wait = retry_after(conn, attempt, now=now)
    if wait is not None:
        return SignIn(None, wait)
    found = login(conn, attempt.username, password, now=now)
    if found is None:
        return SignIn(None, failed(conn, attempt, policy, now=now))
    succeeded(conn, attempt)
    return SignIn(found[0])
