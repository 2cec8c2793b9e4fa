"""Build a Metric from the function that defines it, so the formula is written once: in that docstring."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable
from datetime import date
from decimal import Decimal
from typing import Any

from metrics.model import Measure, Metric, Unit


def formula_of(fn: Callable[..., Any]) -> str:
    """The docstring's first paragraph, on one line: the definition a reader sees next to the figure."""
    doc = inspect.getdoc(fn) or ""
    return " ".join(doc.split("\n\n", 1)[0].split())


def ratio(numerator: Decimal, denominator: Decimal) -> float | None:
    return None if denominator == 0 else float(numerator / denominator)


def build(
    fn: Callable[..., Any],
    *,
    key: str,
    label: str,
    unit: Unit,
    period: tuple[date, date],
    value: float | None,
    why_undefined: str | None = None,
    measure: Measure = "count",
    numerator: Decimal | None = None,
    denominator: Decimal | None = None,
    components: dict[str, Decimal] | None = None,
    currency: str | None = None,
    account_ids: Iterable[str] = (),
    contract_ids: Iterable[str] = (),
    notes: Iterable[str] = (),
) -> Metric:
    return Metric(
        key=key,
        label=label,
        unit=unit,
        value=value,
        why_undefined=why_undefined if value is None else None,
        measure=measure,
        numerator=numerator,
        denominator=denominator,
        components=components or {},
        formula=formula_of(fn),
        period_start=period[0],
        period_end=period[1],
        currency=currency,
        account_ids=sorted(set(account_ids)),
        contract_ids=sorted(set(contract_ids)),
        notes=list(notes),
    )
