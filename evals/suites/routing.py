"""Approval routing: each case is an offer, the output the chain the policy routes it to (or its refusal).

An offer is priced against the ARR (and seats) the case gives, as the queue prices it against the
contract's or account's. A case with ``edit`` has a role change the terms while approving: the output
then says whether the role may (``editor_may``) and routes the edited terms, so an edit that would make
a larger concession than the role may give is caught even if the edited offer routes correctly.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from approvals.policy import ApprovalPolicy, NoRuleMatched, edit_violations, load_policy, route
from approvals.pricing import Basis, facts_of, price
from approvals.terms import TermsError, read_terms
from evals.context import EvalContext, Outcome
from evals.spec import SuiteSpec, read_cases

NOW = datetime(2026, 11, 24, tzinfo=UTC)


def _basis(given: dict[str, Any]) -> Basis:
    arr = given.get("base_arr")
    return Basis(Decimal(str(arr)) if arr is not None else None, given.get("base_seats"))


def _routed(policy: ApprovalPolicy, given: dict[str, Any]) -> dict[str, Any]:
    terms = read_terms(given.get("terms"))
    cost = price(given["kind"], terms, _basis(given))
    output: dict[str, Any] = {}
    edit = given.get("edit")
    if edit is not None:
        edited = read_terms({**(given.get("terms") or {}), **edit["terms"]})
        edited_cost = price(given["kind"], edited, _basis(given))
        problems = edit_violations(policy, edit["role"], terms, edited, cost_before=cost, cost_after=edited_cost)
        output["editor_may"] = not problems
        terms, cost = edited, edited_cost
    try:
        routed = route(policy, facts_of(given["kind"], terms, cost), now=NOW)
    except NoRuleMatched:
        return {**output, "rejected": "no rule"}
    return {**output, "chain": {g["key"]: g["after"] for g in routed.groups}, "rules": routed.rules}


def run(spec: SuiteSpec, ctx: EvalContext) -> list[Outcome]:
    policy = load_policy()
    outcomes = []
    for case in read_cases(spec.dataset or ""):
        try:
            output = _routed(policy, case.input)
        except TermsError as exc:
            output = {"refused": str(exc).split(":")[0]}
        outcomes.append(Outcome(case.id, case.input, case.expected, output, case.rationale))
    return outcomes
