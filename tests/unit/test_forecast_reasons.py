"""Each forecast label explains itself in one line: the condition that fired, with its values."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from core.conditions import held_terms, parse, summary
from playbooks.facts import AccountFacts, ContractTerm
from playbooks.forecast import forecast_row, load_forecast_config
from playbooks.forecast_reasons import explain

AS_OF = date(2026, 11, 22)
RULES = """
version: test-1
engagement_days: {default: 45, Core: 120, Strategic: 30}
categories:
  - {name: churn, if: "churned or alert.cancel_intent", probability: 0.1}
  - name: at_risk
    if: "band in ('Orange', 'Red') or timeline == 'stuck' or (not engaged and days_to_renewal <= 90)"
    probability: 0.4
  - {name: upside, if: "band == 'Yellow' or not champion_present", probability: 0.7}
  - {name: commit, if: "true", probability: 0.95}
"""


def test_only_the_terms_that_held_are_named() -> None:
    condition = parse("band in ('Orange', 'Red') or timeline == 'stuck' or (not engaged and days_to_renewal <= 90)")
    facts = {"band": "Green", "timeline": "on_track", "engaged": False, "days_to_renewal": 41}
    assert [t.source for t in held_terms(condition, facts)] == ["not engaged", "days_to_renewal <= 90"]
    assert held_terms(condition, facts | {"engaged": True}) == []


def test_a_long_condition_is_summarised_by_what_it_reads() -> None:
    long = "days_to_renewal <= 120 or (days_to_renewal <= 180 and band in ('Yellow', 'Orange', 'Red'))"
    assert summary(parse(long)) == "any of: days_to_renewal, band"
    assert summary(parse("alert.usage_decline and alert.usage_decline.change <= -0.5")) == (
        "all of: alert.usage_decline"
    )


@pytest.fixture
def config(tmp_path: Path):
    path = tmp_path / "forecast.yaml"
    path.write_text(RULES, encoding="utf-8")
    return load_forecast_config(path)


def _row(config, segment: str, days_since_engagement: int | None, end: date, **values):
    account = AccountFacts(
        1,
        "ACC-1",
        "Acme",
        None,
        {
            "segment": segment,
            "band": "Green",
            "score": 84,
            "churned": False,
            "champion_present": True,
            "days_since_engagement": days_since_engagement,
            "engaged": days_since_engagement is not None and days_since_engagement <= 45,
            "alert": {},
            **values,
        },
    )
    contract = ContractTerm(7, "ACC-1-C1", date(2026, 1, 2), end, 12_000.0, "active", 10, ("core",))
    return forecast_row(config, account, contract, [], AS_OF, None)


def test_the_label_names_the_condition_that_fired_with_its_values(config) -> None:
    row = _row(config, "Strategic", 52, date(2027, 1, 2))
    assert row["category"] == "at_risk"
    assert explain(row["rule"], row["category"], row["facts"]) == (
        "at risk: no customer contact in 52 days, renewal in 41 days"
    )
    quiet = _row(config, "Growth", None, date(2027, 1, 2), band="Orange", score=51)
    assert explain(quiet["rule"], quiet["category"], quiet["facts"]) == (
        "at risk: health Orange (score 51); no customer contact on record, renewal in 41 days"
    )
    stored_earlier = {k: v for k, v in row["facts"].items() if k != "days_since_engagement"}
    assert explain(row["rule"], row["category"], stored_earlier) == (
        "at risk: no customer contact in the engagement window, renewal in 41 days"
    )
    fine = _row(config, "Growth", 10, date(2027, 1, 2))
    assert explain(fine["rule"], fine["category"], fine["facts"]) == "commit: no risk condition holds"


def test_engagement_is_measured_over_the_segments_window(config) -> None:
    """Sixty days without a call is the usual rhythm of a low-touch account, and a warning at a strategic one."""
    end = date(2027, 1, 2)
    assert _row(config, "Core", 60, end)["category"] == "commit"
    assert _row(config, "Strategic", 60, end)["category"] == "at_risk"
    assert _row(config, "Growth", 60, end)["category"] == "at_risk"  # the default window
    assert _row(config, "Core", 60, end)["facts"]["engagement_days"] == 120


def test_windows_without_a_default_are_refused_naming_the_key(tmp_path: Path) -> None:
    path = tmp_path / "forecast.yaml"
    path.write_text(RULES.replace("{default: 45, ", "{"), encoding="utf-8")
    with pytest.raises(Exception, match="engagement_days"):
        load_forecast_config(path)
