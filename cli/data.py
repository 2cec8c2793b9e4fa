"""`watchtower import`, `export` and `formats`: moving source data in and out."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from cli.context import app_context, console, handle_errors
from cli.guards import require_schema
from sources.entities import ENTITIES, get_entity
from sources.exporter import export_csv

ENTITY_HELP = "One of: " + ", ".join(ENTITIES) + " (plurals and short names such as 'usage' work too)."


@handle_errors
def import_command(
    ctx: typer.Context,
    entity: Annotated[str, typer.Argument(help=ENTITY_HELP)],
    file: Annotated[Path, typer.Argument(help="CSV, JSON (array of objects) or JSON Lines file.")],
    fmt: Annotated[str | None, typer.Option("--format", help="csv, json or jsonl; guessed from the extension.")] = None,
    max_errors: Annotated[
        int | None, typer.Option(help="Stop listing errors after this many (default 50).", show_default=False)
    ] = None,
    clear_empty: Annotated[
        bool,
        typer.Option(
            "--clear-empty",
            help="An empty cell (JSON: null) clears the stored value. Without it, empty cells and missing "
            "columns keep what is stored.",
        ),
    ] = False,
    raw: Annotated[
        bool,
        typer.Option(
            "--raw", help="Take CSV cells verbatim (for files from `export --raw`): no spreadsheet quoting undone."
        ),
    ] = False,
) -> None:
    """Import a file into one entity, all or nothing. Re-importing updates rows by their external id,
    changing only the columns the file has."""
    from sources.importer import import_file
    from sources.validation import DEFAULT_ERROR_LIMIT

    app = app_context(ctx)
    get_entity(entity)
    require_schema(app.engine)
    with console.status(f"importing {file} ..."):
        result = import_file(
            app.engine,
            entity,
            file,
            fmt=fmt,
            error_limit=max_errors or DEFAULT_ERROR_LIMIT,
            clear_empty=clear_empty,
            raw=raw,
        )
    console.print(
        f"[green]imported[/] {result.rows} {result.entity} row(s) from {file}: "
        f"{result.inserted} new, {result.updated} updated, {result.unchanged} unchanged"
    )


@handle_errors
def export_command(
    ctx: typer.Context,
    entity: Annotated[str, typer.Argument(help=ENTITY_HELP)],
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Write here instead of standard output.")] = None,
    raw: Annotated[
        bool,
        typer.Option(
            "--raw",
            help="Cells exactly as stored, for machine consumers. By default text starting with = + - @ tab or "
            "carriage return is prefixed with ' so spreadsheets do not run it; `import` removes that prefix.",
        ),
    ] = False,
) -> None:
    """Export one entity as CSV, in the same format `watchtower import` reads."""
    app = app_context(ctx)
    spec = get_entity(entity)
    require_schema(app.engine)
    if out is None:
        try:
            export_csv(app.engine, spec.name, sys.stdout, raw=raw)
            sys.stdout.flush()
        except BrokenPipeError:
            # The reader (e.g. `| head`) has gone: stop quietly, as Unix tools do.
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            raise typer.Exit(0) from None
        return
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", encoding="utf-8", newline="") as stream:
        count = export_csv(app.engine, spec.name, stream, raw=raw)
    console.print(f"[green]exported[/] {count} {spec.name} row(s) to {out}")


@handle_errors
def formats_command(entity: Annotated[str | None, typer.Argument(help=ENTITY_HELP)] = None) -> None:
    """Show the columns each import file takes; required ones are marked."""
    specs = [get_entity(entity)] if entity else list(ENTITIES.values())
    for spec in specs:
        table = Table(title=f"{spec.name}: {spec.description}", title_justify="left", show_lines=False)
        table.add_column("column")
        table.add_column("required")
        table.add_column("notes")
        for name, info in spec.row.model_fields.items():
            shown = f"{name}.<key>" if name in spec.dict_fields else name
            table.add_row(shown, "yes" if info.is_required() else "", info.description or "")
        console.print(table)
