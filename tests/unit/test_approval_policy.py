"""The default approval policy, rule by rule, and the pure parts of routing and deciding."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from approvals.decisions import InvalidDecision, parse_decision
from approvals.policy import NoRuleMatched, edit_violations, is_satisfied, load_policy, route
from approvals.pricing import Basis, price, routing_facts
from approvals.terms import TermsError, read_terms
from core.config_errors import ConfigError
from core.config_files import shipped_policy

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
POLICY = load_policy(shipped_policy("approvals.yaml"))  # the default that ships, whatever a team keeps


def chain(kind: str, terms: dict, base: str | None = "100000", seats: int | None = 250) -> dict[str, list[str]]:
    facts = routing_facts(kind, read_terms(terms), base_arr=Decimal(base) if base else None, base_seats=seats)
    routed = route(POLICY, facts, now=NOW)
    return {g["key"]: g["after"] for g in routed.groups} | {"_rules": routed.rules}


# One row per line of the default policy, with the edges of each threshold.
DEFAULT_TABLE = [
    ("discount", {"discount_pct": 10}, None, {"cs_manager": [], "_rules": ["discount_up_to_10"]}),
    ("discount", {"discount_pct": 0.5}, None, {"cs_manager": [], "_rules": ["discount_up_to_10"]}),
    ("discount", {"discount_pct": 10.01}, None, {"finance": [], "_rules": ["discount_over_10"]}),
    ("discount", {"discount_pct": 20}, None, {"finance": [], "_rules": ["discount_over_10"]}),
    (
        "discount",
        {"discount_pct": 20.5},
        None,
        {"finance": [], "cro": ["finance"], "_rules": ["discount_over_10", "large_concession"]},
    ),
    # 60k ARR impact on a 1M account is 6% off: CS manager for the percent, finance then CRO for the money.
    (
        "discount",
        {"discount_amount": "60000"},
        "1000000",
        {"cs_manager": [], "finance": [], "cro": ["finance"], "_rules": ["discount_up_to_10", "large_concession"]},
    ),
    (
        "non_standard_clause",
        {"non_standard_clause": "Termination for convenience"},
        None,
        {"legal": [], "_rules": ["legal_terms"]},
    ),
    ("payment_terms", {"payment_terms_days": 61}, None, {"legal": [], "_rules": ["legal_terms"]}),
    (
        "term_change",
        {"term_months": 36, "discount_pct": 5},
        None,
        {"cs_manager": [], "finance": [], "_rules": ["discount_up_to_10", "multi_year_discount"]},
    ),
    (
        "term_change",
        {"multi_year": True, "discount_pct": 8},
        None,
        {"cs_manager": [], "finance": [], "_rules": ["discount_up_to_10", "multi_year_discount"]},
    ),
    ("service_credit", {"service_credit_amount": "2000"}, None, {"finance": [], "_rules": ["credits_and_waivers"]}),
    (
        "price_increase_waiver",
        {"price_increase_waiver": True, "waived_increase_pct": 7},
        None,
        {"finance": [], "_rules": ["credits_and_waivers"]},
    ),
    (
        "exception",
        {"exception": "Keep the legacy SSO connector"},
        None,
        {"cs_manager": [], "finance": ["cs_manager"], "_rules": ["exception"]},
    ),
    (
        "expansion",
        {"seats_added": 10, "price_per_seat": "400"},
        None,
        {"cs_manager": [], "_rules": ["list_price_quote"]},
    ),
    (
        "expansion",
        {"seats_added": 200, "price_per_seat": "400"},
        None,
        {"cs_manager": [], "finance": [], "cro": ["finance"], "_rules": ["large_concession", "list_price_quote"]},
    ),
]


@pytest.mark.parametrize(("kind", "terms", "base", "expected"), DEFAULT_TABLE)
def test_default_policy_table(kind, terms, base, expected):
    assert chain(kind, terms, base or "100000") == expected


def test_everything_at_once_merges_shared_groups_and_keeps_the_order():
    got = chain(
        "discount", {"discount_pct": 25, "term_months": 24, "payment_terms_days": 90, "non_standard_clause": "MFN"}
    )
    assert got == {
        "finance": [],
        "cro": ["finance"],
        "legal": [],
        "_rules": ["discount_over_10", "large_concession", "legal_terms", "multi_year_discount"],
    }


def test_open_groups_start_their_sla_and_waiting_ones_do_not():
    routed = route(POLICY, routing_facts("discount", read_terms({"discount_pct": 25}), base_arr=Decimal(1000)), now=NOW)
    finance, cro = routed.groups
    assert finance["opened_at"] == NOW.isoformat() and finance["due_at"] == "2026-11-26T09:00:00+00:00"
    assert cro["opened_at"] is None and cro["due_at"] is None
    # The tighter SLA of the two rules that need finance wins.
    assert finance["sla_hours"] == 48 and cro["sla_hours"] == 72


@pytest.mark.parametrize(
    ("kind", "terms"),
    [("payment_terms", {"payment_terms_days": 45}), ("term_change", {"term_months": 12}), ("discount", {})],
)
def test_an_offer_no_rule_covers_is_rejected_with_the_reason(kind, terms):
    with pytest.raises(NoRuleMatched, match="no approval rule matches this offer"):
        chain(kind, terms)


def test_money_that_cannot_be_computed_is_refused_not_guessed():
    with pytest.raises(TermsError, match="no ARR"):
        routing_facts("discount", read_terms({"discount_amount": "5000"}), base_arr=None)
    with pytest.raises(TermsError, match=r"terms\.discont_pct"):
        read_terms({"discont_pct": 5})


def test_amounts_and_percents_agree():
    facts = routing_facts("discount", read_terms({"discount_pct": 12.5}), base_arr=Decimal("80000"))
    assert facts["discount_amount"] == 10000.0 and facts["arr_impact"] == 10000.0 and facts["arr_change"] == -10000.0


def violations(role: str, before: dict, after: dict, base: str = "100000") -> list[str]:
    old, new = read_terms(before), read_terms(after)
    basis = Basis(Decimal(base))
    return edit_violations(
        POLICY, role, old, new, cost_before=price("discount", old, basis), cost_after=price("discount", new, basis)
    )


def test_edit_limits_follow_the_role():
    before = {"discount_pct": 25}
    assert violations("finance", before, {"discount_pct": 18}) == []
    assert violations("cs_manager", before, {"discount_pct": 12}) == [
        "cs_manager may set discount_pct up to 10, not 12 (the concession all the terms add up to)",
        "cs_manager may set discount_amount up to 10000, not 12000 (the concession all the terms add up to)",
    ]
    assert "legal may not change discount_pct" in violations("legal", before, {"discount_pct": 5})[0]


def test_group_needs():
    group = {"roles": ["finance", "cro"], "escalated_roles": [], "need": "all"}
    assert not is_satisfied(group, ["finance"]) and is_satisfied(group, ["finance", "cro"])
    assert is_satisfied({**group, "need": "any"}, ["cro"])
    assert not is_satisfied({**group, "need": 2}, ["finance"]) and is_satisfied(
        {**group, "need": 2}, ["finance", "finance"]
    )
    assert is_satisfied({**group, "escalated_roles": ["admin"]}, ["finance", "admin"])


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"decision": "approve"}, "reason"),
        ({"decision": "maybe", "reason": "x"}, "approve, edit, reject"),
        ("yes", "approve, edit, reject"),
        ({"decision": "edit", "reason": "x"}, "terms"),
        ({"decision": "approve", "reason": "x", "sneaky": 1}, "sneaky"),
    ],
)
def test_invalid_resume_values_name_the_allowed_decisions(raw, message):
    with pytest.raises(InvalidDecision, match=message) as caught:
        parse_decision(raw)
    assert "approve, edit, reject" in str(caught.value)


def test_policy_errors_name_the_key(tmp_path: Path):
    bad = tmp_path / "approvals.yaml"
    bad.write_text(
        "version: x\nrules:\n"
        "  - {id: a, description: d, when: 'discount_pct > 1', order: ordered, sla_hours: 1,"
        " approvers: [{roles: [finance]}, {roles: [cro]}]}\n"
        "  - {id: b, description: d, when: 'discount_pct > 2', order: ordered, sla_hours: 1,"
        " approvers: [{roles: [cro]}, {roles: [finance]}]}\n"
        "  - {id: c, description: d, when: 'discount > 2', sla_hours: 1, approvers: [{roles: [finance]}]}\n"
        "  - {id: d, description: d, when: 'true', sla_hours: 1, approvers: [{roles: [treasurer]}]}\n"
    )
    with pytest.raises(ConfigError) as caught:
        load_policy(bad)
    text = str(caught.value)
    assert "rules[c].when: unknown fact(s) discount" in text
    assert "rules[d].approvers.0.roles.0" in text or "rules[d].approvers[0].roles[0]" in text
    bad.write_text(bad.read_text().split("  - {id: c")[0])
    with pytest.raises(ConfigError, match="loop"):
        load_policy(bad)
