"""NRR, GRR and logo retention on the hand-computed book in tests/unit/metrics_book.py."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

import metrics
from tests.factories import BookRows
from tests.unit import metrics_book
from tests.unit.metrics_book import END, KINDS, START


def test_nrr_counts_expansion_contraction_and_churn_of_the_start_cohort_only(report):
    nrr = report.get("nrr")
    assert nrr.components == {
        "start_arr": Decimal("45000"),
        "expansion": Decimal("7000"),
        "contraction": Decimal("2500"),
        "churn": Decimal("4000"),
    }
    assert nrr.value == pytest.approx(45_500 / 45_000)
    assert (nrr.numerator, nrr.denominator) == (Decimal("45500"), Decimal("45000"))
    assert nrr.account_ids == ["A", "B", "C", "D", "E", "G"]  # F, the new logo, is not in the cohort
    assert "F-1" not in nrr.contract_ids
    assert nrr.formula.startswith("NRR = (start ARR + expansion − contraction − churn) / start ARR")
    assert nrr.currency == "USD"
    assert any("G-1" in note for note in nrr.notes)  # the contract with no ARR is named


def test_grr_ignores_expansion(report):
    grr = report.get("grr")
    assert grr.value == pytest.approx(38_500 / 45_000)
    assert "expansion" not in grr.components
    assert "never above 100%" in grr.formula


def test_logo_retention_keeps_the_account_that_came_back_and_the_one_without_arr(report):
    logos = report.get("logo_retention")
    assert (logos.numerator, logos.denominator) == (Decimal("5"), Decimal("6"))
    assert logos.value == pytest.approx(5 / 6)
    assert logos.notes == ["churned: D"]


def test_segment_filter_with_only_an_upgrade_gives_nrr_above_and_grr_at_100_percent(conn):
    metrics_book.build(conn)
    report = metrics.compute(conn, start=START, end=END, segment="Growth", kinds=KINDS)
    assert report.get("nrr").value == pytest.approx(1.25)
    assert report.get("grr").value == 1.0
    assert report.get("nrr").account_ids == ["B"]


def test_owner_filter(conn):
    metrics_book.build(conn)
    report = metrics.compute(conn, start=START, end=END, owner="a@example.com", kinds=KINDS)
    assert report.get("nrr").value == pytest.approx(1.2)
    assert report.get("logo_retention").account_ids == ["A"]


def test_unknown_segment_or_owner_is_an_error_naming_the_filter(conn):
    metrics_book.build(conn)
    with pytest.raises(metrics.MetricsError, match=r"^segment: unknown segment 'Enterprise'; known: Core, Growth"):
        metrics.compute(conn, start=START, end=END, segment="Enterprise", kinds=KINDS)
    with pytest.raises(metrics.MetricsError, match=r"^owner: unknown owner"):
        metrics.compute(conn, start=START, end=END, owner="nobody@example.com", kinds=KINDS)


def test_a_period_before_any_customer_is_undefined_with_a_reason(conn):
    metrics_book.build(conn)
    report = metrics.compute(conn, start=date(2020, 1, 1), end=date(2020, 3, 31), kinds=KINDS)
    for key in ("nrr", "grr", "logo_retention", "gross_renewal_rate", "churn_without_risk_play"):
        metric = report.get(key)
        assert metric.value is None, key
        assert metric.why_undefined, key
    assert report.get("expansion_from_plays").value == 0.0


def test_several_currencies_are_refused(conn):
    rows = BookRows(conn)
    rows.contract(rows.account("X"), "X-1", date(2026, 1, 1), None, 1_000)
    rows.contract(rows.account("Y"), "Y-1", date(2026, 1, 1), None, 1_000, currency="EUR")
    with pytest.raises(metrics.MetricsError, match=r"^currency: contracts in EUR, USD"):
        metrics.compute(conn, start=START, end=END, kinds=KINDS)


def test_the_report_keeps_its_order_and_json_numbers(report):
    assert [m.key for m in report.metrics] == list(metrics.KEYS)
    dumped = report.model_dump(mode="json")
    assert dumped["metrics"][0]["numerator"] == 45500.0
    assert dumped["metrics"][0]["components"]["churn"] == 4000.0


def test_trend_gives_complete_quarters_oldest_first_each_equal_to_compute(conn):
    metrics_book.build(conn)
    reports = metrics.trend(conn, end=date(2026, 11, 22), period="quarter", count=2, kinds=KINDS)
    assert [(r.period_start, r.period_end) for r in reports] == [(date(2026, 4, 1), date(2026, 6, 30)), (START, END)]
    single = metrics.compute(conn, start=START, end=END, kinds=KINDS)
    assert reports[-1].metrics == single.metrics
    assert reports[0].get("nrr").denominator == Decimal("45000")  # the same six accounts on Apr 1


def test_a_reversed_period_and_a_bad_trend_request_are_errors_naming_the_field(conn):
    with pytest.raises(metrics.MetricsError, match=r"^end: 2026-06-30 is before start 2026-07-01"):
        metrics.compute(conn, start=START, end=date(2026, 6, 30), kinds=KINDS)
    with pytest.raises(metrics.MetricsError, match=r"^count: must be at least 1"):
        metrics.trend(conn, end=END, period="quarter", count=0, kinds=KINDS)
    with pytest.raises(metrics.MetricsError, match=r"^period: expected 'month' or 'quarter'"):
        metrics.trend(conn, end=END, period="year", count=2, kinds=KINDS)  # type: ignore[arg-type]
