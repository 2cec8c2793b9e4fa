"""The health model file: shipped models load, mistakes are named by key, segments override."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from core.config_errors import ConfigError
from core.config_files import SHIPPED_DIR
from scorecards.health_model import load_health_model
from scorecards.segments import load_segment_rules

MINIMAL = {
    "version": "t1",
    "groups": [
        {
            "name": "usage",
            "weight": 60,
            "signals": [
                {
                    "name": "logins",
                    "source": "signal:logins_per_user_month",
                    "thresholds": {"healthy": 15, "at_risk": 5},
                }
            ],
        },
        {
            "name": "money",
            "weight": 40,
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
}


def write(tmp_path: Path, data: dict) -> Path:
    path = tmp_path / "model.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def broken(tmp_path: Path, change) -> str:
    data = yaml.safe_load(yaml.safe_dump(MINIMAL))
    change(data)
    with pytest.raises(ConfigError) as info:
        load_health_model(write(tmp_path, data))
    return str(info.value)


@pytest.mark.parametrize("name", ["health_model.yaml", "health_model_framework.yaml"])
def test_shipped_models_load_and_weights_sum_to_one(name: str) -> None:
    model = load_health_model(SHIPPED_DIR / name)
    for segment in (None, "Core", "Growth", "Strategic"):
        assert sum(s.weight for s in model.resolve(segment).signals) == pytest.approx(1.0)


def test_seeds_matrix_group_weights() -> None:
    model = load_health_model(SHIPPED_DIR / "health_model.yaml")
    assert [g.weight for g in model.groups] == [25, 20, 15, 15, 15, 10]


def test_unknown_signal_is_named_by_group_and_signal(tmp_path: Path) -> None:
    message = broken(tmp_path, lambda d: d["groups"][0]["signals"][0].update(source="signal:nope"))
    assert "groups[usage].signals[logins].source: unknown derived signal 'nope'" in message
    assert str(tmp_path / "model.yaml") in message


def test_thresholds_must_point_the_right_way(tmp_path: Path) -> None:
    message = broken(tmp_path, lambda d: d["groups"][1]["signals"][0].update(thresholds={"healthy": 20, "at_risk": 10}))
    assert "groups[money].signals[overdue]" in message and "lower_is_better" in message


def test_exactly_one_scoring_rule(tmp_path: Path) -> None:
    message = broken(tmp_path, lambda d: d["groups"][0]["signals"][0].update(scale={"worst": 0, "best": 1}))
    assert "exactly one of 'thresholds' or 'scale'" in message


def test_unknown_keys_and_bad_bands_are_refused(tmp_path: Path) -> None:
    assert "groups[usage].wieght" in broken(tmp_path, lambda d: d["groups"][0].update(wieght=3))
    assert "last band must start at 0" in broken(tmp_path, lambda d: d.update(bands=[{"name": "Good", "min": 50}]))
    assert "unknown group 'nope'" in broken(tmp_path, lambda d: d.update(segments={"Core": {"groups": {"nope": 1}}}))
    assert "unknown signal 'nope'" in broken(
        tmp_path, lambda d: d.update(caps=[{"signal": "nope", "max_score": 79, "reason": "x"}])
    )


def test_invalid_yaml_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "m.yaml"
    path.write_text("version: 1\ngroups: [\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"line \d+\): not valid YAML"):
        load_health_model(path)


def test_segment_overrides_change_weights_and_thresholds(tmp_path: Path) -> None:
    data = {
        **MINIMAL,
        "segments": {
            "Core": {"groups": {"usage": 20}, "signals": {"logins": {"thresholds": {"healthy": 8, "at_risk": 2}}}}
        },
    }
    model = load_health_model(write(tmp_path, data))
    default, core = model.resolve(None), model.resolve("Core")
    assert [round(s.weight, 2) for s in default.signals] == [0.6, 0.4]
    assert [round(s.weight, 2) for s in core.signals] == [0.33, 0.67]
    assert core.signals[0].spec.thresholds.healthy == 8
    assert default.signals[0].spec.thresholds.healthy == 15


def test_segment_rules_follow_the_seeds() -> None:
    rules = load_segment_rules(SHIPPED_DIR / "segments.yaml")
    assert rules.segment_for(60_000, 2).name == "Strategic"
    assert rules.segment_for(60_000, 1).name == "Growth"
    assert rules.segment_for(15_000, 1).name == "Growth"
    assert rules.segment_for(14_999, 1).name == "Core"
    assert rules.segment_for(None, 0).name == "Core"
    assert rules.segment_for(5_000, 1, imported="Strategic").name == "Strategic"
    assert rules.segment_for(5_000, 1, imported="Unknown").name == "Core"
    assert [r.review_cadence_days for r in rules.segments] == [7, 14, 30]


def test_segment_rules_need_a_catch_all(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text("segments:\n  - {name: Big, arr_min: 100, review_cadence_days: 7}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="the last rule must have no conditions"):
        load_segment_rules(path)


CAP = {"name": "overdue_60", "when": [{"signal": "overdue", "at_least": 60}], "max_band": "Orange", "reason": "x"}


def test_cap_and_floor_mistakes_are_named_by_key(tmp_path: Path) -> None:
    def with_caps(*caps: dict, floors: tuple[dict, ...] = ()):
        return lambda d: d.update(caps=list(caps), floors=list(floors))

    unknown = {**CAP, "when": [{"signal": "overdue", "at_least": 1}, {"signal": "x", "at_most": 0}]}
    assert "caps[1].when[1].signal: unknown signal 'x'" in broken(tmp_path, with_caps(CAP, {**unknown, "name": "b"}))
    both = {**CAP, "max_score": 59.9}
    assert "caps[overdue_60]: give exactly one of max_band or max_score" in broken(tmp_path, with_caps(both))
    neither = {k: v for k, v in CAP.items() if k != "max_band"}
    assert "caps[overdue_60]: give exactly one of max_band or max_score" in broken(tmp_path, with_caps(neither))
    assert "caps[0].max_band: unknown band 'Purple'; bands are Green, Yellow, Orange, Red" in broken(
        tmp_path, with_caps({**CAP, "max_band": "Purple"})
    )
    floor = {"name": "f", "when": [{"signal": "logins", "at_least": 1}], "min_band": "Amber", "reason": "x"}
    assert "floors[0].min_band: unknown band 'Amber'" in broken(tmp_path, with_caps(floors=(floor,)))
    source = {**CAP, "when": [{"source": "signal:nope", "at_most": 0}]}
    assert "caps[overdue_60].when[0].source: unknown derived signal 'nope'" in broken(tmp_path, with_caps(source))
    untested = {**CAP, "when": [{"signal": "overdue"}]}
    assert "caps[overdue_60].when[0]: give at least one of" in broken(tmp_path, with_caps(untested))
    two = {**CAP, "when": [{"signal": "overdue", "source": "signal:days_overdue", "at_least": 1}]}
    assert "caps[overdue_60].when[0]: give exactly one of 'signal'" in broken(tmp_path, with_caps(two))
    assert "caps[1].name: 'overdue_60' is used twice" in broken(tmp_path, with_caps(CAP, CAP))


def test_band_limits_sit_just_under_the_next_band(tmp_path: Path) -> None:
    bands = [{"name": "Good", "min": 70}, {"name": "Watch", "min": 45}, {"name": "Bad", "min": 0}]
    floor = {"name": "f", "when": [{"signal": "logins", "at_least": 1}], "min_band": "Watch", "reason": "x"}
    caps = [
        {**CAP, "max_band": "Watch"},
        {**CAP, "name": "b", "max_band": "Good"},
        {**{k: v for k, v in CAP.items() if k != "max_band"}, "name": "c", "max_score": 12},
    ]
    model = load_health_model(write(tmp_path, {**MINIMAL, "bands": bands, "caps": caps, "floors": [floor]}))
    assert [model.ceiling(c) for c in model.caps] == [69.9, 100.0, 12]
    assert model.floor_of(model.floors[0]) == 45


def test_the_older_cap_form_still_loads(tmp_path: Path) -> None:
    old = {"signal": "overdue", "max_score": 79.9, "reason": "an invoice is overdue"}
    model = load_health_model(write(tmp_path, {**MINIMAL, "caps": [old]}))
    cap = model.caps[0]
    assert (cap.name, cap.max_score, cap.when[0].signal, cap.when[0].reads) == ("overdue", 79.9, "overdue", "critical")
    assert "unknown signal 'nope'" in broken(tmp_path, lambda d: d.update(caps=[{**old, "signal": "nope"}]))


def test_shipped_model_takes_critical_conditions_out_of_yellow() -> None:
    model = load_health_model(SHIPPED_DIR / "health_model.yaml")
    orange = {c.name for c in model.caps if model.band_for(model.ceiling(c)) == "Orange"}
    assert {"usage_collapse", "login_collapse", "champion_gone_nobody_engaged", "invoice_60_days_overdue"} <= orange
    assert {"signal:active_users_vs_baseline", "signal:days_since_cancel_intent"} <= model.sources
    assert model.floors == []


@pytest.mark.parametrize(
    ("change", "key"),
    [
        (lambda d: d["groups"][0].update(weight=float("inf")), "groups[usage].weight"),
        (lambda d: d["groups"][0]["signals"][0].update(weight=float("inf")), "signals[logins].weight"),
        (lambda d: d["groups"][0]["signals"][0].update(thresholds={"healthy": float("inf"), "at_risk": 5}), "healthy"),
        (
            lambda d: d["groups"][0]["signals"][0].update(thresholds=None, scale={"worst": float("-inf"), "best": 1}),
            "scale.worst",
        ),
        (lambda d: d.update(caps=[{**CAP, "when": [{"signal": "overdue", "at_least": float("nan")}]}]), "at_least"),
        (lambda d: d.update(segments={"Core": {"groups": {"usage": float("nan")}}}), "segments.Core.groups.usage"),
        (lambda d: d.update(segments={"Core": {"signals": {"logins": {"weight": float("inf")}}}}), "logins.weight"),
    ],
)
def test_infinite_and_nan_numbers_are_refused_by_key(tmp_path: Path, change, key: str) -> None:
    """A NaN bound holds for every value (every comparison with it is false) and an infinite weight leaves no
    score at all: both are refused when the file is read, not found by the next run."""
    message = broken(tmp_path, change)
    assert key in message and "finite number" in message


def test_segment_group_weights_must_be_positive(tmp_path: Path) -> None:
    message = broken(tmp_path, lambda d: d.update(segments={"Core": {"groups": {"usage": -10}}}))
    assert "segments.Core.groups.usage: Input should be greater than 0" in message
    message = broken(tmp_path, lambda d: d.update(segments={"Core": {"groups": {"usage": 0, "money": 0}}}))
    assert "segments.Core.groups.usage" in message


def test_band_names_are_unique(tmp_path: Path) -> None:
    bands = [{"name": "Good", "min": 70}, {"name": "Good", "min": 45}, {"name": "Bad", "min": 0}]
    assert "bands: each name once, repeated: Good" in broken(tmp_path, lambda d: d.update(bands=bands))


def test_weights_too_large_to_add_up_are_refused(tmp_path: Path) -> None:
    """Two weights of 1e308 add up to infinity, which leaves every share zero and no score."""
    message = broken(tmp_path, lambda d: [g.update(weight=1e308) for g in d["groups"]])
    assert "groups[usage].weight: Input should be less than or equal to 1000000" in message
