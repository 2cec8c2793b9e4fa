"""Drafts: deterministic without a model; a model's rewrite is kept only when it adds no number or name.

The chat model is langchain-core's scripted fake (third-party test support)
standing in for an endpoint, as in test_structured_reader.py.
"""

from __future__ import annotations

import json

from langchain_core.language_models import FakeMessagesListChatModel
from langchain_core.messages import AIMessage

from actions.drafting import Draft, Drafter, unfaithful
from llm.structured import LlmReader
from prompts.templates import load_template

VALUES = {
    "account_name": "Maple Robotics 4",
    "contact_first_name": "Julia",
    "seat_usage_pct": "86%",
    "seats_purchased": "20",
    "csm_name": "Csm04",
}


def _drafter(*answers: dict | str) -> Drafter:
    replies = [AIMessage(a if isinstance(a, str) else json.dumps(a)) for a in answers]
    return Drafter(LlmReader(FakeMessagesListChatModel(responses=replies), model_name="fake", method="json_mode"))


def test_without_a_model_the_template_is_the_draft() -> None:
    drafted = Drafter().draft(load_template("plan_limit_options"), VALUES, purpose="test")
    assert drafted.produced_by == "deterministic"
    assert "86% of the 20 seats" in drafted.body and drafted.subject.startswith("Maple Robotics 4")


def test_a_faithful_rewrite_is_kept() -> None:
    good = {
        "subject": "Maple Robotics 4 is close to its plan's seat limit",
        "body": "Hi Julia,\n\nYour team now uses 86% of the 20 seats in your plan. Shall we look at options?\n\nCsm04",
    }
    drafted = _drafter(good).draft(load_template("plan_limit_options"), VALUES, purpose="test")
    assert drafted.produced_by == "llm"
    assert drafted.body == good["body"]


def test_an_invented_number_or_name_falls_back_to_the_template() -> None:
    invented = {
        "subject": "Maple Robotics 4 is close to its seat limit",
        "body": "Hi Julia, you use 95% of 20 seats; we can offer a 30% discount. Regards, Jordan Smith",
    }
    drafted = _drafter(invented, invented).draft(load_template("plan_limit_options"), VALUES, purpose="test")
    assert drafted.produced_by == "llm_with_fallback"
    assert "86% of the 20 seats" in drafted.body


def test_unfaithful_names_each_claim() -> None:
    reference = "Hi Julia, you use 86% of 20 seats. Best regards, Csm04"
    problems = unfaithful(Draft(subject="Seats", body="Hi Julia, 86% of 25 seats. Thanks, Jordan Smith"), reference)
    assert "number 25 is not in the facts" in problems
    assert "name 'Jordan Smith' is not in the facts" in problems
    assert unfaithful(Draft(subject="Seats", body="Thanks Julia: 86% of 20 seats are in use."), reference) == []
