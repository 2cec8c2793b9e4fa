"""What an offer costs: every term that lowers what the customer pays, priced as one concession.

A discount can be written as a percent or an amount, a credit as money, a
waived increase as a percent, a renewal as a quote below the current ARR, an
expansion as seats below the list price per seat. Routing must not depend on
which of these the proposer chose, so each is priced here against the
contract's ARR (or the account's) and they add up to one concession: an
amount, the percent of the ARR it is, and the signed change in ARR. The
policy reads only these computed facts, never a field as typed.

A percent and an amount that disagree beyond rounding are refused with both
values, never reconciled by picking one. Money that cannot be computed (an
amount on an account with no ARR, seats with no list price to compare) is
refused with the reason, never guessed; so is money past what the database
keeps, so an absurd term is a clear refusal and not an arithmetic error.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from approvals.terms import MAX_MONEY, OfferTerms, TermsError

CENT = Decimal("0.01")
RATE = Decimal("0.0001")
HUNDRED = Decimal(100)
#: How far a percent may be from its amount and still agree: the percent's rounding to two decimals, plus a cent.
PCT_ROUNDING = Decimal("0.005")


@dataclass(frozen=True)
class Basis:
    """What an offer is priced against: the contract's ARR and seats where it names one, else the account's."""

    arr: Decimal | None
    seats: int | None = None

    @property
    def base(self) -> Decimal | None:
        return money(self.arr) if self.arr is not None and self.arr > 0 else None

    @property
    def list_per_seat(self) -> Decimal | None:
        """The price a seat is sold at today: the ARR over the seats it buys."""
        if self.base is None or not self.seats:
            return None
        return money(self.base / self.seats)


@dataclass(frozen=True)
class Concession:
    """The priced offer. ``amount`` is None only for a percent-only discount on an account with no ARR."""

    base_arr: Decimal | None
    pct: Decimal
    amount: Decimal | None
    arr_change: Decimal
    #: What each term gives away, in money (or percent where the ARR is unknown), for the approver to read.
    parts: dict[str, Decimal] = field(default_factory=dict)

    def stored(self) -> dict[str, Any]:
        """The record kept on the offer and shown to approvers; money as strings so it survives JSON exactly."""
        return {
            "pct": str(self.pct),
            "amount": str(self.amount) if self.amount is not None else None,
            "base_arr": str(self.base_arr) if self.base_arr is not None else None,
            "arr_change": str(self.arr_change),
            "parts": {name: str(value) for name, value in self.parts.items()},
        }


def money(value: Decimal | float | int) -> Decimal:
    return Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP)


def _pct_of(amount: Decimal, base: Decimal) -> Decimal:
    return (amount / base * HUNDRED).quantize(RATE, rounding=ROUND_HALF_UP)


def _shown(value: Decimal | float) -> str:
    """A term as the proposer wrote it (``1``, ``11000``, ``12.5``), for messages that quote it back."""
    return format(Decimal(str(value)).normalize(), "f")


def _discount(terms: OfferTerms, base: Decimal | None) -> tuple[Decimal | None, Decimal | None]:
    """The discount's percent and amount, one computed from the other; both given must agree."""
    pct = Decimal(str(terms.discount_pct)) if terms.discount_pct is not None else None
    amount = money(terms.discount_amount) if terms.discount_amount is not None else None
    if amount is not None and base is None:
        raise TermsError("terms.discount_amount: the account has no ARR, so the discount percent cannot be computed")
    if pct is None and amount is None:
        return None, None
    if pct is None:
        assert amount is not None and base is not None
        return _pct_of(amount, base), amount
    if base is None:
        return pct, None
    implied = money(base * pct / HUNDRED)
    if amount is None:
        return pct, implied
    if abs(amount - implied) > CENT + base * PCT_ROUNDING / HUNDRED:
        raise TermsError(
            f"terms.discount_pct {_shown(pct)} and terms.discount_amount {_shown(terms.discount_amount or 0)} "
            f"disagree: {_shown(pct)}% of the ARR {base:,.2f} is {implied:,.2f}, and {amount:,.2f} is "
            f"{_pct_of(amount, base):.2f}% of it; give one of them, or both in agreement"
        )
    # Within rounding of each other: the larger is what the customer is told, so it is what is approved.
    return max(pct, _pct_of(amount, base)), max(amount, implied)


def _seats(terms: OfferTerms, seats_now: int | None, list_price: Decimal | None) -> tuple[Decimal, Decimal] | None:
    """New ARR from added seats and what they give away below list; None when the offer adds no seats."""
    added = terms.seats_added
    if added is None and terms.seats_after is not None:
        if not seats_now:
            raise TermsError("terms.seats_after: the account has no seat count, so the seats added cannot be computed")
        added = terms.seats_after - seats_now
        if added < 1:
            raise TermsError(f"terms.seats_after {terms.seats_after}: the account already has {seats_now} seats")
    if added is None:
        if terms.price_per_seat is not None:
            raise TermsError("terms.price_per_seat: say how many seats it prices (seats_added)")
        return None
    if list_price is None:
        raise TermsError(
            "terms.seats_added: the account has no ARR and seat count, so the list price per seat "
            "cannot be computed and the seats cannot be priced"
        )
    price = money(terms.price_per_seat) if terms.price_per_seat is not None else list_price
    # A price rounded to the cent from the same ARR and seats is list price, not a concession.
    below = list_price - price if list_price - price > CENT else Decimal(0)
    return money(price * added), money(below * added)


