"""Scoring arithmetic: weights, redistribution, bands, caps, group scores, reasons."""

from __future__ import annotations

import pytest

from scorecards.health_model import HealthModel
from scorecards.reasons import explain, limit_text
from scorecards.scoring import score_account
from signals.derived import SignalValue

MODEL = HealthModel.model_validate(
    {
        "version": "t",
        "groups": [
            {
                "name": "usage",
                "weight": 50,
                "signals": [
                    {
                        "name": "logins",
                        "source": "signal:logins_per_user_month",
                        "thresholds": {"healthy": 15, "at_risk": 5},
                    },
                    {"name": "breadth", "source": "signal:feature_breadth", "scale": {"worst": 0, "best": 10}},
                ],
            },
            {
                "name": "money",
                "weight": 50,
                "signals": [
                    {
                        "name": "overdue",
                        "source": "signal:days_overdue",
                        "direction": "lower_is_better",
                        "thresholds": {"healthy": 5, "at_risk": 10},
                    }
                ],
            },
        ],
        "caps": [{"signal": "overdue", "max_score": 59.9, "reason": "an invoice is badly overdue"}],
    }
)
RESOLVED = MODEL.resolve(None)


def values(logins=None, breadth=None, overdue=None) -> dict[str, SignalValue]:
    return {
        "signal:logins_per_user_month": SignalValue(logins, ("usage rows",)),
        "signal:feature_breadth": SignalValue(breadth),
        "signal:days_overdue": SignalValue(overdue),
    }


def test_all_present() -> None:
    result = score_account(RESOLVED, values(logins=20, breadth=5, overdue=0))
    # logins 100 x 0.25 + breadth 50 x 0.25 + overdue 100 x 0.5
    assert result.score == 87.5
    assert result.band == "Green"
    assert result.completeness == 100.0
    assert result.groups == {"usage": 75.0, "money": 100.0}
    assert sum(c.points for c in result.contributions) == pytest.approx(87.5)


def test_missing_signals_spread_their_weight_in_proportion() -> None:
    result = score_account(RESOLVED, values(logins=10, overdue=7))
    # present weights 0.25 and 0.5 become 1/3 and 2/3: 50 x 1/3 + 50 x 2/3
    assert result.score == 50.0
    assert result.completeness == 75.0
    weights = {c.signal: round(c.weight, 3) for c in result.contributions}
    assert weights == {"logins": 0.333, "breadth": 0.0, "overdue": 0.667}
    assert result.groups["usage"] == 50.0


def test_no_data_means_no_score() -> None:
    result = score_account(RESOLVED, values())
    assert (result.score, result.band, result.completeness) == (None, None, 0.0)


@pytest.mark.parametrize(
    ("score", "band"),
    [
        (100, "Green"),
        (80, "Green"),
        (79.9, "Yellow"),
        (60, "Yellow"),
        (59.9, "Orange"),
        (40, "Orange"),
        (39.9, "Red"),
        (0, "Red"),
    ],
)
def test_band_edges(score: float, band: str) -> None:
    assert MODEL.band_for(score) == band


def test_linear_scale_is_clamped() -> None:
    spec = RESOLVED.signals[1].spec
    assert [spec.score(v, MODEL.points) for v in (-3, 0, 2.5, 10, 40)] == [0, 0, 25, 100, 100]


def test_a_cap_holds_the_score_down_while_its_signal_is_critical() -> None:
    result = score_account(RESOLVED, values(logins=20, breadth=10, overdue=30))
    assert result.uncapped == 50.0
    assert result.score == 50.0  # already under the cap: nothing changes
    capped = score_account(
        MODEL.model_copy(update={"caps": [MODEL.caps[0].model_copy(update={"max_score": 40})]}).resolve(None),
        values(logins=20, breadth=10, overdue=30),
    )
    assert (capped.score, capped.band) == (40, "Orange")
    assert [fired.limit.reason for fired in capped.caps] == ["an invoice is badly overdue"]


def test_reasons_rank_the_biggest_moves_and_carry_evidence() -> None:
    before = [c.as_dict() for c in score_account(RESOLVED, values(logins=20, breadth=5, overdue=0)).contributions]
    after = [c.as_dict() for c in score_account(RESOLVED, values(logins=3, breadth=6, overdue=0)).contributions]
    reasons = explain(after, before)
    assert reasons[0].signal == "logins"
    assert reasons[0].delta_points == -25.0
    assert reasons[0].text == "logins per active user per month worsened: 20 -> 3"
    assert reasons[0].evidence == ("usage rows",)
    assert reasons[1].signal == "breadth" and reasons[1].delta_points == 2.5


def test_drivers_in_the_direction_of_the_change_come_before_offsets() -> None:
    before = [c.as_dict() for c in score_account(RESOLVED, values(logins=3, breadth=0, overdue=0)).contributions]
    after = [c.as_dict() for c in score_account(RESOLVED, values(logins=3, breadth=10, overdue=7)).contributions]
    # breadth +25 points, overdue -25 points; the total went down, so overdue leads
    assert [r.signal for r in explain(after, before, direction=-1.0)] == ["overdue", "breadth"]
    assert [r.signal for r in explain(after, before, direction=+1.0)] == ["breadth", "overdue"]


