"""`watchtower calibrate` and `watchtower model apply`: learn weights from outcomes, then a person applies them."""

from __future__ import annotations

import hashlib
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
import yaml
from rich.table import Table
from sqlalchemy import insert

from cli.context import CliError, app_context, console, handle_errors, parse_date
from cli.forecast_report import calibrate_forecast
from cli.guards import require_schema
from cli.score import load_scoring_config, model_app
from core.config_errors import ConfigError
from core.config_files import PACKAGES_ROOT, is_program_file, is_shipped, policy_source, team_config_dir
from core.models import HealthModelVersion
from core.settings import Settings
from playbooks.forecast import load_forecast_config
from scorecards.health_model import Band, load_health_model

if TYPE_CHECKING:
    from scorecards.calibration import Calibration


def _fmt(value: float | None, digits: int = 3) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}"


def _report(result: Calibration, base: tuple[Band, ...]) -> None:
    table = Table(
        title=f"Calibration on {result.accounts} accounts, {result.churned} churned, {result.folds} folds",
        title_justify="left",
    )
    for column in ("model", "ROC AUC", "PR AUC", "lift, top decile"):
        table.add_column(column, justify="left" if column == "model" else "right")
    for f in (result.current, result.logistic_cv, result.proposal_cv):
        table.add_row(f.name, _fmt(f.roc_auc), _fmt(f.pr_auc), _fmt(f.lift_top_decile, 2))
    console.print(table)
    a, b = result.proposal_cv.roc_auc, result.logistic_cv.roc_auc
    verdict = "matches" if result.matches_regression else "does not match"
    gap = "" if a is None or b is None else f" ({a - b:+.4f})"
    console.print(
        f"the proposal {verdict} the logistic regression: cross-validated ROC AUC {_fmt(a, 4)} against {_fmt(b, 4)}"
        f"{gap}"
    )
    bands = result.proposal.bands
    rates = Table(title="Churn rate by band", title_justify="left")
    rates.add_column("band")
    rates.add_column("current model", justify="right")
    rates.add_column("proposed (cross-validated)", justify="right")
    for band in [*(b.name for b in base), "no data"]:
        a, b = result.current.churn_by_band.get(band), result.proposal_cv.churn_by_band.get(band)
        if a or b:
            cell = lambda v: "" if v is None else f"{v[1]:.1%} of {v[0]}"  # noqa: E731
            rates.add_row(_band_label(band, base, bands), cell(a), cell(b))
    console.print(rates)
    if result.bands is not None and not result.bands.from_outcomes:
        console.print(f"bands: kept the current ones; {result.bands.reason}")
    elif result.bands is not None:
        console.print("bands: proposed from the outcomes (min score per band in brackets: current -> proposed)")


def _band_label(name: str, base: tuple[Band, ...], proposed: tuple[Band, ...]) -> str:
    old = {b.name: b.min for b in base}.get(name)
    new = {b.name: b.min for b in proposed}.get(name)
    if old is None or new is None:
        return name
    return f"{name} ({old:g})" if old == new else f"{name} ({old:g} -> {new:g})"


@handle_errors
def calibrate_command(
    ctx: typer.Context,
    out: Annotated[Path, typer.Option("--out", help="Where to write the proposed model (or forecast) YAML.")],
    outcomes: Annotated[
        Path | None, typer.Option("--outcomes", help="CSV with account_external_id,churned (1/0).")
    ] = None,
    forecast: Annotated[
        bool,
        typer.Option(
            "--forecast",
            help="Propose forecast probabilities (and engagement windows) from the renewals that ended "
            "between --from and --to, replayed at T-120, T-90 and T-30.",
        ),
    ] = False,
    start: Annotated[str | None, typer.Option("--from", help="With --forecast: first renewal date.")] = None,
    end: Annotated[
        str | None, typer.Option("--to", help="With --forecast: last renewal date; default --as-of.")
    ] = None,
    forecast_file: Annotated[
        Path | None, typer.Option("--forecast-file", help="With --forecast: the forecast YAML to start from.")
    ] = None,
    as_of: Annotated[str | None, typer.Option("--as-of", help="Date the signals are read at; default today.")] = None,
    folds: Annotated[int, typer.Option("--folds", min=2, max=20, help="Cross-validation folds.")] = 5,
    model: Annotated[
        Path | None, typer.Option("--model", help="The model to compare with; default the active one.")
    ] = None,
    segments: Annotated[Path | None, typer.Option("--segments", help="Segment rules YAML.")] = None,
) -> None:
    """Fit weights from churn outcomes, report cross-validated accuracy against the current model,
    and write a proposed model. It never activates the proposal: review it, then `watchtower model apply`.

    With --forecast: replay the forecast before every renewal that ended in the period, report its Brier
    score against the base rate, and write proposed probabilities per category."""
    from scorecards.calibration import OutcomesError, build_dataset, calibrate, read_outcomes

    app = app_context(ctx)
    require_schema(app.engine)
    _refuse_active_or_program(out, app.settings)
    config = load_scoring_config(model, segments)
    day = app.as_of(as_of)
    if forecast:
        last = parse_date(end, option="--to") or day
        first = parse_date(start, option="--from") or last - timedelta(days=365)
        if last < first:
            raise CliError("--to is before --from")
        calibrate_forecast(app.engine, config, first, last, out, forecast_file)
        return
    if outcomes is None:
        raise CliError("give --outcomes (churn per account) to fit the health model, or --forecast")
    try:
        labels = read_outcomes(outcomes)
        with console.status(f"reading signals for {len(labels)} accounts ..."):
            dataset = build_dataset(app.engine, config, labels, day)
        with console.status("fitting and cross-validating ..."):
            result = calibrate(dataset, config.model, folds=folds, as_of=day)
    except OutcomesError as exc:
        raise CliError(str(exc), "fix the outcomes file and run again") from None
    _report(result, config.model.bands)
    out.parent.mkdir(parents=True, exist_ok=True)
    header = (
        f"# Proposed by `watchtower calibrate` from {outcomes} as of {day}. NOT ACTIVE.\n"
        f"# {result.proposal.description}\n# Review it, then: watchtower model apply {out}\n"
    )
    body = yaml.safe_dump(
        result.proposal.model_dump(mode="json", exclude_none=True), sort_keys=False, allow_unicode=True
    )
    out.write_text(header + body, encoding="utf-8")
    if result.left_out:
        console.print(
            f"left out, fitted against their natural direction (usually collinear with another signal): "
            f"{', '.join(result.left_out)}"
        )
    console.print(f"wrote the proposal to {out}; the active model is unchanged")


