"""Suites on the seeded evaluation book: alerts, plays, scorecards and the health model's calibration.

The labels come from the seed, never from the system: each row of a dataset says which planted scenario
should produce which alert, play or scorecard, and every account of the book is a case for it (an account
planted with the scenario should get it, any other should not).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from itertools import pairwise
from typing import Any

import numpy as np
from sqlalchemy import select

from core.models import Account, Alert, PlayRun, Scorecard, Task
from evals.book import Book, book_for
from evals.context import EvalContext, Outcome
from evals.spec import SuiteSpec, read_cases
from playbooks.play_engine import load_play_configs
from scorecards.calibration import build_dataset, calibrate
from scorecards.ranking import pr_auc, roc_auc
from scorecards.weekly import ScoringConfig

BANDS = ("Green", "Yellow", "Orange", "Red")


def _classified(book: Book, spec: SuiteSpec, field: str, found: dict[str, set[str]]) -> list[Outcome]:
    """One case per (row, account): should the account have it (planted), and does it (found)."""
    outcomes = []
    for case in read_cases(spec.dataset or ""):
        name = case.input[field]
        planted_as = set(case.input["planted_as"])
        explained = set(case.input.get("also_explained_by", []))
        for account, scenarios in sorted(book.scenarios.items()):
            planted = bool(scenarios & planted_as)
            if not planted and scenarios & explained:
                continue  # another planted scenario explains it; neither a hit nor a false alarm
            outcomes.append(
                Outcome(
                    id=f"{name}:{account}",
                    input={field: name, "account": account, "scenarios": sorted(scenarios)},
                    expected=planted,
                    output=name in found.get(account, set()),
                    rationale=case.rationale,
                )
            )
    return outcomes


def _found(book: Book, model: Any, column: Any) -> dict[str, set[str]]:
    """What each account has of one kind (alert types, plays), by external id."""
    found: dict[str, set[str]] = defaultdict(set)
    with book.engine.connect() as conn:
        for account, value in conn.execute(
            select(Account.external_id, column).join(model, model.account_id == Account.id)
        ):
            found[account].add(value)
    return found


def alerts(spec: SuiteSpec, ctx: EvalContext) -> list[Outcome]:
    book = book_for(ctx, spec.params)
    return _classified(book, spec, "alert_type", _found(book, Alert, Alert.type))


def plays(spec: SuiteSpec, ctx: EvalContext) -> list[Outcome]:
    book = book_for(ctx, spec.params)
    return _classified(book, spec, "play", _found(book, PlayRun, PlayRun.play))


def plays_once(spec: SuiteSpec, ctx: EvalContext) -> list[Outcome]:
    """For each play: the accounts on which it opened more than one run for the same subject over the walk."""
    book = book_for(ctx, spec.params)
    with book.engine.connect() as conn:
        runs = Counter(
            (account, play, subject)
            for account, play, subject in conn.execute(
                select(Account.external_id, PlayRun.play, PlayRun.subject).join(
                    PlayRun, PlayRun.account_id == Account.id
                )
            )
        )
    outcomes = []
    for case in read_cases(spec.dataset or ""):
        play = case.input["play"]
        twice = sorted(f"{a} ({s}: {n} runs)" for (a, p, s), n in runs.items() if p == play and n > 1)
        outcomes.append(Outcome(case.id, {"play": play}, case.expected, {"twice": twice}, case.rationale))
    return outcomes


def _latest_cards(book: Book) -> dict[str, dict[str, Any]]:
    with book.engine.connect() as conn:
        rows = conn.execute(
            select(Account.external_id, Scorecard.band, Scorecard.score, Scorecard.contributions)
            .join(Scorecard, Scorecard.account_id == Account.id)
            .order_by(Scorecard.as_of)
        ).all()
    return {r.external_id: {"band": r.band, "score": r.score, "contributions": r.contributions} for r in rows}


def _weakest(contributions: list[dict[str, Any]], n: int) -> list[str]:
    """The signals that cost the account the most points (weight times what the score falls short of 100)."""
    lost = [(c["weight"] * (100 - c["score"]), c["signal"]) for c in contributions if c.get("score") is not None]
    return [signal for _, signal in sorted(lost, reverse=True)[:n]]


def scorecards(spec: SuiteSpec, ctx: EvalContext) -> list[Outcome]:
    book = book_for(ctx, spec.params)
    cards = _latest_cards(book)
    outcomes = []
    for case in read_cases(spec.dataset or ""):
        scenario = case.input["scenario"]
        n = int(case.expected.get("weakest_n", 3)) if isinstance(case.expected, dict) else 3
        for account in book.accounts_with(scenario):
            card = cards.get(account)
            output = (
                {"band": card["band"], "weakest": _weakest(card["contributions"], n)}
                if card
                else {"band": None, "weakest": []}
            )
            outcomes.append(
                Outcome(
                    f"{scenario}:{account}",
                    {"scenario": scenario, "account": account},
                    case.expected,
                    output,
                    case.rationale,
                )
            )
    return outcomes


def calibration(spec: SuiteSpec, ctx: EvalContext) -> list[Outcome]:
    """Per book (a seed and size per row): AUC and PR AUC of risk (100 - score) against churn, churn by band.

    Whether churn rises band by band is judged on bands with at least ``params.min_band_accounts`` accounts:
    two Orange accounts that happened to renew say nothing about the band.
    """
    min_band = int(spec.params.get("min_band_accounts", 10))
    outcomes = []
    for case in read_cases(spec.dataset or ""):
        book = book_for(ctx, {**spec.params, **case.input})
        cards = _latest_cards(book)
        scored = [(a, cards[a]) for a in book.outcomes if a in cards and cards[a]["score"] is not None]
        y = np.array([book.outcomes[a] for a, _ in scored], dtype=float)
        risk = np.array([100 - card["score"] for _, card in scored], dtype=float)
        figures: dict[str, Any] = {"accounts": len(scored), "churned": int(y.sum())}
        figures["auc"] = roc_auc(y, risk)
        figures["pr_auc"] = pr_auc(y, risk)
        rates = []
        for band in BANDS:
            members = [book.outcomes[a] for a, card in scored if card["band"] == band]
            if members:
                figures[f"churn_rate_{band.lower()}"] = sum(members) / len(members)
                figures[f"accounts_{band.lower()}"] = len(members)
            if len(members) >= min_band:
                rates.append(sum(members) / len(members))
        figures["bands_compared"] = len(rates)
        figures["bands_ordered"] = float(all(a <= b for a, b in pairwise(rates)))
        figures.update(_calibrate_figures(book))
        outcomes.append(Outcome(case.id, case.input, case.expected, figures, case.rationale))
    return outcomes


def _calibrate_figures(book: Book) -> dict[str, float]:
    """What `watchtower calibrate` would propose from this book's outcomes: its cross-validated AUC beside the
    plain regression's, and whether it could propose bands."""
    config = ScoringConfig.load()
    result = calibrate(build_dataset(book.engine, config, book.outcomes, book.as_of), config.model, as_of=book.as_of)
    proposal, regression = result.proposal_cv.roc_auc or 0.0, result.logistic_cv.roc_auc or 0.0
    return {
        "proposal_auc": proposal,
        "regression_auc": regression,
        "proposal_minus_regression": proposal - regression,
        "bands_proposed": float(result.bands is not None and result.bands.from_outcomes),
    }


