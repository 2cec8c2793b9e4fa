"""A draft's wording follows the account's situation, and every variant states only what its record holds."""

from pathlib import Path

import pytest

from actions.drafting import MessageFacts, render
from actions.settlement_notices import TEMPLATE, SettledFacts, decision_word
from actions.situations import situation, template_for
from core.faithfulness import check
from playbooks.play_config import TEMPLATE_VALUES
from prompts.templates import load_template

AT_RISK = ("Orange", "Red")
BASE = {"account_name": "Maple Robotics 4", "account_id": "ACC-00004", "play_name": "Renewal"}
VARIANTS = sorted(
    p.stem
    for p in (Path(__file__).parents[2] / "prompts" / "templates").glob("*.md")
    if p.stem.endswith(("_declining", "_at_risk"))
)


@pytest.mark.parametrize(
    ("usage_change", "band", "expected"),
    [
        (-0.63, "Green", "declining"),
        (-0.20, None, "declining"),
        (-0.19, "Yellow", "steady"),
        (-0.19, "Red", "at_risk"),
        (None, "Orange", "at_risk"),
        (0.10, "Green", "steady"),
        (None, None, "steady"),
    ],
)
def test_the_situation_comes_from_the_usage_change_and_the_band(usage_change, band, expected):
    record = MessageFacts(**BASE, usage_change=usage_change, band=band)
    assert situation(record, AT_RISK) == expected


def test_the_renewal_recap_does_not_celebrate_a_year_in_which_use_fell_by_63_percent():
    falling = MessageFacts(
        **BASE, usage_change=-0.63, band="Orange", renewal_on="2027-03-14", contact_first_name="Julia", csm_name="Ana"
    )
    name = template_for("renewal_value_recap", falling, AT_RISK)
    assert name == "renewal_value_recap_declining"
    subject, body = load_template(name).render(render(falling))
    assert "achieved" not in body and "fallen by 63%" in body
    assert check(f"{subject}\n{body}", falling).faithful
    steady = MessageFacts(**BASE, usage_change=0.05, band="Green")
    assert template_for("renewal_value_recap", steady, AT_RISK) == "renewal_value_recap"
    at_risk = MessageFacts(**BASE, band="Red")
    assert template_for("renewal_value_recap", at_risk, AT_RISK) == "renewal_value_recap_at_risk"
    assert template_for("usage_decline_champion", falling, AT_RISK) == "usage_decline_champion"  # no variant


@pytest.mark.parametrize("name", VARIANTS)
def test_every_variant_has_its_base_and_uses_only_values_drafting_fills(name):
    base = name.removesuffix("_declining").removesuffix("_at_risk")
    assert load_template(base)
    assert load_template(name).placeholders <= set(TEMPLATE_VALUES)


def test_the_settled_notice_states_only_what_its_record_holds():
    facts = SettledFacts(
        account_name="Maple Robotics 4",
        account_id="ACC-00004",
        offer_id=12,
        offer_kind="discount",
        decision=decision_word("approved", "edit"),
        decided_by="Morgan Reyes",
        reason="12 is enough",
        terms="discount_pct 12.0",
    )
    subject, body = load_template(TEMPLATE).render(facts.model_dump(mode="json") | {"offer_id": "12"})
    assert "approved with edits by Morgan Reyes" in body
    assert check(f"{subject}\n{body}", facts).faithful, check(f"{subject}\n{body}", facts).problems
