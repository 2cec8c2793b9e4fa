"""`--owner EMAIL` and `--mine` on every list: a CSM's own book, named by the email accounts carry as owner_csm.

The other options every list shares (`--account`, `--limit`) and the opening every list command makes (the
context, the schema check, the owner) are here too, so the lists cannot drift apart.

The person behind `--mine` is configured once, as WATCHTOWER_USER (the environment or `.env`): an email, or the
username of someone added with `watchtower users add`, whose email is then used.
"""

from __future__ import annotations

from typing import Annotated

import typer
from sqlalchemy import select
from sqlalchemy.engine import Engine

from cli.context import AppContext, CliError, app_context
from cli.guards import require_schema

OwnerOption = Annotated[
    str | None, typer.Option("--owner", help="Only accounts whose owner (owner_csm) is this email.", show_default=False)
]
MineOption = Annotated[
    bool, typer.Option("--mine", help="Only your accounts: the person set in WATCHTOWER_USER (an email or username).")
]

AccountOption = Annotated[str | None, typer.Option("--account", help="One account's external id.")]
#: A list's page size; each command keeps its own default beside the parameter.
LimitOption = Annotated[int, typer.Option("--limit", min=1)]


def email_of(engine: Engine, user: str) -> str:
    """An email as given; a username becomes its user record's email."""
    if "@" in user:
        return user
    from core.identity import USER

    with engine.connect() as conn:
        email = conn.execute(select(USER.c.email).where(USER.c.username == user)).scalar_one_or_none()
    if not email:
        raise CliError(
            f"WATCHTOWER_USER is {user!r}: no user by that name with an email",
            "set WATCHTOWER_USER to your email, or add yourself: watchtower users add NAME --role csm --email EMAIL",
        )
    return str(email)


def owner_filter(app: AppContext, owner: str | None, mine: bool) -> str | None:
    """The owner email to filter by, or None for every account."""
    if owner is not None and mine:
        raise CliError("--owner and --mine both name an owner", "use one of them")
    if owner is not None:
        owner = owner.strip()
        if "@" not in owner:
            raise CliError(f"--owner must be an email (the accounts' owner_csm), got {owner!r}")
        return owner
    if not mine:
        return None
    if not app.settings.user:
        raise CliError("--mine needs to know who you are", "set WATCHTOWER_USER=you@company.com (or put it in .env)")
    return email_of(app.engine, app.settings.user)


def for_owner(owner: str | None) -> str:
    """The tail of an empty-list message: ' for owner x@y' or nothing."""
    return f" for owner {owner}" if owner else ""


def list_context(ctx: typer.Context, owner: str | None, mine: bool) -> tuple[AppContext, str | None]:
    """The app context of a list command, with its schema checked, and the owner email it filters by (None:
    every account)."""
    app = app_context(ctx)
    require_schema(app.engine)
    return app, owner_filter(app, owner, mine)
