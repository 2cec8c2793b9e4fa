"""`watchtower seed`: a realistic, reproducible book of business with planted scenarios."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from cli.context import CliError, app_context, console, handle_errors
from cli.guards import require_schema
from sources.synthetic.generator import AccountGenerator, BookSpec


@handle_errors
def seed_command(
    ctx: typer.Context,
    accounts: Annotated[int, typer.Option(min=1, max=1_000_000, help="Number of accounts.")] = 500,
    seed: Annotated[int, typer.Option(help="Random seed; the same seed gives the same book.")] = 7,
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="The book's 'today' (YYYY-MM-DD); default today.")
    ] = None,
    labels_dir: Annotated[
        Path | None, typer.Option(help="Where to write labels.jsonl and outcomes.csv; default <data dir>/seed.")
    ] = None,
    replace: Annotated[bool, typer.Option("--replace", help="Delete all existing source data first.")] = False,
) -> None:
    """Generate a synthetic company: accounts, contracts, people, 18 months of usage, tickets, NPS,
    invoices, conversations and news, with every playbook scenario planted and labelled."""
    from sources.synthetic.writer import BookNotEmpty, seed_book

    app = app_context(ctx)
    require_schema(app.engine)
    day = app.as_of(as_of)
    generator = AccountGenerator(BookSpec(accounts=accounts, seed=seed, as_of=day))
    directory = labels_dir or app.settings.data_dir / "seed"
    columns = (TextColumn("seeding"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True) as bar:
        task = bar.add_task("seed", total=accounts)
        try:
            result = seed_book(
                app.engine, generator, labels_dir=directory, replace=replace, progress=lambda n: bar.advance(task, n)
            )
        except BookNotEmpty as exc:
            raise CliError(
                str(exc), "seed an empty database, or pass --replace to delete existing source data"
            ) from None
    rows = ", ".join(f"{count} {entity}" for entity, count in result.counts.items())
    console.print(f"[green]seeded[/] {accounts} accounts as of {day} (seed {seed}): {rows}")
    console.print(f"ground truth: {result.labels_file} and {result.outcomes_file}")
