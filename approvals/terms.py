"""What an offer asks for, typed and bounded, and the names of the facts the policy may read.

People and agents write terms; the policy reads facts, computed from the
terms in ``approvals.pricing`` and nowhere else. Every number here is bounded
(money by what a money column keeps, seats by a count no contract reaches, no
NaN or infinity), so an absurd term is refused where it is read, with the
field named, and the arithmetic after it cannot overflow.
"""

from __future__ import annotations

from decimal import Decimal
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
#: The largest amount a money column keeps (``Numeric(14, 2)``).
MAX_MONEY = Decimal("999999999999.99")
#: More seats than any contract holds; it keeps seats times price inside what arithmetic and columns hold.
MAX_SEATS = 10_000_000


class TermsError(ValueError):
    """The terms cannot be read or their money cannot be computed; the message names the field."""


class OfferTerms(BaseModel):
    """Every field an offer can carry; unknown fields are refused so a typo never slips past the policy."""

    model_config = ConfigDict(extra="forbid")

    discount_pct: float | None = Field(
        None, gt=0, le=100, allow_inf_nan=False, description="Discount off list, in percent."
    )
    discount_amount: Decimal | None = Field(
        None, gt=0, le=MAX_MONEY, allow_inf_nan=False, description="Discount per year, in the contract currency."
    )
    term_months: int | None = Field(None, ge=1, le=120)
    multi_year: bool = False
    payment_terms_days: int | None = Field(None, ge=0, le=365, description="Net days: 30 for net-30.")
    price_increase_waiver: bool = False
    waived_increase_pct: float | None = Field(None, gt=0, le=100, allow_inf_nan=False)
    non_standard_clause: str | None = Field(None, max_length=4000)
    service_credit_amount: Decimal | None = Field(None, gt=0, le=MAX_MONEY, allow_inf_nan=False)
    exception: str | None = Field(None, max_length=4000, description="Anything the other fields cannot say.")
    # Quotes the plays prepare (expansion seats, renewal at current terms).
    seats_added: int | None = Field(None, ge=1, le=MAX_SEATS)
    seats_after: int | None = Field(None, ge=1, le=MAX_SEATS)
    price_per_seat: Decimal | None = Field(None, ge=0, le=MAX_MONEY, allow_inf_nan=False)
    renewal_arr: Decimal | None = Field(None, ge=0, le=MAX_MONEY, allow_inf_nan=False)
    # A day, as the plays write it (``2027-03-31``): shown to every approver, so never free text of any length.
    renewal_on: str | None = Field(
        None, max_length=10, pattern=r"^\d{4}-\d{2}-\d{2}$", description="The renewal day, YYYY-MM-DD."
    )

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


#: Facts an approval rule may read, with what each means (``watchtower approvals facts`` prints them).
ROUTING_FACTS: dict[str, str] = {
    "kind": "the offer's kind: " + ", ".join(OfferKind.__args__),  # type: ignore[attr-defined]
    "concession_pct": "what the offer gives away, every term together, in percent of the ARR it applies to",
    "concession_amount": "what the offer gives away in money: discount, credits, waived increase, a renewal "
    "below the current ARR, seats below list (none when the ARR is unknown)",
    "concession_over_term": "concession_amount over the years the offer commits to (term_months / 12, two for "
    "multi-year without months, at least one); service credits count once",
    "discount_pct": "the same as concession_pct (the name older policies use)",
    "discount_amount": "the same as concession_amount, 0 when unknown (the name older policies use)",
    "term_months": "the proposed term length in months",
    "multi_year": "a term of 24 months or more, or marked multi-year",
    "payment_terms_days": "net payment days proposed (none when unchanged)",
    "price_increase_waiver": "the offer waives a price increase",
    "non_standard_clause": "the offer carries a non-standard clause",
    "service_credit_amount": "service credits in money (0 when none)",
    "exception": "the offer carries a free-text exception",
    "concession": "the offer gives anything away (concession_pct above 0, or a price-increase waiver)",
    "arr_impact": "size of the change in ARR, either way",
    "arr_change": "signed change in ARR (negative for a concession)",
    "base_arr": "the ARR the offer applies to",
    "account.arr": "the account's ARR",
    "account.segment": "the account's segment",
    "account.band": "the account's health band on its latest scorecard",
}
