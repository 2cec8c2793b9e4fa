"""The renewal forecast against outcomes on seeded books: Brier score beside the base rate's, reliability.

Each row is a book (size and seed). The forecast is replayed at T-120, T-90 and T-30 before every renewal
that ended in the year before the book's date, from the data as it was on those days, with the forecast
rules the team would run (``forecast.yaml``), and scored against whether the renewal renewed. Bounds sit in
the held-out book's row only: the working book is the one looked at while changing the rules. A row with
``calibrate_on`` also scores probabilities `calibrate --forecast` would propose from that (earlier) row's book.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any

from evals.book import book_for
from evals.context import EvalContext, Outcome
from evals.spec import SuiteSpec, read_cases
from playbooks.forecast_calibration import propose, score_replay
from playbooks.forecast_replay import ReplayedForecast, replay_forecast
from playbooks.play_engine import load_play_configs
from scorecards.weekly import ScoringConfig


def figures(scores: dict[int, Any]) -> dict[str, float]:
    """Flat figures per checkpoint: Brier, the base rate's Brier, the gain over it, and reliability per category."""
    out: dict[str, float] = {}
    for days, s in scores.items():
        out[f"renewals_t{days}"] = s.n
        out[f"brier_t{days}"] = round(s.brier, 4)
        out[f"base_brier_t{days}"] = round(s.base_brier, 4)
        out[f"skill_t{days}"] = round(s.skill, 4) if s.skill is not None else 0.0
        for category, r in s.reliability.items():
            out[f"{category}_n_t{days}"] = r.n
            out[f"{category}_p_t{days}"] = round(r.predicted, 4)
            out[f"{category}_renewed_t{days}"] = round(r.observed, 4)
    return out


def run(spec: SuiteSpec, ctx: EvalContext) -> list[Outcome]:
    playbook, forecast = load_play_configs()
    renewal = next((p for p in playbook.plays if p.anchor == "renewal"), None)
    scoring = ScoringConfig.load()
    days = int(spec.params.get("period_days", 365))
    outcomes = []
    replays: dict[str, list[ReplayedForecast]] = {}
    for case in read_cases(spec.dataset or ""):
        book = book_for(ctx, {**spec.params, **case.input})
        replayed = replay_forecast(
            book.engine, scoring, forecast, book.as_of - timedelta(days=days), book.as_of, renewal_play=renewal
        )
        replays[case.id] = replayed
        output = figures(score_replay(replayed))
        source = case.input.get("calibrate_on")
        if source in replays:  # probabilities proposed on another book, scored on this one
            proposed = {c.name: c.probability for c in propose(forecast, replays[source]).config.categories}
            again = [replace(r, probability=proposed[r.category]) for r in replayed]
            output |= {f"calibrated_{k}": v for k, v in figures(score_replay(again)).items() if "brier" in k}
        outcomes.append(Outcome(case.id, case.input, case.expected, output, case.rationale))
    return outcomes
