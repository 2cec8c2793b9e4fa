"""Early-warning figures over plain band histories: leads, false alarms and churn by band at T-90."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from scorecards.early_warning import Renewal, departures, measure

START = date(2026, 1, 5)  # a Monday: the replay's first week
ORDER = ("Green", "Yellow", "Orange", "Red")


def week(n: int) -> date:
    return START + timedelta(weeks=n)


def history(*bands: str | None, first: int = 0) -> dict[date, str | None]:
    """One band per week from week ``first``."""
    return {week(first + n): band for n, band in enumerate(bands)}


def renewal(account: int, end: date, *, churned: bool = False) -> Renewal:
    return Renewal(account, end, Decimal("1000"), churned)


def run(bands, churns, renewals=()):
    return measure(bands, churns, list(renewals), start=START, order=ORDER)


def test_a_churner_flagged_only_in_its_last_week_has_no_early_warning():
    early = run({1: history(*["Green"] * 19, "Orange")}, {1: [week(19)]})
    assert [d.lead_weeks for d in early.departures] == [0]
    assert early.flagged_early == 0 and early.flagged_early_share == 0.0 and early.missed == 0


def test_a_churner_orange_eight_weeks_ahead_counts_and_seven_does_not():
    bands = {1: history(*["Green"] * 12, *["Orange"] * 9), 2: history(*["Green"] * 13, *["Red"] * 8)}
    early = run(bands, {1: [week(20)], 2: [week(20)]})
    assert sorted(d.lead_weeks for d in early.departures) == [7, 8]
    assert early.flagged_early_share == 0.5


def test_lead_counts_whole_weeks_from_the_first_orange_or_red_week():
    # Orange, back to Yellow, then Red: the lead runs from the first flag, and Yellow alone is no flag.
    bands = {1: history("Yellow", "Yellow", "Orange", "Yellow", "Red", "Red", *["Red"] * 10)}
    early = run(bands, {1: [week(15) - timedelta(days=3)]})
    assert early.departures[0].lead_weeks == 12  # 102 days from week 2 to the day it left
    assert early.departures[0].lead_weeks_any == 14


def test_a_churner_never_scored_is_a_miss_not_left_out():
    early = run({1: history(*[None] * 20)}, {1: [week(19)], 2: [week(19)]})
    assert early.missed == 2 and len(early.departures) == 2
    assert early.flagged_early_share == 0.0
    assert early.lead_distribution()["never"] == 2


def test_a_churner_who_left_before_the_lead_window_was_replayed_is_left_out():
    early = run({1: history("Red", "Red", "Red")}, {1: [week(7)], 2: [week(8)]})
    assert early.departures_left_out == 1 and [d.account_id for d in early.departures] == [2]


def test_a_renewer_flagged_in_its_last_twelve_weeks_is_a_false_alarm_and_earlier_is_not():
    bands = {
        1: history(*["Green"] * 19, "Orange", "Green"),  # Orange 1 week before renewing
        2: history(*["Green"] * 7, "Red", *["Green"] * 13),  # Red 13 weeks before renewing
        3: history(*["Green"] * 21),
        4: history(*["Green"] * 8, "Red", *["Green"] * 12),  # Red 12 weeks before: the window's first week
        5: history(*["Green"] * 20, "Orange"),  # Orange in the week it renewed
    }
    early = run(bands, {}, [renewal(a, week(20)) for a in bands])
    assert (early.renewed, early.renewed_flagged) == (5, 3)
    assert early.false_alarm_share == pytest.approx(3 / 5)


def test_renewals_whose_window_starts_before_the_replay_are_left_out():
    bands = {1: history(*["Red"] * 20), 2: history(*["Green"] * 20)}
    early = run(bands, {}, [renewal(1, week(11)), renewal(2, week(12)), renewal(1, week(3), churned=True)])
    assert early.renewals_left_out == 1 and early.renewed == 1 and early.renewed_flagged == 0
    assert early.at_t90_left_out == 3  # none of them has a replayed week 90 days before its end


def test_a_renewer_with_no_score_in_its_window_is_counted_and_said_to_be_unscored():
    early = run({1: history(*[None] * 20)}, {}, [renewal(1, week(15)), renewal(2, week(15))])
    assert (early.renewed, early.renewed_flagged, early.renewed_unscored) == (2, 0, 2)


def test_an_account_that_churned_and_came_back_is_judged_after_its_return():
    # Red before it first left (week 10), Green after it came back, Orange two weeks before it left again.
    bands = {1: history(*["Red"] * 11, *["Green"] * 26, "Orange", "Orange", "Orange")}
    churns = {1: [week(10), week(39)]}
    early = run(bands, churns, [renewal(1, week(14)), renewal(1, week(30))])
    assert [d.lead_weeks for d in early.departures] == [10, 2]
    # The renewal four weeks after its return is judged on the weeks after it, not the Red weeks before.
    assert (early.renewed, early.renewed_flagged) == (2, 0)


def test_churn_at_t90_compares_green_with_orange_and_red_pooled():
    bands = {a: history(*["Green"] * 30) for a in range(10)}
    bands |= {10: history(*["Orange"] * 30), 11: history(*["Orange"] * 30), 12: history(*["Red"] * 30)}
    renewals = [renewal(a, week(29), churned=a in (0, 10, 12)) for a in range(13)]
    early = run(bands, {}, renewals)
    assert early.at_t90["Green"].renewals == 10 and early.best_churn == pytest.approx(0.1)
    assert early.at_risk_churn == pytest.approx(2 / 3)
    assert early.churn_ratio == pytest.approx(0.15)
    assert early.at_t90["Orange"].grr == pytest.approx(0.5)


def test_no_ratio_without_orange_or_red_churn_to_compare():
    bands = {1: history(*["Green"] * 30), 2: history(*["Orange"] * 30)}
    early = run(bands, {}, [renewal(1, week(29), churned=True), renewal(2, week(29))])
    assert early.best_churn == 1.0 and early.at_risk_churn == 0.0 and early.churn_ratio is None
    assert run({1: history(*["Green"] * 30)}, {}, [renewal(1, week(29))]).churn_ratio is None


def test_the_lead_distribution_puts_every_departure_in_one_bucket():
    days = {a: [week(30)] for a in range(6)}
    bands = {a: history(*["Green"] * (30 - lead), *["Red"] * (lead + 1)) for a, lead in enumerate((0, 4, 8, 13, 26))}
    early = run(bands, days)
    assert early.lead_distribution() == {"never": 1, "0-3": 1, "4-7": 1, "8-12": 1, "13-25": 1, "26+": 1}
    assert early.lead_quartiles() == (4, 8, 13)
    assert early.figures()["flagged_early_share"] == pytest.approx(3 / 6)


def test_two_records_of_one_departure_are_one_and_a_return_makes_two():
    assert departures([date(2026, 5, 31)], date(2026, 5, 10)) == [date(2026, 5, 10)]
    assert departures([date(2026, 5, 31), date(2026, 12, 31)], None) == [date(2026, 5, 31), date(2026, 12, 31)]
    assert departures([], None) == []
