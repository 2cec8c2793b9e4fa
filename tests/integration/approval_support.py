"""People, offers and clocks for the approvals suites, built through the product's own paths."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Engine

from approvals.policy import load_policy
from approvals.queue import ACCOUNT, Actor, Submitted, submit
from core.config_files import shipped_policy
from core.identity import User, add_user, create_token
from tests.integration.helpers import seed_small_book

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
POLICY = load_policy(shipped_policy("approvals.yaml"))  # the default that ships, whatever a team keeps
PASSWORD = "correct horse battery"
ROLES = ("csm", "cs_manager", "ae", "finance", "legal", "cro", "admin")


def book_with_people(engine: Engine, *, accounts: int = 8, extra: dict[str, int] | None = None) -> dict[str, User]:
    """A small book and one user per role (``csm`` owns the first CSM's accounts); ``extra`` adds more per role."""
    seed_small_book(engine, accounts=accounts)
    people: dict[str, User] = {}
    with engine.begin() as conn:
        owner = conn.execute(select(ACCOUNT.c.owner_csm).order_by(ACCOUNT.c.id).limit(1)).scalar_one()
        for role in ROLES:
            email = owner if role == "csm" else f"{role}@example.test"
            people[role] = add_user(
                conn, username=role.replace("_", "-"), role=role, email=email, password=PASSWORD, now=NOW
            )
        for role, count in (extra or {}).items():
            for n in range(count):
                name = f"{role.replace('_', '-')}-{n}"
                people[name] = add_user(
                    conn, username=name, role=role, email=f"{name}@example.test", password=PASSWORD, now=NOW
                )
    return people


def actor(user: User) -> Actor:
    return Actor(user.username, "person", user.role, user.id)


def account_ids(engine: Engine, *, owner: str | None = None) -> list[int]:
    query = select(ACCOUNT.c.id).order_by(ACCOUNT.c.id)
    if owner is not None:
        query = query.where(ACCOUNT.c.owner_csm == owner)
    with engine.connect() as conn:
        return list(conn.execute(query).scalars())


def propose(
    engine: Engine,
    account_id: int,
    terms: dict[str, Any],
    *,
    by: User | Actor,
    kind: str = "discount",
    now: datetime = NOW,
) -> Submitted:
    requester = by if isinstance(by, Actor) else actor(by)
    with engine.begin() as conn:
        return submit(
            conn,
            POLICY,
            account_id=account_id,
            kind=kind,
            terms=terms,
            requester=requester,
            rationale="Renewal at risk after the champion left",
            evidence=["alert:champion_departure"],
            now=now,
        )


def token_for(engine: Engine, user: User) -> str:
    with engine.begin() as conn:
        return create_token(conn, user, name="tests", now=NOW)[0]
