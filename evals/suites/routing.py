"""Approval routing: each case is an offer, the output the chain the policy routes it to (or its rejection)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from approvals.policy import NoRuleMatched, load_policy, route
from approvals.terms import TermsError, read_terms, routing_facts
from evals.context import EvalContext, Outcome
from evals.spec import SuiteSpec, read_cases

NOW = datetime(2026, 11, 24, tzinfo=UTC)


def run(spec: SuiteSpec, ctx: EvalContext) -> list[Outcome]:
    policy = load_policy()
    outcomes = []
    for case in read_cases(spec.dataset or ""):
        given = case.input
        try:
            facts = routing_facts(
                given["kind"],
                read_terms(given.get("terms")),
                base_arr=Decimal(str(given["base_arr"])) if given.get("base_arr") is not None else None,
                arr_impact=Decimal(str(given["arr_impact"])) if given.get("arr_impact") is not None else None,
            )
            routed = route(policy, facts, now=NOW)
            output: dict = {"chain": {g["key"]: g["after"] for g in routed.groups}, "rules": routed.rules}
        except NoRuleMatched:
            output = {"rejected": "no rule"}
        except TermsError as exc:
            output = {"refused": str(exc).split(":")[0]}
        outcomes.append(Outcome(case.id, given, case.expected, output, case.rationale))
    return outcomes
