from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from core.config_files import SHIPPED_DIR
from scorecards.calibration import OutcomesError, fit_logistic, folds_for, propose, read_outcomes
from scorecards.health_model import load_health_model

BASE = load_health_model(SHIPPED_DIR / "health_model.yaml")


def test_fit_finds_direction_and_ignores_noise() -> None:
    rng = np.random.default_rng(1)
    usage = rng.normal(10, 3, 600)
    noise = rng.normal(0, 1, 600)
    overdue = rng.exponential(5, 600)
    logit = -0.6 * (usage - 10) + 0.3 * (overdue - 5)
    y = (rng.random(600) < 1 / (1 + np.exp(-logit))).astype(float)
    X = np.column_stack([usage, noise, overdue])
    X[::7, 2] = np.nan  # missing values take the training median
    fit = fit_logistic(X, y)
    assert fit.coef[0] < 0 < fit.coef[2]
    assert abs(fit.coef[1]) < abs(fit.coef[0]) / 4
    model = propose(fit, X, ["signal:logins_per_user_month", "metric:noise", "signal:days_overdue"], BASE, "t", "")
    specs = {s.source: s for g in model.groups for s in g.signals}
    assert specs["signal:logins_per_user_month"].direction == "higher_is_better"
    assert specs["signal:days_overdue"].direction == "lower_is_better"
    assert specs["signal:days_overdue"].scale.worst > specs["signal:days_overdue"].scale.best
    assert {g.name for g in model.groups} >= {"product_usage", "financial"}


def test_folds_are_stratified_and_deterministic() -> None:
    y = np.array([1] * 10 + [0] * 40)
    folds = folds_for(y, 5, seed=3)
    assert [int(y[f].sum()) for f in folds] == [2] * 5
    assert [list(f) for f in folds] == [list(f) for f in folds_for(y, 5, seed=3)]


def test_outcomes_need_both_classes(tmp_path: Path) -> None:
    path = tmp_path / "o.csv"
    path.write_text("account_external_id,churned\nA,0\nB,0\n", encoding="utf-8")
    with pytest.raises(OutcomesError, match="needs both churned and retained"):
        read_outcomes(path)


def test_signals_fitted_against_their_natural_direction_are_left_out() -> None:
    rng = np.random.default_rng(2)
    nps = rng.normal(7, 2, 600)
    breadth = rng.normal(8, 3, 600)
    # In this data, accounts using more features churn more: against feature_breadth's natural direction.
    y = (rng.random(600) < 1 / (1 + np.exp(0.8 * (nps - 7) - 0.6 * (breadth - 8)))).astype(float)
    X = np.column_stack([nps, breadth])
    left_out: list[str] = []
    model = propose(fit_logistic(X, y), X, ["signal:latest_nps", "signal:feature_breadth"], BASE, "t", "", left_out)
    assert left_out == ["feature_breadth"]
    assert [s.source for g in model.groups for s in g.signals] == ["signal:latest_nps"]


def test_a_proposal_keeps_the_caps_whose_signals_it_keeps() -> None:
    rng = np.random.default_rng(2)
    usage, overdue = rng.normal(10, 3, 400), rng.exponential(5, 400)
    y = (rng.random(400) < 1 / (1 + np.exp(0.6 * (usage - 10) - 0.3 * (overdue - 5)))).astype(float)
    X = np.column_stack([usage, overdue])
    model = propose(fit_logistic(X, y), X, ["signal:logins_mom_change", "signal:days_overdue"], BASE, "t", "")
    caps = {c.name: c for c in model.caps}
    # conditions on a source travel as they are; one on a model signal follows it under its proposed name
    assert {"usage_collapse", "login_collapse", "stated_cancel_intent", "invoice_60_days_overdue"} <= set(caps)
    assert caps["logins_falling"].when[0].signal == "logins_mom_change"  # login_change in the base model
    assert caps["logins_falling"].when[0].reads == "critical"
    assert caps["invoice_60_days_overdue"].when[0].signal == "days_overdue"
    assert caps["invoice_60_days_overdue"].max_band == "Orange"
    # the champion is not in the proposal, so neither are the caps that test it
    assert "champion_gone_nobody_engaged" not in caps and "champion_left" not in caps
