"""Each derived signal on hand-built data, including what it must ignore after the as-of date."""

from __future__ import annotations

from datetime import timedelta

import pytest

from signals.customer_texts import cancel_reading, forget_readings
from signals.derived import REGISTRY, compute, usage_window
from signals.intents import read_cancel_intent
from tests.factories import AS_OF, account, invoice, person, survey, text, ticket, touch, weekly_usage

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


def test_active_users_against_the_accounts_own_baseline() -> None:
    # 26 weeks: weeks 13-26 before as-of at 80 active users, a slow slide, then 30 in the last four weeks
    active = [80] * 14 + [75, 70, 65, 60, 55, 50, 45, 40] + [30, 30, 31, 31]
    found = compute("active_users_vs_baseline", account(usage=weekly_usage([100] * 26, active=active)), AS_OF)
    assert found.value == pytest.approx(30.5 / 80 - 1)
    assert found.detail == "30.5 vs 80.0"
    assert "usage_snapshot" in found.evidence[0]
    # the month-over-month view of the same fade sees much less of it
    assert value("active_users_trend", account(usage=weekly_usage([100] * 26, active=active))) > -0.4


def test_logins_against_the_accounts_own_baseline() -> None:
    data = account(usage=weekly_usage([100] * 22 + [40] * 4))
    assert value("logins_vs_baseline", data) == pytest.approx(-0.6)


def test_no_baseline_without_four_weeks_of_it() -> None:
    assert value("active_users_vs_baseline", account(usage=weekly_usage([10] * 12, active=5))) is None
    # three weeks of baseline (weeks 13-15 before) are not enough; four are
    assert value("active_users_vs_baseline", account(usage=weekly_usage([10] * 15, active=5))) is None
    assert value("active_users_vs_baseline", account(usage=weekly_usage([10] * 16, active=5))) == 0.0
    assert value("active_users_vs_baseline", account(usage=weekly_usage([10] * 26, active=[0] * 22 + [5] * 4))) is None


SAID = "We will not renew the contract next year."


def test_days_since_a_stated_cancel_intent_in_customer_text() -> None:
    data = account(
        texts=[
            text("X1", AS_OF - D(days=40), f"Hi Sam,\n\n{SAID}\n\nBest,\nAna Diaz"),
            text("X2", AS_OF - D(days=5), "Could we move the call? Thanks."),
            text("X3", AS_OF + D(days=1), SAID),  # after as-of: not known yet
        ]
    )
    found = compute("days_since_cancel_intent", data, AS_OF)
    assert found.value == 40.0
    assert found.evidence == ("interaction X1",)
    assert found.detail == '"will not renew"'


def test_cancel_intent_reads_only_the_customers_words_of_the_last_90_days() -> None:
    ana = person(1, name="Ana Diaz")
    ours = "SAM: If you cancel, you lose the discount.\nAna Diaz: We are happy with it."
    theirs = "SAM: How are things?\nAna Diaz: We will terminate the agreement in March."
    assert (
        value("days_since_cancel_intent", account(contacts=[ana], texts=[text("C1", AS_OF, ours, kind="call")])) is None
    )
    assert (
        value("days_since_cancel_intent", account(contacts=[ana], texts=[text("C2", AS_OF, theirs, kind="call")])) == 0
    )
    assert value("days_since_cancel_intent", account(texts=[text("E1", AS_OF, SAID, direction="outbound")])) is None
    # our own words quoted back under a customer's reply are not the customer's
    reply = "Thanks, all good.\n\nOn Mon, 2 Jun 2025, Sam <sam@us.example> wrote:\n> If you cancel, you lose it."
    assert value("days_since_cancel_intent", account(texts=[text("R1", AS_OF, reply)])) is None
    quoted = "All good here.\n> We will not renew, said another customer once."
    assert value("days_since_cancel_intent", account(texts=[text("R2", AS_OF, quoted)])) is None
    # an internal email or note is between our own people, whatever its kind
    for kind in ("email", "note"):
        internal = text("I1", AS_OF, SAID, kind=kind, direction="internal")
        assert value("days_since_cancel_intent", account(texts=[internal])) is None
    assert value("days_since_cancel_intent", account(texts=[text("E2", AS_OF - D(days=90), SAID)])) is None
    for table in ("support_ticket", "survey_response"):
        assert value("days_since_cancel_intent", account(texts=[text("S1", AS_OF - D(days=3), SAID, table=table)])) == 3
    # cancelling a payment method is billing friction, not churn
    assert (
        value("days_since_cancel_intent", account(texts=[text("E3", AS_OF, "Please cancel the card payment.")])) is None
    )


def test_memoised_cancel_readings_match_fresh_ones_and_follow_edits() -> None:
    bodies = [SAID, "All good here.", "Please cancel the auto-pay.", "We plan to cancel our subscription."]
    forget_readings()
    fresh = [read_cancel_intent(b) for b in bodies]
    first = [cancel_reading("interaction", f"X{n}", b) for n, b in enumerate(bodies)]
    again = [cancel_reading("interaction", f"X{n}", b) for n, b in enumerate(bodies)]
    assert first == again == fresh
    # the same row with edited text is read again, not answered from the memo
    assert cancel_reading("interaction", "X0", "All good here.").cancel is False
    # a backtest reading the same texts every week gets the same answer as one without a memo
    data = account(texts=[text("X9", AS_OF - D(days=20), SAID)])
    weeks = [AS_OF - D(days=7 * n) for n in range(4)]
    memoised = [value("days_since_cancel_intent", data, week) for week in weeks]
    forget_readings()
    assert memoised == [value("days_since_cancel_intent", data, week) for week in weeks] == [20, 13, 6, None]
