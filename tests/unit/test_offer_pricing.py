"""Pricing an offer: every term that lowers what the customer pays becomes one concession, or a refusal."""

from __future__ import annotations

from decimal import Decimal

import pytest

from approvals.policy import edit_violations, load_policy
from approvals.pricing import Basis, over_the_term, price, routing_facts
from approvals.terms import TermsError, read_terms
from core.config_files import shipped_policy

POLICY = load_policy(shipped_policy("approvals.yaml"))


def cost(kind: str, terms: dict, arr: str | None = "100000", seats: int | None = None):
    return price(kind, read_terms(terms), Basis(Decimal(arr) if arr else None, seats))


def test_a_percent_and_an_amount_that_disagree_are_refused_with_both_values():
    with pytest.raises(TermsError) as refused:
        cost("discount", {"discount_pct": 1, "discount_amount": "11000"}, "11595.61")
    message = str(refused.value)
    assert "terms.discount_pct 1 and terms.discount_amount 11000 disagree" in message
    assert "1% of the ARR 11,595.61 is 115.96" in message and "94.86% of it" in message


def test_a_percent_and_its_rounded_amount_agree_and_the_larger_is_priced():
    agreed = cost("discount", {"discount_pct": 10, "discount_amount": "1159.56"}, "11595.61")
    assert agreed.pct == Decimal(10) and agreed.amount == Decimal("1159.56")
    assert routing_facts("discount", read_terms({"discount_pct": 10}), base_arr=Decimal("11595.61"))[
        "concession_pct"
    ] == pytest.approx(10.0)


def test_every_term_that_lowers_the_price_adds_to_one_concession():
    priced = cost(
        "renewal",
        {"renewal_arr": "90000", "discount_pct": 5, "service_credit_amount": "1000"},
        "100000",
    )
    assert priced.parts == {
        "discount": Decimal("5000.00"),
        "service_credit": Decimal("1000.00"),
        "renewal_below_current": Decimal("10000.00"),
    }
    assert priced.amount == Decimal("16000.00") and priced.pct == Decimal("16.0000")
    # A credit is one-time: it is given away but does not change the ARR.
    assert priced.arr_change == Decimal("-15000.00")


def test_a_renewal_quote_below_the_current_arr_is_a_concession_and_above_it_is_not():
    low = cost("renewal", {"renewal_arr": "1"}, "301046.72")
    assert low.amount == Decimal("301045.72") and low.arr_change == Decimal("-301045.72")
    facts = routing_facts("renewal", read_terms({"renewal_arr": "1"}), base_arr=Decimal("301046.72"))
    assert facts["concession"] and facts["concession_pct"] > 99.99
    high = cost("renewal", {"renewal_arr": "110000"})
    assert high.amount == 0 and high.arr_change == Decimal("10000.00")


def test_seats_below_list_are_a_concession_and_rounding_to_the_cent_is_not():
    free = cost("expansion", {"seats_added": 1000, "price_per_seat": "0"}, "100000", seats=50)
    assert free.parts == {"seats_below_list": Decimal("2000000.00")} and free.arr_change == 0
    rounded = cost("expansion", {"seats_added": 5, "price_per_seat": "3333.33"}, "100000", seats=30)
    assert rounded.amount == 0 and rounded.arr_change == Decimal("16666.65")
    at_list = cost("expansion", {"seats_after": 60}, "100000", seats=50)
    assert at_list.amount == 0 and at_list.arr_change == Decimal("20000.00")


