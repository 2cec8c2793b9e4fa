"""The `watchtower` command line: one entry point, one module per group of commands."""

from __future__ import annotations

import logging
from typing import Annotated

import typer
from pydantic import ValidationError
from rich.markup import escape

from cli import (
    account,
    approvals,
    backtest,
    brief,
    calibrate,
    config,
    copilot,
    data,
    evals,
    kb,
    mcp,
    metrics,
    outbox,
    plays,
    renewals,
    run,
    score,
    seed,
    summary,
)
from cli.context import AppContext, app_context, console, fit_consoles, handle_errors, settings_with

app = typer.Typer(
    name="watchtower",
    help="Watchtower: renewal and expansion playbooks run by agents, settled by people.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


@app.callback()
def root(
    ctx: typer.Context,
    database_url: Annotated[
        str | None, typer.Option("--database-url", help="Overrides DATABASE_URL for this run.", show_default=False)
    ] = None,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks and debug logs.")] = False,
) -> None:
    fit_consoles()
    logging.basicConfig(level=logging.DEBUG if debug else logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        settings = settings_with({"database_url": database_url})
    except ValidationError as exc:
        if debug:
            raise
        first = exc.errors(include_url=False)[0]
        where = ".".join(map(str, first["loc"]))
        console.print(f"[bold red]error:[/] invalid setting {escape(where)}: {escape(first['msg'])}")
        raise typer.Exit(1) from None
    ctx.obj = AppContext(settings=settings, debug=debug)


@app.command("init")
@handle_errors
def init_command(ctx: typer.Context) -> None:
    """Create the database schema, or upgrade it to this version. Safe to run again."""
    from core.schema import upgrade

    app_ctx = app_context(ctx)
    before, after = upgrade(app_ctx.engine)
    if before == after:
        console.print(f"[green]schema is up to date[/] (revision {after})")
    else:
        console.print(f"[green]schema ready[/]: {before or 'empty'} -> {after}")


app.command("import")(data.import_command)
app.command("export")(data.export_command)
app.command("formats")(data.formats_command)
app.command("seed")(seed.seed_command)
app.command("summary")(summary.summary_command)
app.command("account")(account.account_command)
app.command("score")(score.score_command)
app.command("assess")(score.assess_command)
app.command("calibrate")(calibrate.calibrate_command)
app.command("backtest")(backtest.backtest_command)
app.command("run")(run.run_command)
app.command("alerts")(run.alerts_command)
app.command("serve")(run.serve_command)
app.command("feed")(run.feed_command)
app.command("risks")(plays.risks_command)
app.command("metrics")(metrics.metrics_command)
app.add_typer(score.model_app, name="model")
app.add_typer(plays.plays_app, name="plays")
app.add_typer(plays.tasks_app, name="tasks")
app.add_typer(plays.experiments_app, name="experiments")
app.add_typer(outbox.outbox_app, name="outbox")
app.add_typer(renewals.renewals_app, name="renewals")
app.add_typer(approvals.users_app, name="users")
app.add_typer(approvals.tokens_app, name="tokens")
app.add_typer(approvals.approvals_app, name="approvals")
app.add_typer(approvals.offers_app, name="offers")
app.command("web")(approvals.web_command)
app.command("mcp")(mcp.mcp_command)
app.add_typer(evals.evals_app, name="evals")
app.add_typer(kb.kb_app, name="kb")
app.add_typer(config.config_app, name="config")
app.add_typer(copilot.copilot_app, name="copilot")
app.command("brief")(brief.brief_command)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
