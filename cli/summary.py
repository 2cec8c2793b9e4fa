"""`watchtower summary`: the book at a glance, and what to do next."""

from __future__ import annotations

import typer
from rich.table import Table

from cli.context import AsOf, app_context, console, handle_errors
from cli.guards import require_schema
from sources.summary import summarize


@handle_errors
def summary_command(
    ctx: typer.Context,
    as_of: AsOf = None,
) -> None:
    """Accounts and ARR per segment, and renewals coming up (the contracts `watchtower renewals` lists)."""
    app = app_context(ctx)
    require_schema(app.engine)
    day = app.as_of(as_of)
    book = summarize(app.engine, day)
    table = Table(title=f"Book of business as of {day}", title_justify="left")
    table.add_column("segment")
    table.add_column("accounts", justify="right")
    table.add_column("ARR", justify="right")
    for line in book.segments:
        table.add_row(line.segment, str(line.accounts), f"${line.arr:,.0f}")
    table.add_row("[bold]total[/]", f"[bold]{book.accounts}[/]", f"[bold]${book.arr:,.0f}[/]")
    console.print(table)
    console.print(
        f"Renewals in the next 90 days: [bold]{book.renewals_90d}[/] contracts, ${book.renewals_90d_arr:,.0f} ARR "
        f"({book.renewals_180d} within 180 days)"
        + (f"; {book.renewals_overdue} past their date and not yet renewed" if book.renewals_overdue else "")
    )
    console.print(
        "\nNext steps:\n"
        "  watchtower formats              the file formats for your own data\n"
        "  watchtower import accounts FILE load a CSV, JSON or JSON Lines file (all or nothing)\n"
        "  watchtower export contracts     write any entity back out as CSV\n"
        "  watchtower --help               every command"
    )
