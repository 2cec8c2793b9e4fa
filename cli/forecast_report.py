"""The forecast half of `watchtower backtest` and `watchtower calibrate --forecast`: replay, score, propose."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import yaml
from rich.table import Table
from sqlalchemy.engine import Engine

from cli.context import console
from cli.plays import load_configs
from playbooks.forecast import CATEGORIES, ForecastConfig
from playbooks.forecast_calibration import CheckpointScore, Proposal, propose, score_replay
from playbooks.forecast_replay import ReplayedForecast, replay_forecast
from scorecards.weekly import ScoringConfig


def replay(
    engine: Engine, scoring: ScoringConfig, start: date, end: date, forecast_file: Path | None
) -> tuple[ForecastConfig, list[ReplayedForecast]]:
    playbook, forecast = load_configs(forecast=forecast_file)
    renewal = next((p for p in playbook.plays if p.anchor == "renewal"), None)
    with console.status(f"replaying the forecast before each renewal from {start} to {end} ..."):
        return forecast, replay_forecast(engine, scoring, forecast, start, end, renewal_play=renewal)


def print_scores(forecast: ForecastConfig, scores: dict[int, CheckpointScore]) -> None:
    if not scores:
        console.print("forecast: no renewal ended in the period, nothing to replay")
        return
    table = Table(
        title=f"Forecast ({forecast.version}) against outcomes: Brier score, lower is better", title_justify="left"
    )
    for column in ("checkpoint", "renewals", "renewed", "Brier", "base-rate Brier", "better than base rate"):
        table.add_column(column, justify="left" if column == "checkpoint" else "right")
    for s in scores.values():
        skill = "n/a" if s.skill is None else f"{s.skill:.1%}"
        table.add_row(
            f"T-{s.days_before}", str(s.n), f"{s.base_rate:.1%}", f"{s.brier:.4f}", f"{s.base_brier:.4f}", skill
        )
    console.print(table)
    reliability = Table(
        title="Reliability: each category's probability beside how often it renewed", title_justify="left"
    )
    reliability.add_column("category")
    for s in scores.values():
        reliability.add_column(f"T-{s.days_before}: p / renewed (n)", justify="right")
    for category in CATEGORIES:
        cells = []
        for s in scores.values():
            r = s.reliability.get(category)
            cells.append("-" if r is None else f"{r.predicted:.2f} / {r.observed:.1%} ({r.n})")
        reliability.add_row(category, *cells)
    console.print(reliability)


def write_proposal(proposal: Proposal, out: Path, *, start: date, end: date) -> None:
    header = (
        f"# Proposed by `watchtower calibrate --forecast` from renewals {start} to {end}. NOT ACTIVE.\n"
        + "".join(f"# {note}\n" for note in proposal.notes)
        + f"# Review it (`watchtower backtest --forecast-file {out}` replays it), then: "
        f"watchtower model apply --forecast {out}\n"
    )
    body = yaml.safe_dump(
        proposal.config.model_dump(mode="json", by_alias=True), sort_keys=False, allow_unicode=True, width=200
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(header + body, encoding="utf-8")


def calibrate_forecast(
    engine: Engine, scoring: ScoringConfig, start: date, end: date, out: Path, forecast_file: Path | None
) -> None:
    forecast, replayed = replay(engine, scoring, start, end, forecast_file)
    print_scores(forecast, score_replay(replayed))
    proposal = propose(forecast, replayed)
    proposed = score_replay(
        [
            r.__class__(**{**r.__dict__, "probability": p})
            for r in replayed
            for p in [next(c.probability for c in proposal.config.categories if c.name == r.category)]
        ]
    )
    console.print("with the proposed probabilities (same categories, in-sample):")
    for s in proposed.values():
        console.print(f"  T-{s.days_before}: Brier {s.brier:.4f} against the base rate's {s.base_brier:.4f}")
    for note in proposal.notes:
        console.print(f"  {note}")
    write_proposal(proposal, out, start=start, end=end)
    console.print(f"wrote the proposal to {out}; the active forecast is unchanged")
