"""Schedule arithmetic and the watchtower policy file's validation."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from agents.configuration import Schedule, load_watchtower_config
from agents.schedule import cadence_days, is_due, next_wait
from core.config_errors import ConfigError


def test_segment_cadence_slows_the_weekly_agents_but_not_product_health() -> None:
    schedule = load_watchtower_config().schedule
    assert cadence_days(schedule, "product_health", 30) == 1
    assert cadence_days(schedule, "sentiment", 7) == 7  # Strategic: weekly
    assert cadence_days(schedule, "financial", 14) == 14  # Growth: bi-weekly
    assert cadence_days(schedule, "market_intel", 30) == 30  # Core: monthly
    assert cadence_days(Schedule(), "sentiment", None) == 7


def test_due_when_never_run_or_a_cadence_has_passed() -> None:
    today = date(2026, 11, 23)
    assert is_due(None, today, 7)
    assert is_due(date(2026, 11, 16), today, 7)
    assert not is_due(date(2026, 11, 17), today, 7)


def test_a_bad_threshold_is_named_by_its_key(tmp_path: Path) -> None:
    path = tmp_path / "watchtowers.yaml"
    path.write_text("version: x\nproduct_health:\n  usage_drop:\n    drop_pct: 150\nfinancial:\n  overdue: 3\n")
    with pytest.raises(ConfigError) as caught:
        load_watchtower_config(path)
    message = str(caught.value)
    assert "product_health.usage_drop.drop_pct: Input should be less than 100" in message
    assert "financial.overdue: Extra inputs are not permitted" in message


def test_the_shipped_policy_holds_the_seeds_default_alerts() -> None:
    config = load_watchtower_config()
    assert config.product_health.usage_drop.drop_pct == 10
    assert config.sentiment.detractor_share_pct == 20
    assert config.financial.overdue_days == 10


def test_a_failed_tick_is_retried_sooner_then_later_and_later_up_to_the_cap() -> None:
    schedule = Schedule(tick_seconds=3600, retry_seconds=60, retry_max_seconds=300)
    assert [next_wait(schedule, n) for n in range(6)] == [3600, 60, 120, 240, 300, 300]
    assert next_wait(schedule, 10_000) == 300


def test_a_retry_cap_below_the_first_retry_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "watchtowers.yaml"
    path.write_text("version: x\nschedule:\n  retry_seconds: 600\n  retry_max_seconds: 60\n")
    with pytest.raises(ConfigError, match=r"retry_max_seconds \(60\) must not be below retry_seconds \(600\)"):
        load_watchtower_config(path)
