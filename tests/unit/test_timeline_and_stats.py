"""Pure pieces of plays: milestone status, holdout assignment, the experiment statistics and forecast rules."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from core.config_files import SHIPPED_DIR
from playbooks.experiments import mean_difference, newcombe, wilson
from playbooks.forecast import categorise, load_forecast_config
from playbooks.play_config import load_playbook
from playbooks.play_engine import in_holdout
from playbooks.timeline import milestone_status

DUE = date(2027, 1, 10)


def status(as_of: date, done: date | None = None, next_due: date | None = None) -> str:
    return milestone_status(DUE, done, as_of, next_due_on=next_due, stuck_after_days=14)


def test_a_milestone_moves_from_on_track_to_behind_to_stuck() -> None:
    assert status(DUE - timedelta(days=30)) == "on_track"
    assert status(DUE) == "on_track"  # due today is not late yet
    assert status(DUE + timedelta(days=1)) == "behind"
    assert status(DUE + timedelta(days=14)) == "behind"
    assert status(DUE + timedelta(days=15)) == "stuck"


def test_missing_the_next_milestone_too_is_stuck_and_done_is_on_track() -> None:
    assert status(DUE + timedelta(days=5), next_due=DUE + timedelta(days=4)) == "stuck"
    assert status(DUE + timedelta(days=5), next_due=DUE + timedelta(days=5)) == "behind"
    assert status(DUE + timedelta(days=40), done=DUE + timedelta(days=3)) == "on_track"
    # a completion recorded after the date looked at does not count yet
    assert status(DUE + timedelta(days=2), done=DUE + timedelta(days=3)) == "behind"


def test_holdout_assignment_is_stable_and_close_to_the_share() -> None:
    playbook = load_playbook(SHIPPED_DIR / "plays.yaml")
    play = playbook.play("power_users").model_copy(update={"holdout_pct": 20.0})
    accounts = [f"ACC-{n:05d}" for n in range(1, 5001)]
    first = [in_holdout(play, a) for a in accounts]
    assert first == [in_holdout(play, a) for a in accounts]
    assert 0.18 < sum(first) / len(first) < 0.22
    other = playbook.play("department_expansion").model_copy(update={"holdout_pct": 20.0})
    assert first != [in_holdout(other, a) for a in accounts]  # each play draws its own holdout
    assert not any(in_holdout(playbook.play("power_users"), a) for a in accounts)  # 0% holds out nobody


def test_wilson_and_newcombe_intervals_match_published_values() -> None:
    # Newcombe (1998), example: 56/70 vs 48/80 -> difference 0.2000, method 10 interval 0.0524 to 0.3339
    d, low, high = newcombe(56, 70, 48, 80)
    assert d == pytest.approx(0.2)
    assert low == pytest.approx(0.0524, abs=5e-4)
    assert high == pytest.approx(0.3339, abs=5e-4)
    low1, high1 = wilson(81, 263)
    assert low1 == pytest.approx(0.2553, abs=5e-4) and high1 == pytest.approx(0.3662, abs=5e-4)


def test_mean_difference_interval_contains_zero_for_the_same_samples() -> None:
    d, low, high = mean_difference([1.0, 2.0, 3.0, 4.0], [1.0, 2.0, 3.0, 4.0])
    assert d == 0 and low < 0 < high


@pytest.mark.parametrize(
    ("facts", "expected"),
    [
        ({"band": "Green", "timeline": "on_track", "engaged": True, "champion_present": True}, "commit"),
        ({"band": "Yellow", "timeline": "on_track", "engaged": True, "champion_present": True}, "upside"),
        ({"band": "Green", "timeline": "behind", "engaged": True, "champion_present": True}, "upside"),
        ({"band": "Green", "timeline": "on_track", "engaged": True, "champion_present": False}, "upside"),
        ({"band": "Orange", "timeline": "on_track", "engaged": True, "champion_present": True}, "at_risk"),
        ({"band": "Green", "timeline": "stuck", "engaged": True, "champion_present": True}, "at_risk"),
        (
            {
                "band": "Green",
                "timeline": "on_track",
                "engaged": False,
                "days_to_renewal": 60,
                "champion_present": True,
            },
            "upside",  # quiet near renewal: on the working book those renewed 94% of the time
        ),
        ({"band": "Red", "timeline": "on_track", "engaged": True, "champion_present": True}, "churn"),
        (
            {
                "band": "Green",
                "timeline": "on_track",
                "engaged": True,
                "champion_present": True,
                "alert": {"cancel_intent": {"severity": "high"}},
            },
            "churn",
        ),
    ],
)
def test_forecast_categories_on_planted_facts(facts: dict, expected: str) -> None:
    config = load_forecast_config(SHIPPED_DIR / "forecast.yaml")
    rule, evidence = categorise(config, {"alert": {}, **facts})
    assert rule.name == expected
    assert evidence or rule.if_ == "true"  # the facts the deciding rule read are kept with the forecast
