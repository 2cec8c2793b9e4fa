"""Whose turn an approval is, how late its SLA is, and how an invoice was paid: pure rules, hand-checked."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from api.formatting import lateness
from approvals.decider_context import days_late, open_balance
from approvals.turns import overdue_hours, turn_of

FINANCE_OPEN = [{"group": "finance", "roles": ["finance", "cro"], "due_at": "2026-11-24T09:00:00+00:00"}]
PLAY = {"name": "play:save", "kind": "play", "launched_by": None}


def _turn(**changes):
    values = dict(
        status="pending", waiting=FINANCE_OPEN, requester=PLAY, approved_by=[], username="dana", role="finance"
    )
    return turn_of(**{**values, **changes})


def test_the_right_role_of_an_open_group_may_decide():
    assert _turn().can_decide and _turn(role="cro").can_decide


@pytest.mark.parametrize(
    ("changes", "why"),
    [
        ({"role": "legal"}, "it waits for finance (finance, cro)"),
        ({"status": "approved"}, "already approved"),
        ({"requester": {"name": "dana", "kind": "person", "launched_by": None}}, "you proposed this offer"),
        ({"requester": {"name": "offer-agent", "kind": "agent", "launched_by": "dana"}}, "you launched the run"),
        ({"approved_by": ["dana"]}, "you already approved"),
        ({"waiting": []}, "it waits for nobody"),
    ],
)
def test_anyone_else_is_told_who_it_waits_for(changes, why):
    turn = _turn(**changes)
    assert not turn.can_decide and turn.why_not.startswith(why)


def test_an_sla_is_overdue_only_once_past_its_due_time_and_says_by_how_much():
    now = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
    assert overdue_hours("2026-11-24T09:00:00+00:00", now) == 51
    assert overdue_hours("2026-11-26T12:00:00+00:00", now) is None
    assert overdue_hours("2026-11-27T09:00:00+00:00", now) is None
    assert overdue_hours(None, now) is None
    assert lateness(51) == "2 days" and lateness(47) == "47 h"


def test_days_late_counts_to_payment_or_to_today_and_never_below_zero():
    due = date(2026, 10, 1)
    assert days_late(due, date(2026, 10, 15), date(2026, 11, 24)) == 14
    assert days_late(due, None, date(2026, 11, 24)) == 54
    assert days_late(due, date(2026, 9, 20), date(2026, 11, 24)) == 0
    assert days_late(due, date(2026, 12, 1), date(2026, 11, 24)) == 54  # paid after as_of: unpaid then


def test_the_open_balance_is_what_is_still_owed():
    assert open_balance(Decimal("1000"), None, None, date(2026, 11, 24)) == Decimal("1000")
    assert open_balance(Decimal("1000"), Decimal("400"), None, date(2026, 11, 24)) == Decimal("600")
    assert open_balance(Decimal("1000"), None, date(2026, 11, 1), date(2026, 11, 24)) == Decimal("0")
    assert open_balance(Decimal("1000"), Decimal("1000"), date(2026, 11, 1), date(2026, 11, 24)) == Decimal("0")


def test_the_queue_orders_by_the_priced_concession_largest_first_and_keeps_ties_in_due_order():
    from approvals.queue_filters import by_concession, concession_amount

    rows = [
        {"id": 1, "concession": {"amount": "252.40"}},
        {"id": 2, "concession": None},
        {"id": 3, "concession": {"amount": "1788"}},
        {"id": 4, "concession": {"amount": "252.40"}},
        {"id": 5, "concession": {"amount": "n/a"}},
    ]
    assert [r["id"] for r in by_concession(rows)] == [3, 1, 4, 2, 5]
    assert concession_amount(rows[1]) == Decimal(0) == concession_amount(rows[4])