@pytest.mark.parametrize(
    ("kind", "terms", "arr", "seats", "match"),
    [
        ("discount", {"discount_amount": "5000"}, None, None, r"terms\.discount_amount: the account has no ARR"),
        ("renewal", {"renewal_arr": "1"}, None, None, r"terms\.renewal_arr: the account has no ARR"),
        ("expansion", {"seats_added": 10, "price_per_seat": "0"}, "100000", None, r"terms\.seats_added"),
        ("expansion", {"seats_after": 40}, "100000", 50, r"terms\.seats_after 40: the account already has 50"),
        ("expansion", {"price_per_seat": "10"}, "100000", 50, r"terms\.price_per_seat"),
        ("service_credit", {"service_credit_amount": "10"}, None, None, "no ARR, so the service credit"),
        ("discount", {"discount_pct": 5, "discount_amount": "10"}, None, None, "no ARR"),
        ("expansion", {"seats_added": 10**6, "price_per_seat": "999999999"}, "100", 1, "more than the largest"),
    ],
)
def test_money_that_cannot_be_computed_is_refused_with_the_term(kind, terms, arr, seats, match):
    with pytest.raises(TermsError, match=match):
        cost(kind, terms, arr, seats)


@pytest.mark.parametrize(
    "terms",
    [
        {"discount_amount": "1e999"},
        {"discount_amount": "NaN"},
        {"discount_amount": "Infinity"},
        {"discount_amount": "-5"},
        {"discount_pct": float("nan")},
        {"discount_pct": float("inf")},
        {"service_credit_amount": "1e13"},
        {"renewal_arr": "sNaN"},
        {"price_per_seat": "-Infinity"},
        {"seats_added": 10**12},
    ],
)
def test_terms_past_what_money_holds_are_refused_where_they_are_read(terms):
    with pytest.raises(TermsError, match=r"^terms\."):
        read_terms(terms)


def test_a_percent_on_an_account_without_arr_routes_by_the_percent():
    unknown = cost("discount", {"discount_pct": 8}, None)
    assert unknown.pct == 8 and unknown.amount is None
    facts = routing_facts("discount", read_terms({"discount_pct": 8}), base_arr=None)
    assert facts["concession_pct"] == 8 and facts["concession_amount"] is None


def edit(role: str, before: dict, after: dict, arr: str = "11595.61") -> list[str]:
    old, new = read_terms(before), read_terms({**before, **after})
    basis = Basis(Decimal(arr))
    return edit_violations(
        POLICY, role, old, new, cost_before=price("discount", old, basis), cost_after=price("discount", new, basis)
    )


def test_edit_limits_bound_the_concession_not_the_field_typed():
    # 10,000 is inside the CS manager's amount limit, but it is 86% of 11,595.61.
    assert edit("cs_manager", {"discount_pct": 5}, {"discount_pct": None, "discount_amount": "10000"}) == [
        "cs_manager may set discount_pct up to 10, not 86.24 (the concession all the terms add up to)"
    ]
    assert edit("cs_manager", {"discount_pct": 5}, {"discount_pct": None, "discount_amount": "1000"}) == []
    # A credit finance may type (up to 50,000) still may not make more than 30% off.
    assert (
        "finance may set discount_pct up to 30, not 43.12"
        in edit("finance", {"discount_pct": 5}, {"service_credit_amount": "4420"})[0]
    )
    # Terms that leave the concession where it was are not held to a limit the offer already exceeded.
    assert edit("legal", {"discount_pct": 40}, {"payment_terms_days": 90}) == []
    assert edit("legal", {"discount_pct": 5}, {"discount_pct": 6}) == [
        "legal may not change discount_pct (may change: non_standard_clause, payment_terms_days)"
    ]


def test_a_recurring_concession_counts_every_year_of_the_term_and_a_credit_once():
    five_years = read_terms({"discount_pct": 10, "term_months": 60, "service_credit_amount": 1000})
    cost = price("discount", five_years, Basis(Decimal("400000")))
    assert over_the_term(five_years, cost) == Decimal("201000.00")  # 40,000 a year for five years, 1,000 once
    flagged = read_terms({"discount_pct": 10, "multi_year": True})
    assert over_the_term(flagged, price("discount", flagged, Basis(Decimal("400000")))) == Decimal("80000.00")
    one_year = read_terms({"discount_pct": 10, "term_months": 6})
    assert over_the_term(one_year, price("discount", one_year, Basis(Decimal("400000")))) == Decimal("40000.00")
