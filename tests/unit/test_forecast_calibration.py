"""Brier score, reliability per category and the proposal drawn from replayed forecasts."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from playbooks.forecast import load_forecast_config
from playbooks.forecast_calibration import propose, score_replay
from playbooks.forecast_replay import ReplayedForecast

SHIPPED = Path(__file__).resolve().parents[2] / "core" / "defaults" / "forecast.yaml"
P = {"commit": 0.95, "upside": 0.7, "at_risk": 0.4, "churn": 0.1}


def _replayed(category: str, renewed: bool, *, before: int = 90, since: int | None = 10, segment: str = "Core"):
    return ReplayedForecast(
        1, 1, segment, date(2026, 6, 1), before, category, P[category], renewed, Decimal("1000"),
        {"days_since_engagement": since, "segment": segment},
    )  # fmt: skip


def test_brier_and_reliability_against_the_base_rate() -> None:
    rows = [_replayed("commit", True)] * 8 + [_replayed("commit", False)] * 2 + [_replayed("at_risk", False)] * 10
    score = score_replay(rows)[90]
    # commit: 8 x 0.05^2 + 2 x 0.95^2; at_risk: 10 x 0.4^2
    assert score.brier == pytest.approx((8 * 0.0025 + 2 * 0.9025 + 10 * 0.16) / 20)
    assert score.base_rate == pytest.approx(0.4)
    assert score.base_brier == pytest.approx(0.24)  # p (1 - p) for a constant forecast of the base rate
    assert score.skill == pytest.approx(1 - score.brier / 0.24)
    commit = score.reliability["commit"]
    assert (commit.n, commit.renewed, commit.predicted, commit.observed) == (10, 8, 0.95, 0.8)
    assert score.reliability["at_risk"].observed == 0.0


def test_swapped_probabilities_score_worse_than_the_base_rate() -> None:
    rows = [_replayed("commit", True)] * 9 + [_replayed("at_risk", False)] * 6 + [_replayed("at_risk", True)] * 3
    good = score_replay(rows)[90]
    swapped = [
        ReplayedForecast(**{**r.__dict__, "probability": P["at_risk"] if r.category == "commit" else P["commit"]})
        for r in rows
    ]
    bad = score_replay(swapped)[90]
    assert good.brier < good.base_brier < bad.brier


def test_the_proposal_moves_probabilities_to_what_renewed_shrunk_toward_the_base_rate() -> None:
    config = load_forecast_config(SHIPPED)
    rows = [_replayed("commit", True)] * 40 + [_replayed("upside", True)] * 20 + [_replayed("upside", False)] * 20
    proposal = propose(config, rows, prior_weight=10)
    probabilities = {c.name: c.probability for c in proposal.config.categories}
    base = 60 / 80
    assert probabilities["commit"] == round((40 + 10 * base) / 50, 2)
    assert probabilities["upside"] == round((20 + 10 * base) / 50, 2)
    assert probabilities["churn"] == config.categories[0].probability  # no evidence: unchanged, and said so
    assert any("churn" in note and "no renewal" in note for note in proposal.notes)
    assert [c.if_ for c in proposal.config.categories] == [c.if_ for c in config.categories]


def test_a_window_is_proposed_only_where_contact_separates_renewals_from_churn() -> None:
    config = load_forecast_config(SHIPPED)
    near = [_replayed("commit", True, since=s) for s in range(5, 65)]  # contacted recently: renewed
    far = [_replayed("at_risk", False, since=s) for s in range(100, 130)]  # silent for months: churned
    mixed = [_replayed("commit", True, since=200, segment="Strategic"), _replayed("commit", False, segment="Strategic")]
    proposal = propose(config, near + far + mixed, prior_weight=10)
    assert 65 <= proposal.config.engagement_days["Core"] <= 100
    assert proposal.config.engagement_days["Strategic"] == config.engagement_days["Strategic"]
    assert any("Strategic" in note and "kept" in note for note in proposal.notes)
