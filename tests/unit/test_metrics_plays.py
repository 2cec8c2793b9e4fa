"""Expansion from opportunity plays, churn with and without a risk play, and risk-case resolution time."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import metrics
from tests.factories import BookRows
from tests.unit import metrics_book
from tests.unit.metrics_book import END, KINDS, START


def test_expansion_is_credited_only_within_180_days_after_an_opportunity_play(report):
    expansion = report.get("expansion_from_plays")
    assert expansion.value == 5_000.0
    assert expansion.contract_ids == ["B-2"]  # A-2 also expanded, but its play ended 2025
    assert expansion.unit == "money"


def test_the_play_kinds_come_from_the_shipped_plays_file_by_default(conn):
    metrics_book.build(conn)
    assert metrics.compute(conn, start=START, end=END).get("expansion_from_plays").value == 5_000.0


def test_churn_is_split_by_risk_play_arm_open_during_the_period(report):
    treated = report.get("churn_with_risk_play")
    held = report.get("churn_risk_holdout")
    neither = report.get("churn_without_risk_play")
    assert (treated.account_ids, treated.value) == (["D"], 1.0)
    assert (held.account_ids, held.value) == (["C"], 0.0)
    assert (neither.account_ids, neither.value) == (["A", "B", "E", "G"], 0.0)  # E's play closed before July
    assert treated.components["churned_arr"] == Decimal("4000")


def test_median_days_to_resolve_risk_cases_closed_in_the_period(report):
    cases = report.get("risk_case_median_days")
    assert cases.value == 40.0  # 20, 40 and 60 days; the case closed Oct 2 is outside
    assert cases.components["recovered"] == 2
    assert cases.components["median_days_recovered"] == 50
    assert cases.account_ids == ["A", "C", "D"]


def test_an_opportunity_play_more_than_180_days_before_the_expansion_is_not_credited(conn):
    ids = metrics_book.build(conn)
    q4 = {"start": date(2026, 10, 1), "end": date(2026, 12, 31), "kinds": KINDS}
    assert metrics.compute(conn, **q4).get("expansion_from_plays").value == 0.0  # A-2's play started 2025-01-01
    BookRows(conn).play_run(ids["A"], "power_users", date(2026, 6, 1))  # 122 days before A-2
    credited = metrics.compute(conn, **q4).get("expansion_from_plays")
    assert (credited.value, credited.contract_ids) == (2_000.0, ["A-2"])
