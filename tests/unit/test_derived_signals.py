"""Each derived signal on hand-built data, including what it must ignore after the as-of date."""

from __future__ import annotations

from datetime import timedelta

import pytest

from signals.derived import REGISTRY, compute, usage_window
from tests.factories import AS_OF, account, invoice, person, survey, ticket, touch, weekly_usage

D = timedelta


def value(name: str, data, as_of=AS_OF):
    return compute(name, data, as_of).value


def test_month_windows_hold_four_complete_weeks_each() -> None:
    data = account(usage=weekly_usage([10] * 9))
    assert len(usage_window(data, AS_OF, 28)) == 4
    assert len(usage_window(data, AS_OF, 28, offset=28)) == 4
    # three days earlier the last week is still running: the window slides back to four complete weeks
    earlier = usage_window(data, AS_OF - D(days=3), 28)
    assert len(earlier) == 4
    assert earlier[-1].last_day == AS_OF - D(days=8)


def test_login_frequency_is_per_active_user_per_month() -> None:
    data = account(usage=weekly_usage([100, 100, 100, 100], active=10))
    assert value("logins_per_user_month", data) == pytest.approx(400 / 10 * 30 / 28)


def test_login_change_month_over_month() -> None:
    data = account(usage=weekly_usage([100, 100, 100, 100, 50, 50, 40, 40]))
    assert value("logins_mom_change", data) == pytest.approx(-0.55)
    assert "usage_snapshot" in compute("logins_mom_change", data, AS_OF).evidence[0]


def test_changes_need_a_previous_period() -> None:
    assert value("logins_mom_change", account(usage=weekly_usage([10, 10]))) is None
    assert value("logins_mom_change", account()) is None


def test_active_user_trend_and_seat_utilisation() -> None:
    data = account(usage=weekly_usage([1] * 8, active=[10, 10, 10, 10, 5, 5, 5, 5]), seats_purchased=20)
    assert value("active_users_trend", data) == pytest.approx(-0.5)
    assert value("seat_utilisation", data) == pytest.approx(0.25)
    assert value("seat_utilisation", account(usage=weekly_usage([1]), seats_purchased=None)) is None


def test_plan_seat_usage_prefers_the_plan_limit() -> None:
    data = account(usage=weekly_usage([1], active=18), plan_limits={"seats": 20.0}, seats_purchased=40)
    assert value("plan_seat_usage", data) == pytest.approx(0.9)


def test_feature_breadth_counts_distinct_features_in_four_weeks() -> None:
    usage = weekly_usage([1] * 5, features=("a",))
    usage[-1] = type(usage[-1])(usage[-1].period_start, "week", 1, 1, 1, ("b", "c"), None, None, {})
    usage[0] = type(usage[0])(usage[0].period_start, "week", 1, 1, 1, ("old",), None, None, {})
    assert value("feature_breadth", account(usage=usage)) == 3.0


def test_quarterly_trend() -> None:
    data = account(usage=weekly_usage([20] * 13 + [10] * 13))
    assert value("usage_trend_quarter", data) == pytest.approx(-0.5)


def test_days_since_last_use() -> None:
    assert value("days_since_last_use", account(usage=weekly_usage([5, 5, 0, 0], active=[3, 3, 0, 0]))) == 14.0
    assert value("days_since_last_use", account(usage=weekly_usage([5]))) == 0.0
    assert value("days_since_last_use", account()) is None


def test_ticket_volume_and_open_critical_tickets_are_point_in_time() -> None:
    data = account(
        tickets=[
            ticket("T1", AS_OF - D(days=10)),  # open, high
            ticket(
                "T2", AS_OF - D(days=20), closed=AS_OF + D(days=2), priority="urgent", status="closed"
            ),  # closed later
            ticket("T3", AS_OF - D(days=30), closed=AS_OF - D(days=25), status="closed"),
            ticket("T4", AS_OF - D(days=200), priority="low"),  # too old to count in volume
            ticket("T5", AS_OF + D(days=3)),  # the future does not exist yet
        ]
    )
    assert value("ticket_volume_90d", data) == 3.0
    assert value("open_critical_tickets", data) == 2.0
    assert compute("open_critical_tickets", data, AS_OF).evidence == ("support_ticket T1, T2",)


def test_nps_latest_score_and_account_nps() -> None:
    data = account(
        surveys=[
            survey("S1", 10, AS_OF - D(days=100)),
            survey("S2", 3, AS_OF - D(days=5)),
            survey("S3", 9, AS_OF + D(days=1)),
        ]
    )
    assert value("latest_nps", data) == 3.0
    assert value("nps_score", data) == pytest.approx(0.0)  # one promoter, one detractor
    assert value("latest_nps", account()) is None


def test_detractor_share_among_active_contacts() -> None:
    contacts = [
        person(1),
        person(2, ("detractor",)),
        person(3),
        person(4, status="departed", departed_on=AS_OF - D(days=1)),
    ]
    data = account(
        contacts=contacts,
        surveys=[survey("S1", 4, AS_OF - D(days=9), contact=1), survey("S2", 9, AS_OF - D(days=9), contact=3)],
    )
    assert value("detractor_share", data) == pytest.approx(2 / 3)


def test_exec_sponsor_engagement_and_multi_threading() -> None:
    contacts = [person(1, ("champion",)), person(2, ("executive_sponsor",)), person(3)]
    quiet = account(contacts=contacts, touches=[touch("X1", AS_OF - D(days=10), 1, 3)])
    assert value("exec_sponsor_engaged", quiet) == 0.0
    assert value("engaged_stakeholders", quiet) == 2.0
    engaged = account(
        contacts=contacts, touches=[touch("X1", AS_OF - D(days=10), 2), touch("X2", AS_OF - D(days=120), 1)]
    )
    assert value("exec_sponsor_engaged", engaged) == 1.0
    assert value("engaged_stakeholders", engaged) == 1.0


def test_champion_departed_only_when_no_champion_remains() -> None:
    gone = person(1, ("champion",), "departed", AS_OF - D(days=10))
    assert value("champion_departed", account(contacts=[gone, person(2)])) == 1.0
    assert value("champion_departed", account(contacts=[gone, person(3, ("champion",))])) == 0.0
    # before the departure date the champion was still there
    assert value("champion_departed", account(contacts=[gone]), AS_OF - D(days=11)) == 0.0
    assert value("champion_departed", account(contacts=[person(2)])) is None


def test_days_overdue_uses_payment_dates_not_the_status_column() -> None:
    data = account(
        invoices=[
            invoice("I1", AS_OF - D(days=40), paid=AS_OF - D(days=35), status="paid"),
            invoice("I2", AS_OF - D(days=12), paid=AS_OF + D(days=5), status="paid"),  # paid, but only after as_of
            invoice("I3", AS_OF - D(days=3)),
            invoice("I4", AS_OF - D(days=90), status="void"),
        ]
    )
    assert value("days_overdue", data) == 12.0
    assert value("late_payment_count", data) == 3.0
    assert value("days_overdue", account(invoices=[invoice("I1", AS_OF + D(days=20))])) == 0.0
    assert value("days_overdue", account()) is None


def test_every_registered_signal_handles_an_account_with_no_data() -> None:
    for name in REGISTRY:
        assert compute(name, account(), AS_OF).value in (None, 0.0), name
