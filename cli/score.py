"""`watchtower score`, `assess` and `model check`: the health model from the command line."""

from __future__ import annotations

import time
from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from sqlalchemy import delete, insert, select

from cli.context import CliError, app_context, console, err_console, handle_errors
from cli.guards import require_schema
from cli.listing import Column, Format, FormatOption, Listing, emit
from cli.owner import MineOption, OwnerOption, for_owner, owner_filter
from core.config_errors import ConfigError
from core.models import Account, CsmAssessment
from scorecards.health_model import load_health_model
from scorecards.weekly import ScoringConfig, account_ids_for, export_scorecards, score_book

model_app = typer.Typer(help="Check and inspect health model files.", no_args_is_help=True)


def load_scoring_config(model: Path | None, segments: Path | None) -> ScoringConfig:
    try:
        return ScoringConfig.load(model=model, segments=segments)
    except ConfigError as exc:
        raise CliError(str(exc), "fix the file and run again; `watchtower model check FILE` validates it") from None


@handle_errors
def score_command(
    ctx: typer.Context,
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="Score as of this date (YYYY-MM-DD); default today.")
    ] = None,
    export: Annotated[Path | None, typer.Option("--export", help="Also write the scorecards to this CSV file.")] = None,
    model: Annotated[
        Path | None, typer.Option("--model", help="Health model YAML; default the team's (`watchtower config`).")
    ] = None,
    segments: Annotated[
        Path | None, typer.Option("--segments", help="Segment rules YAML; default the team's (`watchtower config`).")
    ] = None,
    accounts: Annotated[
        str | None, typer.Option("--accounts", help="Comma-separated external ids; default all.")
    ] = None,
    owner: OwnerOption = None,
    mine: MineOption = False,
    fmt: FormatOption = Format.table,
) -> None:
    """Score every account (or some) for one date and store the scorecards; re-running a date replaces them."""
    app = app_context(ctx)
    require_schema(app.engine)
    config = load_scoring_config(model, segments)
    day = app.as_of(as_of)
    ids = None
    if accounts:
        try:
            ids = account_ids_for(app.engine, [a.strip() for a in accounts.split(",") if a.strip()])
        except LookupError as exc:
            raise CliError(str(exc), "check the ids with `watchtower export accounts`") from None
    who = owner_filter(app, owner, mine)
    if who:
        with app.engine.connect() as conn:
            owned = set(conn.execute(select(Account.id).where(Account.owner_csm == who)).scalars())
        ids = sorted(owned if ids is None else owned & set(ids))
        if not ids:
            emit(
                Listing("", [Column("band"), Column("accounts")], [], 0, f"no accounts{for_owner(who)}"),
                fmt,
                console,
                err_console,
            )
            return
    started = time.perf_counter()
    columns = (TextColumn("scoring"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True) as bar:
        task = bar.add_task("score", total=len(ids) if ids is not None else None)
        run = score_book(app.engine, config, day, account_ids=ids, progress=lambda n: bar.advance(task, n))
    elapsed = time.perf_counter() - started
    bands = [
        {"band": band, "accounts": run.bands[band]}
        for band in [*(b.name for b in config.model.bands), "no data"]
        if run.bands.get(band)
    ]
    listing = Listing(
        f"Health as of {day} ({run.model_version}){for_owner(who)}",
        [Column("band"), Column("accounts", kind="number")],
        bands,
        len(bands),
        f"no accounts scored{for_owner(who)}",
    )
    emit(listing, fmt, console, err_console)
    if fmt is not Format.table:
        return
    console.print(
        f"scored {run.accounts} accounts in {elapsed:.1f}s; CSM disagrees by a band or more on {run.disagreements}"
    )
    if run.limits:
        deciding = ", ".join(f"{name} {n}" for name, n in sorted(run.limits.items(), key=lambda kv: (-kv[1], kv[0])))
        console.print(f"band set by a cap or floor: {deciding}")
    if export is not None:
        export.parent.mkdir(parents=True, exist_ok=True)
        with export.open("w", encoding="utf-8", newline="") as stream:
            count = export_scorecards(app.engine, day, stream, [g.name for g in config.model.groups])
        console.print(f"[green]exported[/] {count} scorecards to {export}")


@handle_errors
def assess_command(
    ctx: typer.Context,
    account: Annotated[str, typer.Argument(help="The account's external id.")],
    band: Annotated[str, typer.Option("--band", help="Your call: a band name from the health model.")],
    note: Annotated[str | None, typer.Option("--note", help="Why.")] = None,
    by: Annotated[str | None, typer.Option("--by", help="Who is assessing (email).")] = None,
    as_of: Annotated[str | None, typer.Option("--as-of", help="Date of the assessment; default today.")] = None,
    model: Annotated[Path | None, typer.Option("--model", help="Health model whose bands to accept.")] = None,
) -> None:
    """Record a CSM's own health call; it shows beside the score until it expires."""
    app = app_context(ctx)
    require_schema(app.engine)
    bands = [b.name for b in load_scoring_config(model, None).model.bands]
    if band not in bands:
        raise CliError(f"unknown band '{band}'", f"use one of: {', '.join(bands)}")
    day: date = app.as_of(as_of)
    try:
        [account_id] = account_ids_for(app.engine, [account])
    except LookupError as exc:
        raise CliError(str(exc)) from None
    table = CsmAssessment.__table__  # type: ignore[attr-defined]
    with app.engine.begin() as conn:
        conn.execute(delete(table).where(table.c.account_id == account_id, table.c.assessed_on == day))
        conn.execute(insert(table).values(account_id=account_id, assessed_on=day, band=band, note=note, assessed_by=by))
    console.print(
        f"[green]recorded[/] {band} for {account} on {day}; run `watchtower score` to compare it with the score"
    )


@model_app.command("check")
@handle_errors
def model_check_command(file: Annotated[Path, typer.Argument(help="Health model YAML to validate.")]) -> None:
    """Validate a health model and show its effective weights."""
    try:
        model = load_health_model(file)
    except ConfigError as exc:
        raise CliError(str(exc), "each line names the key to fix") from None
    table = Table(title=f"{file}: {model.version}", title_justify="left")
    for column in ("group", "signal", "source", "share of score"):
        table.add_column(column)
    for s in model.resolve(None).signals:
        table.add_row(s.group, s.spec.name, s.spec.source, f"{s.weight:.1%}")
    console.print(table)
    for kind, limits in (("cap", model.caps), ("floor", model.floors)):
        for limit in limits:
            level = model.ceiling(limit) if kind == "cap" else model.floor_of(limit)  # type: ignore[arg-type]
            console.print(
                f"{kind} {limit.name}: {'at most' if kind == 'cap' else 'at least'} {level:g} ({model.band_for(level)})"
            )
    console.print(
        f"[green]valid[/]: {len(model.groups)} groups, bands {', '.join(f'{b.name} >= {b.min:g}' for b in model.bands)}"
    )
