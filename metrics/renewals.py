"""Renewals due in the period: how much ARR renewed, by the health band ahead of each renewal, and how early.

A renewal is due when a term ends in the period (its ``end_date``, the renewal date the forecast uses).
Terms of one account that end on the same day are one renewal. What renewed is the ARR of the terms
that start after that day within the gap the ARR rule allows (``metrics.arr.GAP_DAYS``), capped at the
ARR that was due, so an upsell never hides a loss elsewhere. A term cut short by churn before its end
date never came up for renewal: NRR and GRR count that loss, this rate does not.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy.engine import Connection

from metrics.arr import GAP_DAYS, ZERO
from metrics.book import Book, Customer, Term
from metrics.formula import build, ratio
from metrics.model import Metric

BAND_LEAD_DAYS = 90
NO_SCORE = "no score"
BAND_ORDER = ("Green", "Yellow", "Orange", "Red")
EARLY_DAYS = 30


@dataclass(frozen=True)
class Renewal:
    customer: Customer
    renewal_on: date
    due: list[Term]
    successors: list[Term]

    @property
    def due_arr(self) -> Decimal:
        return sum((t.arr or ZERO for t in self.due), ZERO)

    @property
    def renewed_arr(self) -> Decimal:
        return min(self.due_arr, sum((t.arr or ZERO for t in self.successors), ZERO))

    @property
    def not_renewed(self) -> Decimal:
        return self.due_arr - self.renewed_arr


def _cut_short(customer: Customer, term: Term) -> bool:
    churned = customer.churned_on
    return churned is not None and term.end is not None and term.start <= churned < term.end


def renewals_due(book: Book, start: date, end: date) -> list[Renewal]:
    found = []
    for customer in book.customers.values():
        ends = sorted(
            {
                t.end
                for t in customer.terms
                if t.end is not None and start <= t.end <= end and not _cut_short(customer, t)
            }
        )
        for day in ends:
            due = [t for t in customer.terms if t.end == day and not _cut_short(customer, t)]
            after = [t for t in customer.terms if day < t.start <= day + timedelta(days=GAP_DAYS + 1)]
            found.append(Renewal(customer, day, due, after))
    found.sort(key=lambda r: (r.renewal_on, r.customer.external_id))
    return found


def gross_renewal_rate(
    renewals: list[Renewal], start: date, end: date, currency: str | None, *, key: str = "gross_renewal_rate",
    label: str = "Gross renewal rate",
) -> Metric:  # fmt: skip
    """Gross renewal rate = (ARR due − ARR not renewed) / ARR due, over the terms ending in the period; the ARR
    renewed is that of the terms starting within 30 days after, capped at the ARR due.
    """
    due = sum((r.due_arr for r in renewals), ZERO)
    lost = sum((r.not_renewed for r in renewals), ZERO)
    unpriced = sorted({t.external_id for r in renewals for t in r.due if t.arr is None})
    return build(
        gross_renewal_rate,
        key=key,
        label=label,
        unit="ratio",
        period=(start, end),
        value=ratio(due - lost, due),
        why_undefined="no ARR came up for renewal in the period",
        measure="money",
        numerator=due - lost,
        denominator=due,
        components={"arr_due": due, "arr_not_renewed": lost, "renewals": Decimal(len(renewals))},
        currency=currency,
        account_ids=(r.customer.external_id for r in renewals),
        contract_ids=(t.external_id for r in renewals for t in [*r.due, *r.successors]),
        notes=[f"{len(unpriced)} due contract(s) carry no ARR and count as 0: {', '.join(unpriced[:10])}"]
        if unpriced
        else [],
    )


def ordered_bands(names: Iterable[str]) -> list[str]:
    """Healthiest first, any team-defined bands after the default four, "no score" last."""
    present = set(names)
    order = [b for b in BAND_ORDER if b in present]
    order += sorted(b for b in present if b not in BAND_ORDER and b != NO_SCORE)
    return order + ([NO_SCORE] if NO_SCORE in present else [])


def by_band(conn: Connection, book: Book, renewals: list[Renewal], start: date, end: date) -> dict[str, Metric]:
    """The gross renewal rate per band read from the latest scorecard on or before renewal date − 90 days."""
    wanted = {(r.customer.id, r.renewal_on - timedelta(days=BAND_LEAD_DAYS)) for r in renewals}
    bands = book.band_before(conn, wanted)
    groups: dict[str, list[Renewal]] = {}
    for r in renewals:
        band = bands[(r.customer.id, r.renewal_on - timedelta(days=BAND_LEAD_DAYS))] or NO_SCORE
        groups.setdefault(band, []).append(r)
    return {
        band: gross_renewal_rate(
            groups[band],
            start,
            end,
            book.currency,
            key=f"gross_renewal_rate:{band}",
            label=f"Gross renewal rate, {band} at T-{BAND_LEAD_DAYS}",
        )
        for band in ordered_bands(groups)
    }


def early_renewal_share(renewals: list[Renewal], start: date, end: date) -> Metric:
    """Early renewal share = renewals signed more than 30 days before the renewal date / renewals in the period.

    Contracts record each term's start and end dates but no signing date, and a term's start date says
    nothing about when it was signed; guessing one would invent the figure. It stays undefined until the
    contract data carries a signed date.
    """
    renewed = [r for r in renewals if r.renewed_arr > 0]
    return build(
        early_renewal_share,
        key="early_renewal_share",
        label=f"Renewals signed more than {EARLY_DAYS} days early",
        unit="ratio",
        period=(start, end),
        value=None,
        why_undefined="contracts carry no signed date (only each term's start and end), so how early a renewal "
        "was signed is not recorded",
        denominator=Decimal(len(renewed)),
        account_ids=(r.customer.external_id for r in renewed),
        contract_ids=(t.external_id for r in renewed for t in r.successors),
    )
