"""The typed result of a metric: the figure beside its formula and everything a reader needs to audit it.

KeyBanc counted 110 ways public SaaS companies compute NRR; a figure without its formula and the
accounts behind it cannot be compared with anyone else's, so every figure carries both.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, Field, PlainSerializer

#: Money and counts stay exact in Python and travel as JSON numbers, not strings.
Amount = Annotated[Decimal, PlainSerializer(float, return_type=float, when_used="json")]

Unit = Literal["ratio", "money", "days"]
Measure = Literal["money", "count"]


class MetricsError(ValueError):
    """A request the metrics cannot answer as asked (an unknown segment, mixed currencies, a bad period)."""


class Metric(BaseModel):
    """One figure for one period, with the formula that produced it and the ids it counted."""

    key: str = Field(description="Stable identifier, e.g. 'nrr'.")
    label: str
    unit: Unit
    value: float | None = Field(description="The figure; None when undefined (see why_undefined).")
    why_undefined: str | None = None
    measure: Measure = Field("count", description="What the numerator and denominator count: money or things.")
    numerator: Amount | None = None
    denominator: Amount | None = None
    components: dict[str, Amount] = Field(default_factory=dict, description="The amounts the formula combines.")
    formula: str = Field(description="The definition, taken from the docstring of the function that computed it.")
    period_start: date
    period_end: date
    currency: str | None = None
    account_ids: list[str] = Field(default_factory=list, description="External ids of the accounts counted.")
    contract_ids: list[str] = Field(default_factory=list, description="External ids of the contracts counted.")
    notes: list[str] = Field(default_factory=list)


class MetricsReport(BaseModel):
    """The success metrics for one period and one slice of the book, in a fixed order."""

    period_start: date
    period_end: date
    segment: str | None = None
    owner: str | None = None
    currency: str | None = None
    metrics: list[Metric]
    by_band: dict[str, Metric] = Field(
        default_factory=dict,
        description="Gross renewal rate by the health band each account had 90 days before its renewal date.",
    )

    def get(self, key: str) -> Metric:
        for metric in self.metrics:
            if metric.key == key:
                return metric
        raise KeyError(f"no metric {key!r}; known: {', '.join(m.key for m in self.metrics)}")
