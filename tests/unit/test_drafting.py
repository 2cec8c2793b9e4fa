"""Drafts: a typed record of raw values, printed into templates; a model's rewrite is kept only when every
number, date and name in it traces to that record.

The chat model is langchain-core's scripted fake (third-party test support)
standing in for an endpoint, as in test_structured_reader.py.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from langchain_core.language_models import FakeMessagesListChatModel
from langchain_core.messages import AIMessage

from actions.drafting import Draft, Drafter, MessageFacts, NoticeFacts, message_facts, render, unfaithful
from core.faithfulness import check
from llm.structured import LlmReader
from playbooks.facts import AccountFacts, ContractTerm, Person
from prompts.templates import load_template

AS_OF = date(2026, 11, 22)
JULIA = Person(7, "ACC-00004-P01", "Julia Chen", "julia@maple.example", ("champion",), "Ops", True)
SAM = Person(8, "ACC-00004-P02", "Sam Okafor", "sam@maple.example", ("admin",), "IT", True)
CONTRACT = ContractTerm(3, "ACC-00004-C2", date(2026, 3, 15), date(2027, 3, 14), 11595.61, "active", 22, ("Core",))
ACCOUNT = AccountFacts(
    account_id=4,
    external_id="ACC-00004",
    name="Maple Robotics 4",
    owner_csm="csm04@watchtower.example",
    values={
        "arr": 11595.61,
        "seats_purchased": 22,
        "score": 64.4,
        "band": "Yellow",
        "renewal_on": date(2027, 3, 14),
        "days_to_renewal": 112,
        "product_health": {
            "usage_before": 50.0,
            "usage_now": 18.06,
            "usage_change": -0.6388,
            "plan_seat_usage": 0.8636,
        },
        "alert": {
            "usage_decline": {"change": -0.6388, "before": 50.0, "now": 18.06, "days_open": 2, "facts": {}},
            "nps_detractor": {"score": 3, "contact": "ACC-00004-P02", "days_open": 1, "facts": {}},
            "champion_departure": {"people": ["Dana Reyes"], "days_open": 0, "facts": {}},
            "new_department": {"now": 3, "before": 1, "days_open": 0, "facts": {}},
            "power_users": {"now": 7.0, "before": 2.0, "days_open": 0, "facts": {}},
        },
    },
    contacts=[JULIA, SAM],
    contracts=[CONTRACT],
)
RECORD = message_facts(ACCOUNT, ACCOUNT.for_contract(CONTRACT, AS_OF), play_name="Usage decline", recipient=JULIA)
TEMPLATES = sorted(p.stem for p in (Path(__file__).parents[2] / "prompts" / "templates").glob("*.md"))
#: ``notice_`` templates are written from records of their own (``actions.settlement_notices``), tested there.
MESSAGE_TEMPLATES = [t for t in TEMPLATES if not t.startswith(("artifact_", "notice_"))]


def test_the_record_holds_raw_values_computed_from_the_accounts_facts() -> None:
    # for_contract: days from 22 Nov 2026 to the contract's end on 14 Mar 2027 are 8 + 31 + 31 + 28 + 14.
    assert RECORD.days_to_renewal == 8 + 31 + 31 + 28 + 14 == 112
    assert RECORD.renewal_on == date(2027, 3, 14)
    assert (RECORD.usage_change, RECORD.seat_usage, RECORD.arr) == (-0.6388, 0.8636, 11595.61)
    assert (RECORD.usage_before, RECORD.usage_now, RECORD.seats_purchased) == (50.0, 18.06, 22)
    assert RECORD.new_departments == 3 - 1
    assert (RECORD.nps_score, RECORD.respondent_name) == (3, "Sam Okafor")  # the respondent is looked up by id
    assert RECORD.departed_people == ["Dana Reyes"]
    assert (RECORD.contact_name, RECORD.contact_first_name, RECORD.csm_name) == ("Julia Chen", "Julia", "Csm04")


def test_rendering_prints_the_record_the_way_templates_show_it() -> None:
    printed = render(RECORD)
    assert printed["usage_change_pct"] == "64%"  # a decline prints unsigned
    assert printed["seat_usage_pct"] == "86%"
    assert printed["arr"] == "$11,596"
    assert printed["renewal_date"] == "14 March 2027"
    assert (printed["days_to_renewal"], printed["usage_now"], printed["score"]) == ("112", "18.1", "64.4")
    assert printed["new_departments"] == "2" and printed["departed_people"] == "Dana Reyes"
    no_usage = MessageFacts(account_name="A", account_id="A1", play_name="P")
    assert "usage_change_pct" not in render(no_usage) and "renewal_date" not in render(no_usage)


@pytest.mark.parametrize("name", MESSAGE_TEMPLATES)
def test_every_message_template_states_only_what_its_record_holds(name: str) -> None:
    """A template that adds a figure, a promise or a person of its own, or a formatter that prints a value
    wrongly, fails here: the reference is the record, never the template."""
    subject, body = load_template(name).render(render(RECORD))
    verdict = check(f"{subject}\n{body}", RECORD)
    assert verdict.faithful, f"{name}: {verdict.problems}"


def test_a_notification_record_carries_the_alerts_it_lists() -> None:
    notice = NoticeFacts(**RECORD.model_dump(), alerts=[])
    assert check("Usage decline for Maple Robotics 4 (ACC-00004).\nHealth: Yellow (64)", notice).faithful
    assert not check("Usage decline for Maple Robotics 4: down 70%", notice).faithful


def _drafter(*answers: dict | str) -> Drafter:
    replies = [AIMessage(a if isinstance(a, str) else json.dumps(a)) for a in answers]
    return Drafter(LlmReader(FakeMessagesListChatModel(responses=replies), model_name="fake", method="json_mode"))


def _draft(drafter: Drafter) -> object:
    return drafter.draft(load_template("plan_limit_options"), render(RECORD), facts=RECORD, purpose="test")


def test_without_a_model_the_template_is_the_draft_and_carries_its_record() -> None:
    drafted = _draft(Drafter())
    assert drafted.produced_by == "deterministic"
    assert "86% of the 22 seats" in drafted.body and drafted.subject.startswith("Maple Robotics 4")
    assert drafted.facts == RECORD.model_dump(mode="json")
    assert drafted.facts["seat_usage"] == 0.8636  # the raw value, not the printed one


def test_a_faithful_rewrite_is_kept() -> None:
    good = {
        "subject": "Maple Robotics 4 is close to its plan's seat limit",
        "body": "Hi Julia,\n\nYour team now uses 86% of its 22 seats; your renewal is on 14 March 2027. "
        "Shall we look at options?\n\nCsm04",
    }
    drafted = _draft(_drafter(good))
    assert drafted.produced_by == "llm"
    assert drafted.body == good["body"]


@pytest.mark.parametrize(
    "invented",
    [
        "Hi Julia, you use 95% of 22 seats. Csm04",  # a changed percent
        "Hi Julia, we can offer a 30% discount. Csm04",  # an invented discount
        "Hi Julia, you use 86% of 22 seats. Regards, Jordan Smith",  # an invented person
        "Hi Julia, your renewal is on 14 April 2027. Csm04",  # a wrong date
    ],
)
def test_an_invented_number_date_or_name_falls_back_to_the_template(invented: str) -> None:
    answer = {"subject": "Maple Robotics 4 is close to its seat limit", "body": invented}
    drafted = _draft(_drafter(answer, answer))
    assert drafted.produced_by == "llm_with_fallback"
    assert "86% of the 22 seats" in drafted.body


def test_unfaithful_names_each_claim() -> None:
    problems = unfaithful(Draft(subject="Seats", body="Hi Julia, 86% of 25 seats. Thanks, Jordan Smith"), RECORD)
    assert problems == ["number 25 is not in the facts", "name 'Jordan Smith' is not in the facts"]
    assert unfaithful(Draft(subject="Seats", body="Thanks Julia: 86% of 22 seats are in use."), RECORD) == []
