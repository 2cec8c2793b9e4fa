"""`watchtower backtest`: what the weekly scores and the forecast would have said before past renewals and churn."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from cli.context import CliError, app_context, console, handle_errors, parse_date
from cli.forecast_report import print_scores, replay
from cli.guards import require_schema
from cli.score import load_scoring_config
from playbooks.forecast_calibration import CheckpointScore, score_replay
from scorecards.backtest import Backtest, run_backtest
from scorecards.early_warning import EarlyWarning

#: The checkpoint whose Brier score sits beside the early-warning figures: the renewal conversation is under way.
FORECAST_CHECKPOINT = 90


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1%}"


def _share(part: int, whole: int) -> str:
    return f"{part} of {whole} ({_pct(part / whole if whole else None)})"


def early_warning_lines(early: EarlyWarning, start: date) -> list[str]:
    """The early-warning figures as short lines, each readable in 100 columns."""
    risky = " or ".join(early.at_risk)
    target, window = early.lead_target_weeks, early.window_weeks
    lines = [
        f"customers who left, {risky} at least {target} weeks before: "
        f"{_share(early.flagged_early, len(early.departures))}"
    ]
    if early.departures_left_out:
        lines.append(f"  left out: {early.departures_left_out} who left within {target} weeks of {start}")
    spread = ", ".join(f"{k} {v}" for k, v in early.lead_distribution().items())
    lines.append(f"  weeks from the first {risky} week to leaving: {spread}")
    quartiles = early.lead_quartiles()
    if quartiles:
        q1, mid, q3 = quartiles
        lines.append(f"  of those flagged: median {mid:.1f} weeks, quartiles {q1:.1f} to {q3:.1f}")
    below = [d.lead_weeks_any for d in early.departures if d.lead_weeks_any is not None]
    lines.append(f"  below {early.best} before leaving: {_share(len(below), len(early.departures))}")
    lines.append(
        f"customers who renewed, {risky} in the {window} weeks before: {_share(early.renewed_flagged, early.renewed)}"
    )
    if early.renewals_left_out:
        lines.append(f"  left out: {early.renewals_left_out} whose {window}-week window starts before {start}")
    if early.renewed_unscored:
        lines.append(f"  {early.renewed_unscored} of them had no score in the window")
    ratio = "n/a" if early.churn_ratio is None else f"{early.churn_ratio:.2f}"
    lines.append(
        f"at T-{early.checkpoint_days}: churn among {early.best} renewals {_pct(early.best_churn)}, "
        f"among {' and '.join(early.at_risk)} {_pct(early.at_risk_churn)}; ratio {ratio}"
    )
    if early.at_t90_left_out:
        lines.append(f"  left out: {early.at_t90_left_out} renewals whose T-{early.checkpoint_days} is before {start}")
    return lines


def forecast_line(scores: dict[int, CheckpointScore]) -> str | None:
    s = scores.get(FORECAST_CHECKPOINT)
    if s is None:
        return None
    return (
        f"forecast at T-{s.days_before}: Brier {s.brier:.4f} against the base rate's {s.base_brier:.4f}; "
        f"improvement {_pct(s.skill)}"
    )


def _t90_table(result: Backtest, bands: list[str]) -> None:
    table = Table(title=f"Renewals by band at T-{result.early.checkpoint_days}", title_justify="left")
    for column in ("band at T-90", "renewals", "churned", "churn rate", "GRR"):
        table.add_column(column, justify="left" if column.startswith("band") else "right")
    for band in [*bands, "no data"]:
        line = result.early.at_t90.get(band)
        if line:
            grr = "n/a" if line.grr is None else f"{line.grr:.1%}"
            table.add_row(band, str(line.renewals), str(line.churned), f"{line.churn_rate:.1%}", grr)
    console.print(table)
    if not result.early.at_t90:
        console.print("no renewal in the period has a replayed week at its T-90; widen --from")


def as_json(result: Backtest, scores: dict[int, CheckpointScore]) -> dict[str, Any]:
    return {
        "from": result.start.isoformat(),
        "to": result.end.isoformat(),
        "weeks": result.weeks,
        "accounts": result.accounts,
        "replayed": result.replayed,
        "churned_accounts": result.churned_accounts,
        "early_warning": result.early.figures(),
        "forecast": {
            f"t{s.days_before}": {"renewals": s.n, "brier": s.brier, "base_brier": s.base_brier, "improvement": s.skill}
            for s in scores.values()
        },
    }


@handle_errors
def backtest_command(
    ctx: typer.Context,
    start: Annotated[str, typer.Option("--from", help="First week to replay (YYYY-MM-DD).")],
    end: Annotated[str, typer.Option("--to", help="Last week to replay (YYYY-MM-DD).")],
    model: Annotated[Path | None, typer.Option("--model", help="Health model YAML; default the active one.")] = None,
    segments: Annotated[Path | None, typer.Option("--segments", help="Segment rules YAML.")] = None,
    forecast_file: Annotated[
        Path | None, typer.Option("--forecast-file", help="Forecast YAML to replay; default the team's.")
    ] = None,
    as_json_out: Annotated[bool, typer.Option("--json", help="Print the figures as JSON instead of tables.")] = False,
) -> None:
    """Replay weekly scores over a past period: how many customers who left turned Orange or Red at least
    8 weeks before, how many who renewed were Orange or Red in the 12 weeks before, and churn and gross
    revenue retention by band at T-90; then replay the forecast at T-120, T-90 and T-30 before each renewal
    and score it against the outcome. Stored scorecards are not touched."""
    app = app_context(ctx)
    require_schema(app.engine)
    config = load_scoring_config(model, segments)
    first, last = parse_date(start, option="--from"), parse_date(end, option="--to")
    assert first is not None and last is not None
    if last < first:
        raise CliError("--to is before --from")
    with console.status(f"replaying weekly scores from {first} to {last} ..."):
        result = run_backtest(app.engine, config, first, last)
    rules, replayed = replay(app.engine, config, first, last, forecast_file)
    scores = score_replay(replayed)
    if as_json_out:
        typer.echo(json.dumps(as_json(result, scores), indent=2))
        return
    console.print(
        f"replayed {result.weeks} weeks for {result.replayed} of {result.accounts} accounts (those that left or "
        f"renewed); {result.churned_accounts} churned in the period"
    )
    for line in early_warning_lines(result.early, first):
        console.print(line, highlight=False)
    line = forecast_line(scores)
    if line:
        console.print(line, highlight=False)
    _t90_table(result, [b.name for b in config.model.bands])
    print_scores(rules, scores)