def _refuse_active_or_program(out: Path, settings: Settings) -> None:
    """A proposal is written where a person reviews it: never over the model a run reads now (the team's copy,
    or the shipped default when the team has none), and never among the program's own files."""
    active = policy_source("health_model.yaml", settings=settings).path
    team = team_config_dir(settings).path
    if out.resolve() == active.resolve() or is_shipped(out):
        raise CliError(
            f"{out} is the active health model; a proposal is never written over it",
            "write it elsewhere, review it, then `watchtower model apply`; nothing was written",
        )
    if is_program_file(out) and not out.resolve().is_relative_to(team.resolve()):
        raise CliError(
            f"{out} is inside Watchtower's own files ({PACKAGES_ROOT})",
            "write the proposal outside them; nothing was written",
        )


def _write_whole(target: Path, content: str) -> None:
    """Write beside the target, then rename over it: a reader sees the old model or the new, never half a file."""
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.partial")
    partial.write_text(content, encoding="utf-8")
    os.replace(partial, target)


def _apply_forecast(file: Path, target: Path) -> None:
    try:
        rules = load_forecast_config(file)
    except ConfigError as exc:
        raise CliError(str(exc), "fix the file; nothing was applied") from None
    if is_shipped(target):
        raise CliError(
            f"{target} is the default that ships with Watchtower; it is never written",
            "set WATCHTOWER_CONFIG_DIR to the team's folder (see `watchtower config`); nothing was applied",
        )
    _write_whole(target, file.read_text(encoding="utf-8"))
    console.print(f"[green]applied[/] forecast {rules.version} to {target}; the next plays run uses it")


@model_app.command("apply")
@handle_errors
def model_apply_command(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="A reviewed health model YAML.")],
    to: Annotated[
        Path | None,
        typer.Option("--to", help="Where to write it; default the team's health_model.yaml (`watchtower config`)."),
    ] = None,
    by: Annotated[str | None, typer.Option("--by", help="Who applies it (recorded).")] = None,
    forecast: Annotated[
        bool, typer.Option("--forecast", help="FILE is a reviewed forecast YAML (`calibrate --forecast`).")
    ] = False,
) -> None:
    """Make a reviewed model the team's active one, and record the version applied in the database.

    It writes the team's copy in the team's configuration directory, never the default that ships with
    Watchtower, so an installed package and a source checkout stay as they were."""
    app = app_context(ctx)
    require_schema(app.engine)
    if forecast:
        _apply_forecast(file, to or team_config_dir(app.settings).path / "forecast.yaml")
        return
    try:
        model = load_health_model(file)
    except ConfigError as exc:
        raise CliError(str(exc), "fix the file; nothing was applied") from None
    team_copy = team_config_dir(app.settings).path / "health_model.yaml"
    target = to or team_copy
    if is_shipped(target):
        raise CliError(
            f"{target} is the default that ships with Watchtower; it is never written",
            "set WATCHTOWER_CONFIG_DIR to the team's folder (see `watchtower config`); nothing was applied",
        )
    if to is not None and to.resolve() != team_copy.resolve() and is_program_file(to):
        raise CliError(
            f"{to} is inside Watchtower's own files ({PACKAGES_ROOT}); --to never writes there",
            "give a path outside it, or leave out --to to write the team's copy; nothing was applied",
        )
    content = file.read_text(encoding="utf-8")
    with app.engine.begin() as conn:
        conn.execute(
            insert(HealthModelVersion.__table__).values(  # type: ignore[attr-defined]
                version=model.version,
                sha256=hashlib.sha256(content.encode()).hexdigest(),
                content=content,
                source_file=str(file),
                applied_to=str(target.resolve()),
                applied_by=by,
                applied_at=datetime.now(UTC),
            )
        )
        _write_whole(target, content)
    if target.resolve() == team_copy.resolve():
        console.print(f"[green]applied[/] {model.version} to {target}; the next `watchtower score` uses it")
    else:
        console.print(
            f"[green]applied[/] {model.version} to {target}; it is not the team's copy ({team_copy}), "
            f"so `watchtower score` uses it only with --model {target}"
        )
