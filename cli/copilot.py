"""`watchtower copilot`: ask about one account as a person sees it, once or in a conversation."""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from rich.markup import escape

from agents.copilot.schema import CopilotAnswer
from cli.context import AppContext, CliError, app_context, console, handle_errors
from cli.guards import require_schema
from core.identity import User, find_user

copilot_app = typer.Typer(help="Ask about one account: health, people, usage, renewals, offers.", no_args_is_help=True)

AsUser = Annotated[str, typer.Option("--as", help="Ask as this user; they see only the accounts they may reach.")]
AsOf = Annotated[str | None, typer.Option("--as-of", help="Answer as of this date (YYYY-MM-DD); default today.")]


def _user(app: AppContext, username: str) -> User:
    with app.engine.connect() as conn:
        user = find_user(conn, username)
    if user is None:
        raise CliError(f"no active user {username}", "add one with `watchtower users add`")
    return user


def _show(answer: CopilotAnswer) -> None:
    console.print(escape(answer.answer), highlight=False)
    if answer.citations:
        console.print("[dim]sources:[/]")
        for n, c in enumerate(answer.citations, start=1):
            console.print(f"[dim]  [{n}] {escape(c.source)} {escape(c.id)}: {escape(c.quote)}[/]", highlight=False)


@copilot_app.command("ask")
@handle_errors
def ask_command(
    ctx: typer.Context,
    account: Annotated[str, typer.Argument(help="The account's external id, e.g. ACC-00042.")],
    question: Annotated[str, typer.Argument(help="The question, in your own words.")],
    as_user: AsUser,
    as_json: Annotated[bool, typer.Option("--json", help="Print the answer as JSON (the answer schema).")] = False,
    as_of: AsOf = None,
) -> None:
    """Answer one question about one account, with the sources of every claim."""
    from agents.copilot.service import Copilot
    from knowledge_base.open import open_knowledge_base

    app = app_context(ctx)
    require_schema(app.engine)
    user = _user(app, as_user)
    day = app.as_of(as_of)
    with open_knowledge_base(app.settings) as kb, Copilot.open(app.settings, engine=app.engine, kb=kb) as copilot:
        answer = copilot.ask(user=user, account=account, question=question, as_of=day)
    if as_json:
        typer.echo(answer.model_dump_json(indent=2))
    else:
        _show(answer)


@copilot_app.command("chat")
@handle_errors
def chat_command(
    ctx: typer.Context,
    account: Annotated[str, typer.Argument(help="The account's external id, e.g. ACC-00042.")],
    as_user: AsUser,
    as_of: AsOf = None,
) -> None:
    """A conversation about one account: one question per line, until end of input (Ctrl-D)."""
    from agents.copilot.service import Copilot
    from knowledge_base.open import open_knowledge_base

    app = app_context(ctx)
    require_schema(app.engine)
    user = _user(app, as_user)
    day = app.as_of(as_of)
    with open_knowledge_base(app.settings) as kb, Copilot.open(app.settings, engine=app.engine, kb=kb) as copilot:
        while True:
            if sys.stdin.isatty():
                console.print("[bold]>[/] ", end="")
            line = sys.stdin.readline()
            if not line:
                break
            if line.strip():
                _show(copilot.ask(user=user, account=account, question=line.strip(), as_of=day))
