"""How long an at-risk account waits for an answer: risk cases from opening to resolution."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from statistics import median

from metrics.book import Book
from metrics.formula import build
from metrics.model import Metric


def risk_case_median_days(book: Book, start: date, end: date) -> Metric:
    """Median days to resolve a risk case = median of (closed_on − opened_on) in days over the risk cases closed in
    the period, whatever the outcome (recovered or lost).
    """
    closed = [c for c in book.cases if c.closed_on is not None and start <= c.closed_on <= end]
    spans = [(c.outcome or "unknown", (c.closed_on - c.opened_on).days) for c in closed if c.closed_on is not None]
    days = [d for _, d in spans]
    components = {"resolved": Decimal(len(closed))}
    for outcome in sorted({o for o, _ in spans}):
        these = [d for o, d in spans if o == outcome]
        components[outcome] = Decimal(len(these))
        components[f"median_days_{outcome}"] = Decimal(str(median(these)))
    return build(
        risk_case_median_days,
        key="risk_case_median_days",
        label="Median days to resolve a risk case",
        unit="days",
        period=(start, end),
        value=float(median(days)) if days else None,
        why_undefined="no risk case was resolved in the period",
        denominator=Decimal(len(closed)),
        components=components,
        account_ids=(book.customers[c.account_id].external_id for c in closed),
    )
