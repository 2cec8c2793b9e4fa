"""NRR, GRR and logo retention over the frozen cohort (see metrics.cohort for who is in it)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from metrics.arr import ZERO
from metrics.cohort import Movement, contract_ids, unpriced
from metrics.formula import build, ratio
from metrics.model import Metric

NO_COHORT = "no account was a customer on the period's first day (or their ARR sums to 0)"


def _totals(movements: list[Movement]) -> dict[str, Decimal]:
    return {
        "start_arr": sum((m.start_arr for m in movements), ZERO),
        "expansion": sum((m.expansion for m in movements), ZERO),
        "contraction": sum((m.contraction for m in movements), ZERO),
        "churn": sum((m.churn for m in movements), ZERO),
    }


def _notes(movements: list[Movement], start: date, end: date) -> list[str]:
    missing = unpriced(movements, start, end)
    if not missing:
        return []
    return [f"{len(missing)} contract(s) carry no ARR and count as 0: {', '.join(missing[:10])}"]


def nrr(movements: list[Movement], start: date, end: date, currency: str | None) -> Metric:
    """NRR = (start ARR + expansion − contraction − churn) / start ARR, over the accounts that were customers on
    the period's first day (new logos excluded), each account's ARR at the close compared with its ARR at the start.
    """
    t = _totals(movements)
    numerator = t["start_arr"] + t["expansion"] - t["contraction"] - t["churn"]
    return build(
        nrr,
        key="nrr",
        label="Net revenue retention",
        unit="ratio",
        period=(start, end),
        value=ratio(numerator, t["start_arr"]),
        why_undefined=NO_COHORT,
        measure="money",
        numerator=numerator,
        denominator=t["start_arr"],
        components=t,
        currency=currency,
        account_ids=(m.customer.external_id for m in movements),
        contract_ids=contract_ids(movements, start, end),
        notes=_notes(movements, start, end),
    )


def grr(movements: list[Movement], start: date, end: date, currency: str | None) -> Metric:
    """GRR = (start ARR − contraction − churn) / start ARR, never above 100%, over the accounts that were customers
    on the period's first day (new logos excluded); expansion never offsets a loss.
    """
    t = _totals(movements)
    numerator = t["start_arr"] - t["contraction"] - t["churn"]
    value = ratio(numerator, t["start_arr"])
    return build(
        grr,
        key="grr",
        label="Gross revenue retention",
        unit="ratio",
        period=(start, end),
        value=None if value is None else min(1.0, value),
        why_undefined=NO_COHORT,
        measure="money",
        numerator=numerator,
        denominator=t["start_arr"],
        components={k: v for k, v in t.items() if k != "expansion"},
        currency=currency,
        account_ids=(m.customer.external_id for m in movements),
        contract_ids=contract_ids(movements, start, end),
        notes=_notes(movements, start, end),
    )


def logo_retention(movements: list[Movement], start: date, end: date) -> Metric:
    """Logo retention = customers active at the start still active at the close / customers active at the start,
    where active means a contract in force (see the ARR rule), whatever its ARR.
    """
    kept = [m for m in movements if not m.churned]
    lost = [m.customer.external_id for m in movements if m.churned]
    return build(
        logo_retention,
        key="logo_retention",
        label="Logo retention",
        unit="ratio",
        period=(start, end),
        value=ratio(Decimal(len(kept)), Decimal(len(movements))),
        why_undefined="no account was a customer on the period's first day",
        numerator=Decimal(len(kept)),
        denominator=Decimal(len(movements)),
        components={"active_at_start": Decimal(len(movements)), "churned": Decimal(len(lost))},
        account_ids=(m.customer.external_id for m in movements),
        notes=[f"churned: {', '.join(lost[:20])}{' ...' if len(lost) > 20 else ''}"] if lost else [],
    )
