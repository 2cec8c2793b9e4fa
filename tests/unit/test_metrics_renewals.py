"""Gross renewal rate overall and by band at T-90, and the early-renewal share, on the hand-computed book."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

import metrics
from tests.factories import BookRows
from tests.unit.metrics_book import END, KINDS, START


def test_gross_renewal_rate_caps_the_upsell_and_does_not_count_a_late_win_back(report):
    rate = report.get("gross_renewal_rate")
    assert rate.components == {"arr_due": Decimal("25000"), "arr_not_renewed": Decimal("9000"), "renewals": 4}
    assert rate.value == pytest.approx(16_000 / 25_000)
    assert rate.account_ids == ["A", "C", "D", "E"]


def test_renewal_rate_by_the_band_of_the_latest_scorecard_on_or_before_t_minus_90(report):
    assert list(report.by_band) == ["Green", "Yellow", "no score"]
    assert report.by_band["Green"].value == 1.0
    assert report.by_band["Yellow"].value == pytest.approx(0.75)
    assert report.by_band["no score"].value == 0.0
    assert report.by_band["no score"].account_ids == ["D", "E"]
    assert report.by_band["Green"].formula == report.get("gross_renewal_rate").formula


def test_a_gap_of_up_to_30_days_before_the_next_term_is_a_renewal(conn):
    rows = BookRows(conn)
    h = rows.account("H")
    rows.contract(h, "H-1", date(2025, 8, 1), date(2026, 7, 31), 7_000)
    rows.contract(h, "H-2", date(2026, 8, 30), date(2027, 8, 29), 7_000)  # 29 days later
    report = metrics.compute(conn, start=START, end=END, kinds=KINDS)
    assert report.get("gross_renewal_rate").value == 1.0
    assert report.get("logo_retention").value == 1.0


def test_early_renewal_share_is_undefined_because_no_signed_date_is_recorded(report):
    early = report.get("early_renewal_share")
    assert early.value is None
    assert "no signed date" in early.why_undefined
    assert early.denominator == 2  # A and C renewed
