from datetime import UTC, datetime
from decimal import Decimal

import pytest

from api.formatting import cash, money, when


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("-1912.41", "\u22121,912.41"),
        (Decimal("47810.2"), "47,810.20"),
        (0, "0.00"),
        (None, ""),
        ("n/a", "n/a"),
    ],
)
def test_money_reads_with_separators_and_a_true_minus(value, shown):
    assert money(value) == shown


def test_a_time_is_shown_to_the_minute_with_its_zone():
    assert when("2026-11-25T09:00:00+00:00") == "2026-11-25 09:00 UTC"
    assert when(datetime(2026, 11, 25, 9, 0, 59, tzinfo=UTC)) == "2026-11-25 09:00 UTC"
    assert when("2026-11-25T09:00:00") == "2026-11-25 09:00"
    assert when(None) == "" and when("soon") == "soon"


@pytest.mark.parametrize(
    ("value", "currency", "shown"),
    [
        ("11596.40", "USD", "$11,596"),
        (Decimal("11596.50"), "USD", "$11,597"),
        ("-2500", "EUR", "\u2212\u20ac2,500"),
        (1234567, "GBP", "\u00a31,234,567"),
        (980, "CHF", "980 CHF"),
        (0, None, "$0"),
        (None, "USD", ""),
        ("n/a", "USD", "n/a"),
    ],
)
def test_cash_shows_the_currency_and_whole_units_with_separators(value, currency, shown):
    assert cash(value, currency) == shown
