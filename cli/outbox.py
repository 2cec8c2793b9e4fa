"""`watchtower outbox ...`: the messages plays drafted, their approval, and sending."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from sqlalchemy import select

from actions.outbox import OutboxError, approve, discard, send_approved, senders_from
from cli.context import CliError, app_context, console, err_console, handle_errors
from cli.guards import require_schema
from cli.listing import Column, Format, FormatOption, Listing, emit, page
from cli.owner import AccountOption, LimitOption, MineOption, OwnerOption, for_owner, list_context
from core.models import Account, OutboxMessage

outbox_app = typer.Typer(
    help="Messages plays drafted: approve, discard, send.", no_args_is_help=False, invoke_without_command=True
)
By = Annotated[str, typer.Option("--by", help="Who is doing this.")]


@outbox_app.callback()
@handle_errors
def list_command(
    ctx: typer.Context,
    status: Annotated[
        str, typer.Option("--status", help="drafted, held, approved, sent, discarded or all.")
    ] = "drafted",
    account: AccountOption = None,
    audience: Annotated[str | None, typer.Option("--audience", help="customer or internal.")] = None,
    owner: OwnerOption = None,
    mine: MineOption = False,
    limit: LimitOption = 50,
    fmt: FormatOption = Format.table,
) -> None:
    """List outbox messages (drafts awaiting approval by default)."""
    if ctx.invoked_subcommand is not None:
        return
    app, who = list_context(ctx, owner, mine)
    query = select(
        OutboxMessage.id,
        Account.external_id.label("account"),
        OutboxMessage.created_on,
        OutboxMessage.status,
        OutboxMessage.auto_send,
        OutboxMessage.audience,
        OutboxMessage.recipient,
        OutboxMessage.subject,
        OutboxMessage.last_error,
        OutboxMessage.attempts,
    ).outerjoin(Account, Account.id == OutboxMessage.account_id)
    if status != "all":
        query = query.where(OutboxMessage.status == status)
    if account:
        query = query.where(Account.external_id == account)
    if audience:
        query = query.where(OutboxMessage.audience == audience)
    if who:
        query = query.where(Account.owner_csm == who)
    with app.engine.connect() as conn:
        rows, total = page(conn, query.order_by(OutboxMessage.id), limit)
    items = [
        {
            **r,
            "auto_send": bool(r["auto_send"] and r["audience"] == "customer"),
            "error": f"{r['last_error']} ({r['attempts']} attempts)" if r["last_error"] else None,
        }
        for r in rows
    ]
    listing = Listing(
        title="",
        columns=[
            Column("id", kind="number"),
            Column("account"),
            Column("created_on", "created", droppable=1),
            Column("status", droppable=2),
            Column("auto_send", "auto-send", droppable=2),
            Column("audience", droppable=2),
            Column("recipient", "to"),
            Column("subject", kind="text"),
            Column("error", kind="text"),
        ],
        rows=items,
        total=total,
        empty=f"no {'' if status == 'all' else status + ' '}messages"
        + (f" on {account}" if account else "")
        + (f" to {audience} recipients" if audience else "")
        + for_owner(who),
    )
    emit(listing, fmt, console, err_console)


@outbox_app.command("show")
@handle_errors
def show_command(ctx: typer.Context, message_id: int) -> None:
    """One message in full."""
    app = app_context(ctx)
    require_schema(app.engine)
    with app.engine.connect() as conn:
        m = conn.execute(select(OutboxMessage).where(OutboxMessage.id == message_id)).mappings().first()
    if m is None:
        raise CliError(f"no outbox message {message_id}", "list them with `watchtower outbox --status all`")
    console.print(f"[bold]{escape(m['subject'])}[/]")
    console.print(
        f"to {escape(m['recipient_name'] or '')} <{escape(m['recipient'])}> by {m['channel']}; {m['status']}"
        f"; drafted {m['created_on']} ({m['produced_by']})"
    )
    if m["approved_by"]:
        console.print(f"approved by {escape(m['approved_by'])} at {m['approved_at']}")
    if m["last_error"]:
        console.print(f"[yellow]last error:[/] {escape(m['last_error'])} after {m['attempts']} attempt(s)")
    console.print()
    console.print(escape(m["body"]))


@outbox_app.command("approve")
@handle_errors
def approve_command(
    ctx: typer.Context,
    message_id: int,
    by: By,
    subject: Annotated[str | None, typer.Option("--subject", help="Replace the subject first.")] = None,
    body_file: Annotated[Path | None, typer.Option("--body-file", help="Replace the body with this file.")] = None,
) -> None:
    """Approve a drafted message (optionally edited) so the next send delivers it."""
    app = app_context(ctx)
    require_schema(app.engine)
    body = body_file.read_text(encoding="utf-8") if body_file else None
    try:
        with app.engine.begin() as conn:
            approve(conn, message_id, by=by, now=datetime.now(UTC), subject=subject, body=body)
    except OutboxError as exc:
        raise CliError(str(exc), "see it with `watchtower outbox show ID`") from None
    console.print(f"message {message_id} approved by {escape(by)}")


@outbox_app.command("discard")
@handle_errors
def discard_command(
    ctx: typer.Context,
    message_id: int,
    by: By,
    reason: Annotated[str, typer.Option("--reason", help="Why it should not go out.")],
) -> None:
    """Discard an unsent message, with the reason."""
    app = app_context(ctx)
    require_schema(app.engine)
    try:
        with app.engine.begin() as conn:
            discard(conn, message_id, by=by, reason=reason)
    except OutboxError as exc:
        raise CliError(str(exc), "see it with `watchtower outbox show ID`") from None
    console.print(f"message {message_id} discarded")


@outbox_app.command("send")
@handle_errors
def send_command(ctx: typer.Context, limit: Annotated[int, typer.Option("--limit", min=1)] = 500) -> None:
    """Send approved messages through the configured SMTP server and webhook; failures stay with their error."""
    app = app_context(ctx)
    require_schema(app.engine)
    senders = senders_from(app.settings)
    report = send_approved(app.engine, senders, now=datetime.now(UTC), limit=limit)
    console.print(f"sent {report.sent}, failed {report.failed} (kept in the outbox with the error)")
    for error in report.errors[:10]:
        console.print(f"[yellow]not sent:[/] {escape(error)}")
    for channel, n in sorted(report.no_sender.items()):
        setting = (
            "WATCHTOWER_SMTP_HOST and WATCHTOWER_SMTP_FROM" if channel == "email" else "WATCHTOWER_SLACK_WEBHOOK_URL"
        )
        console.print(f"{n} approved {channel} message(s) wait for a sender: set {setting}")
