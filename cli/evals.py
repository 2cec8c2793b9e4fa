"""`watchtower evals run | compare | report`: the eval suites, offline in CI and live with a model."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from cli.context import CliError, app_context, console, handle_errors
from core.config_errors import ConfigError
from evals.compare import compare
from evals.report import model_card
from evals.runner import run, write

evals_app = typer.Typer(help="Eval suites: run them, compare two runs, write the model card.", no_args_is_help=True)
MODEL_CARD = Path(__file__).resolve().parents[1] / "evals" / "MODEL_CARD.md"


def _fmt(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def show(result: dict[str, Any]) -> None:
    for suite_id, suite in result["suites"].items():
        table = Table(
            "metric", "value", "threshold", "by group", title=f"{suite_id}: {suite['title']} ({suite['cases']} cases)"
        )
        for name, metric in suite["metrics"].items():
            bound = (f">= {metric['min']:g}" if metric["min"] is not None else "") + (
                f"<= {metric['max']:g}" if metric["max"] is not None else ""
            )
            gated_on = metric.get("gated_on")
            if bound and gated_on:  # the threshold holds the held-out figure, not the overall one
                bound = f"{gated_on} {_fmt(metric.get('gated_value'))} {bound}"
            groups = ", ".join(f"{g} {_fmt(v)}" for g, v in metric["groups"].items())
            mark = "" if metric["passed"] else " [bold red]FAIL[/]"
            table.add_row(name, _fmt(metric["value"]) + mark, bound, escape(groups))
        console.print(table)
        for note in suite.get("notes", []):
            console.print(f"[dim]note:[/] {escape(note)}")


@evals_app.command("run")
@handle_errors
def run_command(
    ctx: typer.Context,
    suite: Annotated[list[str] | None, typer.Option("--suite", help="A suite id; repeatable. Default: all.")] = None,
    live: Annotated[bool, typer.Option("--live", help="Use the configured model (never in CI).")] = False,
    out: Annotated[Path | None, typer.Option("--out", help="Folder for the JSON result.")] = None,
) -> None:
    """Run the suites, print a table per suite, keep the result as JSON; exit 1 when a threshold fails."""
    from evals.book import close_books
    from llm.factory import build_chat_model, model_name

    app = app_context(ctx)
    model = None
    if live:
        model = build_chat_model(app.settings)
        if model is None:
            raise CliError("--live needs a model", "set WATCHTOWER_LLM_MODEL (and OPENAI_BASE_URL / OPENAI_API_KEY)")
    try:
        result = run(suite, live=live, model=model, model_name=model_name(app.settings), on_done=close_books)
    except (ConfigError, KeyError) as exc:
        raise CliError(str(exc).strip("'")) from None
    show(result)
    path = write(result, out or app.settings.data_dir / "evals")
    failed = [s for s, r in result["suites"].items() if not r["passed"]]
    console.print(f"result: {path}")
    if failed:
        console.print(f"[bold red]below threshold:[/] {', '.join(failed)}")
        raise typer.Exit(1)


@evals_app.command("compare")
@handle_errors
def compare_command(
    before: Annotated[Path, typer.Argument(help="The earlier run's JSON.")],
    after: Annotated[Path, typer.Argument(help="The later run's JSON.")],
) -> None:
    """Every metric of two runs side by side; exit 1 when one got worse."""
    try:
        changes = compare(json.loads(before.read_text()), json.loads(after.read_text()))
    except (OSError, json.JSONDecodeError, KeyError) as exc:
        raise CliError(f"cannot read the runs: {exc}") from None
    table = Table("suite", "metric", "group", "before", "after", "")
    for c in changes:
        if c.group is None or c.regressed:
            table.add_row(
                c.suite, c.metric, c.group or "", _fmt(c.before), _fmt(c.after), "[red]worse[/]" if c.regressed else ""
            )
    console.print(table)
    worse = [c for c in changes if c.regressed]
    console.print(f"{len(worse)} regression(s)")
    if worse:
        raise typer.Exit(1)


@evals_app.command("report")
@handle_errors
def report_command(
    ctx: typer.Context,
    run_file: Annotated[Path | None, typer.Argument(help="A run's JSON; default: the newest in var/evals.")] = None,
    out: Annotated[Path, typer.Option("--out", help="Where to write the Markdown.")] = MODEL_CARD,
) -> None:
    """Write the model card (Markdown) from an evaluation run."""
    app = app_context(ctx)
    if run_file is None:
        runs = sorted((app.settings.data_dir / "evals").glob("*.json"))
        if not runs:
            raise CliError("no evaluation run found", "run `watchtower evals run` first")
        run_file = runs[-1]
    out.write_text(model_card(json.loads(run_file.read_text())) + "\n", encoding="utf-8")
    console.print(f"model card written to {out} from {run_file}")