def price(kind: str, terms: OfferTerms, basis: Basis) -> Concession:
    """The offer's concession against ``basis``; raises ``TermsError`` naming the term that cannot be priced."""
    base = basis.base
    parts: dict[str, Decimal] = {}
    pct, discount = _discount(terms, base)
    if discount:
        parts["discount"] = discount
    change = -(discount or Decimal(0))
    if terms.service_credit_amount is not None:
        parts["service_credit"] = money(terms.service_credit_amount)
    if terms.price_increase_waiver and terms.waived_increase_pct:
        if base is None:
            raise TermsError("terms.waived_increase_pct: the account has no ARR, so the waiver cannot be priced")
        parts["waived_increase"] = money(base * Decimal(str(terms.waived_increase_pct)) / HUNDRED)
        change -= parts["waived_increase"]
    if terms.renewal_arr is not None:
        if base is None:
            raise TermsError(
                "terms.renewal_arr: the account has no ARR, so the quote cannot be compared with the current price"
            )
        quoted = money(terms.renewal_arr)
        if base - quoted > CENT:
            parts["renewal_below_current"] = base - quoted
        change += quoted - base
    seats = _seats(terms, basis.seats, basis.list_per_seat)
    if seats is not None:
        added, below = seats
        if below:
            parts["seats_below_list"] = below
        change += added
    if base is None:
        priced = [name for name in parts if name != "discount"]
        if priced:
            raise TermsError(f"terms: the account has no ARR, so the {priced[0].replace('_', ' ')} cannot be priced")
        concession = Concession(None, pct or Decimal(0), None, money(change))
    else:
        amount = sum(parts.values(), Decimal(0))
        others = amount - (discount or Decimal(0))
        # The discount keeps the percent it was given at, so 10% is 10 and not 9.99995 after rounding to cents.
        total = (pct or Decimal(0)) + (_pct_of(others, base) if others else Decimal(0))
        concession = Concession(base, total, money(amount), money(change), parts)
    for name, value in (("concession", concession.amount), ("ARR change", concession.arr_change)):
        if value is not None and abs(value) > MAX_MONEY:
            raise TermsError(
                f"terms: the offer's {name} comes to {value:,.2f}, more than the largest amount kept "
                f"({MAX_MONEY:,.2f}); check the seats, prices and amounts"
            )
    return concession


def routing_facts(
    kind: str, terms: OfferTerms, *, base_arr: Decimal | None, base_seats: int | None = None
) -> dict[str, Any]:
    """The facts approval rules read, every one computed from the priced offer."""
    cost = price(kind, terms, Basis(base_arr, base_seats))
    return facts_of(kind, terms, cost)


def years_committed(terms: OfferTerms) -> Decimal:
    """How many years a recurring concession runs: the term in years, two for a term marked multi-year
    without months (the least that counts as multi-year), else one."""
    if terms.term_months:
        return max(Decimal(1), Decimal(terms.term_months) / 12)
    return Decimal(2) if terms.multi_year else Decimal(1)


def over_the_term(terms: OfferTerms, cost: Concession) -> Decimal | None:
    """What the offer gives away over the years it commits to: 10% off 400k for five years is 200k, not 40k.
    Service credits are paid once; every other part recurs each year of the term."""
    if cost.amount is None:
        return None
    once = cost.parts.get("service_credit", Decimal(0))
    return money((cost.amount - once) * years_committed(terms) + once)


def facts_of(kind: str, terms: OfferTerms, cost: Concession) -> dict[str, Any]:
    pct = float(cost.pct)
    amount = float(cost.amount) if cost.amount is not None else None
    whole_term = over_the_term(terms, cost)
    return {
        "kind": kind,
        "concession_pct": pct,
        "concession_amount": amount,
        "concession_over_term": float(whole_term) if whole_term is not None else None,
        # The same numbers under the names older policies use, so no policy can route by a field as typed.
        "discount_pct": pct,
        "discount_amount": amount if amount is not None else 0.0,
        "term_months": terms.term_months,
        "multi_year": terms.multi_year or (terms.term_months or 0) >= 24,
        "payment_terms_days": terms.payment_terms_days,
        "price_increase_waiver": terms.price_increase_waiver,
        "non_standard_clause": terms.non_standard_clause is not None,
        "service_credit_amount": float(cost.parts.get("service_credit", 0)),
        "exception": terms.exception is not None,
        "concession": bool(cost.pct or cost.amount or terms.price_increase_waiver),
        "arr_impact": float(abs(cost.arr_change)),
        "arr_change": float(cost.arr_change),
        "base_arr": float(cost.base_arr) if cost.base_arr is not None else None,
    }
