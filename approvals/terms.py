"""What an offer asks for, typed, and the routing facts computed from it.

People and agents write terms; the policy reads facts. The facts are computed
here and nowhere else: a discount given as an amount becomes a percent of the
ARR it applies to (and the other way round), ``multi_year`` follows from the
term length, and ``arr_impact`` is the size of the change in annual revenue,
whichever way it goes. An offer whose money cannot be computed (a discount
amount on an account with no ARR) is refused with the reason, never guessed.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

OfferKind = Literal[
    "discount",
    "term_change",
    "payment_terms",
    "price_increase_waiver",
    "non_standard_clause",
    "service_credit",
    "exception",
    "expansion",
    "renewal",
]
CENT = Decimal("0.01")


class TermsError(ValueError):
    """The terms cannot be read or their money cannot be computed; the message names the field."""


class OfferTerms(BaseModel):
    """Every field an offer can carry; unknown fields are refused so a typo never slips past the policy."""

    model_config = ConfigDict(extra="forbid")

    discount_pct: float | None = Field(None, gt=0, le=100, description="Discount off list, in percent.")
    discount_amount: Decimal | None = Field(None, gt=0, description="Discount per year, in the contract currency.")
    term_months: int | None = Field(None, ge=1, le=120)
    multi_year: bool = False
    payment_terms_days: int | None = Field(None, ge=0, le=365, description="Net days: 30 for net-30.")
    price_increase_waiver: bool = False
    waived_increase_pct: float | None = Field(None, gt=0, le=100)
    non_standard_clause: str | None = Field(None, max_length=4000)
    service_credit_amount: Decimal | None = Field(None, gt=0)
    exception: str | None = Field(None, max_length=4000, description="Anything the other fields cannot say.")
    # Quotes the plays prepare (expansion seats, renewal at current terms).
    seats_added: int | None = Field(None, ge=1)
    seats_after: int | None = Field(None, ge=1)
    price_per_seat: Decimal | None = Field(None, ge=0)
    renewal_arr: Decimal | None = Field(None, ge=0)
    renewal_on: str | None = None

    @field_validator("non_standard_clause", "exception")
    @classmethod
    def _strip(cls, value: str | None) -> str | None:
        return value.strip() or None if value is not None else None

    @model_validator(mode="after")
    def _consistent(self) -> OfferTerms:
        if self.waived_increase_pct is not None and not self.price_increase_waiver:
            raise ValueError("waived_increase_pct needs price_increase_waiver: true")
        return self

    def stored(self) -> dict[str, Any]:
        """The JSON kept on the offer: only what was said, money as strings so it survives JSON exactly."""
        out: dict[str, Any] = {}
        for name, value in self.model_dump(exclude_defaults=True).items():
            out[name] = str(value) if isinstance(value, Decimal) else value
        return out


def read_terms(raw: dict[str, Any] | None) -> OfferTerms:
    try:
        return OfferTerms.model_validate(raw or {})
    except ValueError as exc:
        errors = getattr(exc, "errors", None)
        if callable(errors):
            first = errors(include_url=False)[0]
            where = ".".join(map(str, first["loc"])) or "terms"
            raise TermsError(f"terms.{where}: {first['msg'].removeprefix('Value error, ')}") from None
        raise TermsError(str(exc)) from None


def _money(value: Decimal | float) -> Decimal:
    return Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP)


def routing_facts(
    kind: str, terms: OfferTerms, *, base_arr: Decimal | None, arr_impact: Decimal | None = None
) -> dict[str, Any]:
    """The facts approval rules read, all computed; ``base_arr`` is the ARR the concession applies to."""
    base = _money(base_arr) if base_arr is not None and base_arr > 0 else None
    pct, amount = terms.discount_pct, terms.discount_amount
    if pct is None and amount is not None:
        if base is None:
            raise TermsError(
                "terms.discount_amount: the account has no ARR, so the discount percent cannot be computed"
            )
        pct = float((Decimal(amount) / base * 100).quantize(Decimal("0.0001")))
    if amount is None and pct is not None and base is not None:
        amount = _money(base * Decimal(str(pct)) / 100)
    credit = terms.service_credit_amount or Decimal(0)
    waived = Decimal(0)
    if terms.price_increase_waiver and terms.waived_increase_pct and base is not None:
        waived = _money(base * Decimal(str(terms.waived_increase_pct)) / 100)
    if arr_impact is None:
        if terms.seats_added and terms.price_per_seat is not None:
            arr_impact = _money(terms.price_per_seat * terms.seats_added)
        else:
            arr_impact = -((amount or Decimal(0)) + waived)
    return {
        "kind": kind,
        "discount_pct": pct or 0.0,
        "discount_amount": float(amount or 0),
        "term_months": terms.term_months,
        "multi_year": terms.multi_year or (terms.term_months or 0) >= 24,
        "payment_terms_days": terms.payment_terms_days,
        "price_increase_waiver": terms.price_increase_waiver,
        "non_standard_clause": terms.non_standard_clause is not None,
        "service_credit_amount": float(credit),
        "exception": terms.exception is not None,
        "concession": bool(pct or credit or terms.price_increase_waiver),
        "arr_impact": float(abs(arr_impact)),
        "arr_change": float(arr_impact),
        "base_arr": float(base) if base is not None else None,
    }


#: Facts an approval rule may read, with what each means (``watchtower approvals facts`` prints them).
ROUTING_FACTS: dict[str, str] = {
    "kind": "the offer's kind: " + ", ".join(OfferKind.__args__),  # type: ignore[attr-defined]
    "discount_pct": "discount in percent of the ARR it applies to (0 when none)",
    "discount_amount": "discount per year in money (0 when none)",
    "term_months": "the proposed term length in months",
    "multi_year": "a term of 24 months or more, or marked multi-year",
    "payment_terms_days": "net payment days proposed (none when unchanged)",
    "price_increase_waiver": "the offer waives a price increase",
    "non_standard_clause": "the offer carries a non-standard clause",
    "service_credit_amount": "service credits in money (0 when none)",
    "exception": "the offer carries a free-text exception",
    "concession": "any discount, credit or waiver",
    "arr_impact": "size of the change in ARR, either way",
    "arr_change": "signed change in ARR (negative for a concession)",
    "base_arr": "the ARR the offer applies to",
    "account.arr": "the account's ARR",
    "account.segment": "the account's segment",
    "account.band": "the account's health band on its latest scorecard",
}
