"""What the plays changed: expansion ARR after opportunity plays, churn with and without a risk play."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from metrics.arr import ZERO, arr_on
from metrics.book import Book, Run
from metrics.cohort import Movement
from metrics.formula import build, ratio
from metrics.model import Metric

#: An expansion contract is credited to an opportunity play that started at most this many days before it.
ATTRIBUTION_DAYS = 180


def expansion_from_plays(book: Book, kinds: Mapping[str, str], start: date, end: date) -> Metric:
    """Expansion from plays = Σ (account ARR on the contract's start date − account ARR the day before), over
    contracts starting in the period that raise the account's ARR, within 180 days after an opportunity play
    (treatment arm) started on that account.
    """
    runs: dict[int, list[Run]] = {}
    for run in book.runs:
        if kinds.get(run.play) == "opportunity" and run.arm == "treatment":
            runs.setdefault(run.account_id, []).append(run)
    total = ZERO
    accounts: set[str] = set()
    contracts: set[str] = set()
    plays: set[str] = set()
    for account_id, account_runs in runs.items():
        customer = book.customers[account_id]
        for term in customer.terms:
            if not start <= term.start <= end:
                continue
            window = [
                r for r in account_runs if r.started_on < term.start <= r.started_on + timedelta(days=ATTRIBUTION_DAYS)
            ]
            if not window:
                continue
            added = (arr_on(customer, term.start) or ZERO) - (arr_on(customer, term.start - timedelta(days=1)) or ZERO)
            if added <= 0:
                continue
            total += added
            accounts.add(customer.external_id)
            contracts.add(term.external_id)
            plays |= {r.play for r in window}
    return build(
        expansion_from_plays,
        key="expansion_from_plays",
        label="Expansion ARR from opportunity plays",
        unit="money",
        period=(start, end),
        value=float(total),
        measure="money",
        numerator=total,
        components={"contracts": Decimal(len(contracts)), "accounts": Decimal(len(accounts))},
        currency=book.currency,
        account_ids=accounts,
        contract_ids=contracts,
        notes=[f"plays credited: {', '.join(sorted(plays))}"] if plays else [],
    )


def _acting(run: Run, start: date, end: date) -> bool:
    return run.started_on <= end and (run.closed_on is None or run.closed_on >= start)


def _churn_rate(
    fn: Callable[..., Any],
    key: str,
    label: str,
    group: list[Movement],
    start: date,
    end: date,
    currency: str | None,
    empty: str,
) -> Metric:
    churned = [m for m in group if m.churned]
    start_arr = sum((m.start_arr for m in group), ZERO)
    churned_arr = sum((m.start_arr for m in churned), ZERO)
    return build(
        fn,
        key=key,
        label=label,
        unit="ratio",
        period=(start, end),
        value=ratio(Decimal(len(churned)), Decimal(len(group))),
        why_undefined=empty,
        numerator=Decimal(len(churned)),
        denominator=Decimal(len(group)),
        components={
            "accounts": Decimal(len(group)),
            "churned": Decimal(len(churned)),
            "start_arr": start_arr,
            "churned_arr": churned_arr,
        },
        currency=currency,
        account_ids=(m.customer.external_id for m in group),
        notes=[f"churned: {', '.join(m.customer.external_id for m in churned[:20])}"] if churned else [],
    )


def churn_with_risk_play(group: list[Movement], start: date, end: date, currency: str | None) -> Metric:
    """Churn with a risk play = accounts of the start cohort that churned by the close / accounts of the start cohort
    on which a risk play (treatment arm) was open at some time in the period.
    """
    return _churn_rate(
        churn_with_risk_play,
        "churn_with_risk_play",
        "Churn, accounts with a risk play",
        group,
        start,
        end,
        currency,
        "no account of the cohort had a risk play in the period",
    )


def churn_risk_holdout(group: list[Movement], start: date, end: date, currency: str | None) -> Metric:
    """Churn in the risk-play holdout = accounts of the start cohort that churned by the close / accounts of the start
    cohort that qualified for a risk play in the period but were held out (holdout arm, no treatment run).
    """
    return _churn_rate(
        churn_risk_holdout,
        "churn_risk_holdout",
        "Churn, risk-play holdout",
        group,
        start,
        end,
        currency,
        "no account of the cohort was held out of a risk play in the period",
    )


def churn_without_risk_play(group: list[Movement], start: date, end: date, currency: str | None) -> Metric:
    """Churn without a risk play = accounts of the start cohort that churned by the close / accounts of the start
    cohort with no risk-play run (treatment or holdout) open at any time in the period.
    """
    return _churn_rate(
        churn_without_risk_play,
        "churn_without_risk_play",
        "Churn, accounts without a risk play",
        group,
        start,
        end,
        currency,
        "every account of the cohort had a risk play",
    )


def split_by_risk_play(
    book: Book, kinds: Mapping[str, str], movements: list[Movement], start: date, end: date
) -> tuple[list[Movement], list[Movement], list[Movement]]:
    """(treated, held out, neither): treatment wins when an account had both arms in the period."""
    arms: dict[int, set[str]] = {}
    for run in book.runs:
        if kinds.get(run.play) == "risk" and _acting(run, start, end):
            arms.setdefault(run.account_id, set()).add(run.arm)
    treated = [m for m in movements if "treatment" in arms.get(m.customer.id, set())]
    held = [m for m in movements if arms.get(m.customer.id) == {"holdout"}]
    neither = [m for m in movements if m.customer.id not in arms]
    return treated, held, neither
