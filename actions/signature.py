"""Whose name signs a draft: the sending CSM's name as their user record gives it.

A customer reads "Best regards, Csm01" as a machine wrote it; the name a person
gave themselves (``watchtower users add --name``) is how they sign their own
mail. Without a user record for the address, the name is read from the address.
"""

from __future__ import annotations

from sqlalchemy import Connection, func, select

from core.models import AppUser

USER = AppUser.__table__  # type: ignore[attr-defined]


def sender_name(conn: Connection, email: str | None) -> str | None:
    """The display name of the active user with this email (the first added, if several), else None."""
    if not email:
        return None
    return conn.execute(
        select(USER.c.display_name)
        .where(func.lower(USER.c.email) == email.lower(), USER.c.active.is_(True))
        .order_by(USER.c.id)
        .limit(1)
    ).scalar()