def plays_routing(spec: SuiteSpec, ctx: EvalContext) -> list[Outcome]:
    """For each play: the tasks it handed out that went to someone other than the owner its step names
    (the account's CSM for ``csm``, the playbook's owner for any other role). Escalated tasks are left out."""
    book = book_for(ctx, spec.params)
    owners = load_play_configs()[0].owners
    with book.engine.connect() as conn:
        tasks = conn.execute(
            select(PlayRun.play, Task.id, Task.owner_role, Task.assignee, Account.owner_csm)
            .join(PlayRun, PlayRun.id == Task.run_id)
            .join(Account, Account.id == Task.account_id)
            .where(Task.escalated_on.is_(None))
        ).all()
    outcomes = []
    for case in read_cases(spec.dataset or ""):
        play = case.input["play"]
        mine = [t for t in tasks if t.play == play]
        wrong = [
            f"task {t.id}: {t.owner_role} went to {t.assignee}"
            for t in mine
            if t.assignee != (t.owner_csm if t.owner_role == "csm" else owners.get(t.owner_role))  # type: ignore[call-overload]
        ]
        outcomes.append(
            Outcome(case.id, {"play": play, "tasks": len(mine)}, case.expected, {"misrouted": wrong}, case.rationale)
        )
    return outcomes