def test_without_a_previous_scorecard_the_weakest_signals_are_the_reasons() -> None:
    now = [c.as_dict() for c in score_account(RESOLVED, values(logins=3, breadth=10, overdue=0)).contributions]
    [reason] = explain(now, None)
    assert reason.signal == "logins" and reason.text == "logins per active user per month is 3"


COLLAPSE = {
    "name": "usage_collapse",
    "when": [{"source": "signal:active_users_vs_baseline", "at_most": -0.5}],
    "max_band": "Orange",
    "reason": "active users fell by half or more",
}


def limited(caps: list[dict], floors: list[dict] = ()) -> HealthModel:
    return HealthModel.model_validate({**MODEL.model_dump(exclude={"caps"}), "caps": caps, "floors": list(floors)})


def healthy(**extra: SignalValue) -> dict[str, SignalValue]:
    """Every weighted signal healthy (87.5, Green) plus the condition-only sources given."""
    return {**values(logins=20, breadth=5, overdue=0), **{f"signal:{k}": v for k, v in extra.items()}}


def test_a_cap_on_a_source_the_model_does_not_weigh() -> None:
    model = limited([COLLAPSE])
    assert "signal:active_users_vs_baseline" in model.sources  # so scorecards compute it
    fell = healthy(active_users_vs_baseline=SignalValue(-0.63, ("usage rows",), "30.5 vs 83.5"))
    result = score_account(model.resolve(None), fell)
    assert (result.uncapped, result.score, result.band) == (87.5, 59.9, "Orange")
    assert [f.limit.name for f in result.caps] == ["usage_collapse"]
    assert result.caps[0].evidence == ("usage rows",)
    line = limit_text("cap", "Orange", COLLAPSE["reason"], list(result.caps[0].values))
    assert line == (
        "capped at Orange: active users fell by half or more (active users vs own level -63%: 30.5 vs 83.5)"
    )
    held = score_account(model.resolve(None), healthy(active_users_vs_baseline=SignalValue(-0.49)))
    assert (held.score, held.caps) == (87.5, ())


def test_a_cap_whose_conditions_have_no_data_does_not_fire() -> None:
    model = limited([COLLAPSE])
    assert score_account(model.resolve(None), healthy()).band == "Green"
    assert score_account(model.resolve(None), healthy(active_users_vs_baseline=SignalValue(None))).band == "Green"


def test_every_condition_must_hold() -> None:
    both = {
        "name": "champion_gone_nobody_engaged",
        "when": [{"signal": "overdue", "at_least": 1}, {"source": "signal:engaged_stakeholders", "equals": 0}],
        "max_score": 45,
        "reason": "x",
    }
    resolved = limited([both]).resolve(None)
    one = {**values(logins=20, breadth=5, overdue=3), "signal:engaged_stakeholders": SignalValue(2.0)}
    assert score_account(resolved, one).caps == ()
    two = {**one, "signal:engaged_stakeholders": SignalValue(0.0)}
    assert score_account(resolved, two).score == 45


def test_the_lowest_cap_wins_and_every_cap_that_lowered_the_score_is_listed() -> None:
    red = {**COLLAPSE, "name": "deep", "max_band": "Red", "when": [{"signal": "logins", "at_most": 25}]}
    yellow = {**COLLAPSE, "name": "mild", "max_band": "Yellow", "when": [{"signal": "logins", "at_least": 0}]}
    model = limited([yellow, COLLAPSE, red])
    result = score_account(model.resolve(None), healthy(active_users_vs_baseline=SignalValue(-0.7)))
    assert (result.score, result.band) == (39.9, "Red")
    assert [f.limit.name for f in result.caps] == ["deep", "usage_collapse", "mild"]


FLOOR = {"name": "paid_up", "when": [{"signal": "overdue", "at_most": 0}], "min_band": "Yellow", "reason": "x"}


def test_a_floor_lifts_a_score_but_never_over_a_cap_that_fires() -> None:
    low = {**values(logins=1, breadth=0, overdue=0), "signal:active_users_vs_baseline": SignalValue(-0.6)}
    lifted = score_account(limited([], [FLOOR]).resolve(None), low)  # no cap: the floor holds
    assert (lifted.uncapped, lifted.score, lifted.band) == (50.0, 60.0, "Yellow")
    assert [(f.kind, f.limit.name) for f in lifted.caps] == [("floor", "paid_up")]
    # a cap that fires keeps the floor off, even a cap the score is already under
    above = {**COLLAPSE, "max_band": "Green", "when": [{"source": "signal:active_users_vs_baseline", "at_most": 0}]}
    for cap in (COLLAPSE, above):
        result = score_account(limited([cap], [FLOOR]).resolve(None), low)
        assert (result.score, result.band) == (50.0, "Orange"), cap
        assert all(f.kind == "cap" for f in result.caps)


def test_the_older_cap_form_means_while_the_signal_reads_critical() -> None:
    model = limited([{"signal": "overdue", "max_score": 45, "reason": "an invoice is badly overdue"}])
    assert model.caps[0].name == "overdue"
    resolved = model.resolve(None)
    assert score_account(resolved, values(logins=20, breadth=10, overdue=9)).score == 75  # at risk, not critical
    assert score_account(resolved, values(logins=20, breadth=10, overdue=11)).score == 45
