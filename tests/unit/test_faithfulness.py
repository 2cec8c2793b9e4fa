"""The faithfulness checker: claims are traced to their record as values, dates and entities, never as text."""

from __future__ import annotations

from datetime import date

import pytest
from pydantic import BaseModel

from core.faithfulness import Directory, check, reference

RECORD = {
    "account_name": "Maple Robotics 4",
    "account_id": "ACC-00004",
    "contact_name": "Julia Chen",
    "contact_first_name": "Julia",
    "csm_name": "Csm04",
    "seat_usage": 0.8636,
    "usage_change": -0.6386,
    "seats_purchased": 20,
    "arr": 11595.61,
    "renewal_on": "2027-03-14",
    "days_to_renewal": 112,
    "score": 64.4,
    "trend": 2.7,
}


def untraced(text: str, record: object = RECORD) -> list[str]:
    return [c.text for c in check(text, record).untraced]


@pytest.mark.parametrize(
    ("text", "traced"),
    [
        ("86% of seats", True),  # 0.8636 prints as 86%
        ("86.4% of seats", True),  # one more decimal, still the same ratio
        ("87% of seats", False),
        ("0.86 of seats", True),  # the ratio printed as it is
        ("0.87 of seats", False),
        ("usage fell 64%", True),  # a decline may print unsigned
        ("usage changed -64%", True),
        ("usage changed +64%", False),  # a printed sign must match the record's
        ("ARR $11,596", True),
        ("ARR $11,595.61", True),
        ("ARR $11,600", False),
        ("ARR $12k", True),  # 11595.61 rounds to 12 thousand
        ("ARR $11k", False),
        ("20 seats", True),
        ("21 seats", False),
        ("112 days to go", True),
        ("113 days to go", False),
        ("score 64", True),
        ("score 64.4", True),
        ("score 64.5", False),
        ("+3 points", True),
        ("-3 points", False),
    ],
)
def test_numbers_are_compared_as_values_within_the_printed_precision(text: str, traced: bool) -> None:
    assert (untraced(text) == []) is traced, check(text, RECORD).claims


def test_units_decide_what_a_number_is_compared_with() -> None:
    record = {"seat_usage": 0.3, "discount_pct": 15, "seats": 50}
    assert untraced("30% of seats", record) == []  # a ratio
    assert untraced("a 15% discount", record) == []  # a *_pct field holds percent points
    assert untraced("50% more", record) == ["50%"]  # 50 is a count here, not a ratio
    assert untraced("3000% more", record) == ["3000%"]
    assert untraced("1000% of the scale", {"scale_top": 10}) == ["1000%"]  # an int is a count, never a share
    assert untraced("1000% of the scale", {"growth": 10.0}) == []
    kinds = {c.text: c.kind for c in check("$50, 30%, 50 days, 15", record).claims}
    assert kinds == {"$50": "money", "30%": "percent", "50": "days", "15": "number"}


def test_identifiers_ranges_and_times_are_not_loose_numbers() -> None:
    # The address is a claim of its own (the record does not hold it); its digits are not numbers.
    assert untraced("Contract ACC-00004-C2, csm04@example.com", {"contract": "ACC-00004-C2"}) == ["csm04@example.com"]
    assert [(c.kind, c.text) for c in check("due at T-90", {}).claims] == [("name", "T-90")]  # a label, not -90
    assert untraced("NPS answers 0-6 are detractors", {"low": 0, "high": 6}) == []
    assert untraced("NPS answers 0-7", {"low": 0, "high": 6}) == ["7"]


@pytest.mark.parametrize(
    "text",
    ["Renewal on 14 March 2027.", "Renewal on 2027-03-14.", "Renewal on March 14, 2027.", "Due 2027-03-14T09:00:00Z"],
)
def test_dates_in_the_forms_the_system_prints_are_compared_as_dates(text: str) -> None:
    verdict = check(text, RECORD)
    assert [c.kind for c in verdict.claims] == ["date"] and verdict.faithful


def test_a_wrong_or_impossible_date_is_untraced_and_its_digits_are_not_numbers() -> None:
    assert untraced("Renewal on 21 March 2027, or 2027-02-30.") == ["21 March 2027", "2027-02-30"]
    assert check("Renewal on 14 March 2027", {"renewal_on": date(2027, 3, 14)}).faithful


def test_names_are_entities_of_the_record() -> None:
    assert untraced("Hi Julia, Julia Chen's team at Maple Robotics 4 (ACC-00004). Best regards, Csm04") == []
    assert untraced("Ms Chen agreed.") == ["Ms Chen"]  # "Ms" is not in the record's names
    assert untraced("We spoke to Chen yesterday.") == []  # part of a name in the record
    assert untraced("Our VP Jordan Blake has approved it.") == ["VP Jordan Blake"]
    assert untraced("Hi Jordan, thanks.") == ["Jordan"]
    # "Maple Robotics" is a mention of the record's company; the number that makes it another account is not.
    assert untraced("The team at Maple Robotics 40 agreed.") == ["40"]
    assert untraced("The team at Maple Foods 4 agreed.") == ["Maple Foods", "4"]
    assert untraced("Globex Corp wants in.") == ["Globex Corp"]


def test_ordinary_capitalised_words_are_not_names() -> None:
    text = (
        "Checking in on Maple Robotics 4\nHi Julia,\n\nThank you for your time on Monday. Usage fell in March. "
        "Could we meet? Kind regards,\nCsm04\n# Renewal readiness\n## Risks\n- Overdue at Maple Robotics 4: "
        "Send the order form. Our ARR and NPS, the QBR and the CSM, the Renewal and the Business Review."
    )
    verdict = check(text, RECORD)
    assert verdict.faithful, verdict.problems
    assert {c.text for c in verdict.claims if c.kind == "name"} == {"Maple Robotics 4", "Julia", "Csm04"}


def test_quoted_wording_is_taken_as_it_stands_and_only_verbatim() -> None:
    record = {"quoted": ["executive sponsor engaged in 90 days"], "before": 1, "after": 0}
    assert untraced("executive sponsor engaged in 90 days worsened", record) == []
    assert untraced("executive sponsor engaged in 60 days worsened", record) == ["60"]


def test_the_record_is_the_only_reference_not_the_text_or_its_template() -> None:
    # The same sentence traces against the record that has its values and fails against one that does not.
    text = "Maple Robotics 4 uses 86% of its 20 seats"
    assert check(text, RECORD).faithful
    assert untraced(text, {**RECORD, "seat_usage": 0.5}) == ["86%"]
    assert untraced(text, {"account_name": "Maple Robotics 4"}) == ["86%", "20"]


def test_a_pydantic_record_and_its_json_form_give_the_same_reference() -> None:
    class Facts(BaseModel):
        account_name: str
        renewal_on: date
        seat_usage: float

    facts = Facts(account_name="Maple Robotics 4", renewal_on=date(2027, 3, 14), seat_usage=0.86)
    assert reference(facts) == reference(facts.model_dump(mode="json"))
    assert check("Maple Robotics 4: 86% on 14 March 2027", facts).faithful


def test_problems_and_counts_say_what_failed() -> None:
    verdict = check("Jordan Blake offers 30% off on 1 April 2027 to Julia.", RECORD)
    assert verdict.problems == [
        "name 'Jordan Blake' is not in the facts",
        "number 30% (percent) is not in the facts",
        "date 1 April 2027 is not in the facts",
    ]
    assert verdict.counts() == {"name": 2, "percent": 1, "date": 1}


#: A message record as drafting stores it: the meeting and call lengths and the survey scale are in every one.
MESSAGE = {**RECORD, "meeting_minutes": 30, "call_minutes": 20, "nps_lowest": 0, "nps_highest": 10}


@pytest.mark.parametrize(
    ("text", "wrong"),
    [
        ("We add a $30 credit to your account.", "$30"),  # 30 is the meeting's length in minutes, not money
        ("A $20 fee applies.", "$20"),
        ("A $112 discount.", "$112"),  # the days to renewal
        ("You get 30 free days.", "30"),  # minutes are not days
        ("A 20-day extension.", "20"),
        ("Renewal is 11596 days away.", "11596"),  # the ARR, as days
    ],
)
def test_money_and_days_trace_only_to_money_and_day_values(text: str, wrong: str) -> None:
    assert untraced(text, MESSAGE) == [wrong]


def test_money_and_days_still_trace_to_their_own_values() -> None:
    record = {**MESSAGE, "amount_overdue": 4200.0, "arr_impact": -1500.0, "days_overdue": 45, "trend_days": 30}
    assert untraced("ARR $11,596, $4,200 overdue by 45 days; ARR impact $1,500.00; 112 days to go", record) == []
    assert untraced("Score moved over 30 days", record) == []
    assert untraced("Meet for 30 minutes", record) == []  # a plain count traces to any number, as before


@pytest.mark.parametrize(
    ("text", "wrong"),
    [
        ("We can take thirty percent off your renewal.", "thirty percent"),
        ("Take Twenty-Five per cent off.", "Twenty-Five per cent"),
        ("A credit of fifty dollars applies.", "fifty dollars"),
        ("One hundred dollars off.", "One hundred dollars"),
    ],
)
def test_spelled_out_percents_and_amounts_are_claims(text: str, wrong: str) -> None:
    assert untraced(text, MESSAGE) == [wrong]


def test_a_spelled_out_percent_that_is_the_records_value_traces() -> None:
    assert untraced("Usage fell by sixty-four percent.", MESSAGE) == []  # usage_change -0.6386
    assert untraced("Usage fell by sixty-five percent.", MESSAGE) == ["sixty-five percent"]


@pytest.mark.parametrize(
    ("text", "wrong"),
    [
        ("Seventy-seven renewals are due this quarter.", "Seventy-seven"),
        ("Four thousand eight hundred seventeen accounts churned.", "Four thousand eight hundred seventeen"),
        ("Twelve hundred seats sit idle.", "Twelve hundred"),
    ],
)
def test_a_count_spelled_out_in_words_is_a_claim(text: str, wrong: str) -> None:
    """A figure in words must trace like its digits, or a narrative could state any count the checker misses."""
    assert untraced(text, MESSAGE) == [wrong]


@pytest.mark.parametrize("text", ["ARR of $5m.", "ARR of $3.7bn.", "ARR of $2B.", "ARR of €40mm.", "ARR of USD 7m."])
def test_an_amount_with_a_scale_suffix_is_a_claim(text: str) -> None:
    """ "$5m" and "$3.7bn" are amounts, not words: a narrative must not state millions the record lacks."""
    assert len(untraced(text, MESSAGE)) == 1, text


def test_an_amount_with_a_scale_suffix_the_record_holds_traces() -> None:
    record = {"arr": 1_071_903.15, "meeting_minutes": 30}
    assert untraced("ARR of $1.07m, $1.1M, $0.001bn; a 30m call.", record) == []


def test_a_spelled_count_the_record_holds_traces_and_small_words_are_words() -> None:
    assert untraced("Thirty minutes were booked.", MESSAGE) == []  # meeting_minutes 30
    assert untraced("No one replied; the one who did was away.", MESSAGE) == []
    assert untraced("Hundreds of accounts were reviewed.", MESSAGE) == []


@pytest.mark.parametrize(
    ("text", "wrong"),
    [
        ("Reply to billing@globex-payments.example to claim it.", "billing@globex-payments.example"),
        ("Pay at https://pay.evil.example/renew to lock it in.", "https://pay.evil.example/renew"),
        ("See www.evil.example for details.", "www.evil.example"),
    ],
)
def test_an_address_or_a_link_the_record_does_not_hold_is_untraced(text: str, wrong: str) -> None:
    assert untraced(text, MESSAGE) == [wrong]


def test_an_address_or_a_link_of_the_record_traces() -> None:
    record = {**MESSAGE, "csm_email": "csm04@watchtower.example", "link": "https://app.watchtower.example/a/4"}
    assert untraced("Write to csm04@watchtower.example or open https://app.watchtower.example/a/4.", record) == []


@pytest.mark.parametrize(
    ("text", "wrong"),
    [
        ("Dr. Blake signed off on it.", ["Dr. Blake"]),
        ("Our VP, Mr. Jordan Blake, agreed.", ["VP", "Mr. Jordan Blake"]),
        ("J. Blake approved it.", ["J. Blake"]),
    ],
)
def test_a_title_or_an_initial_with_a_full_stop_does_not_hide_the_name_after_it(text: str, wrong: list[str]) -> None:
    assert untraced(text, MESSAGE) == wrong


def test_a_unit_beside_the_values_types_them_whatever_their_keys() -> None:
    reason = {"quoted": ["days the oldest unpaid invoice is overdue"], "before": 11.0, "after": 0.0}
    text = "days the oldest unpaid invoice is overdue improved: 11 days -> 0 days"
    typed = check(text, {"reasons": [{**reason, "unit": "days"}]})
    assert typed.faithful and [c.kind for c in typed.claims if c.kind != "quote"] == ["days", "days"]
    assert untraced(text, {"reasons": [reason]}) == ["11", "0"]  # untyped: a count, not days
    assert untraced("a $11 credit", {"reasons": [{**reason, "unit": "days"}]}) == ["$11"]


@pytest.mark.parametrize(
    ("text", "wrong"),
    [
        ("Take 30-percent off.", "30-percent"),
        ("Take 30 pct off.", "30 pct"),
        ("Take 30pc off.", "30pc"),
        ("Take 30 per-cent off.", "30 per-cent"),
        ("Take thirty-percent off.", "thirty-percent"),
    ],
)
def test_every_way_of_writing_a_percent_is_a_percent(text: str, wrong: str) -> None:
    assert untraced(text, MESSAGE) == [wrong]  # 30 is the meeting's length, never a share


@pytest.mark.parametrize(
    ("text", "wrong"),
    [
        ("A 30 dollars credit.", "30 dollars"),
        ("A $ 30 credit.", "$ 30"),
        ("A 30$ credit.", "30$"),
        ("A 30 USD credit.", "30 USD"),
    ],
)
def test_every_way_of_writing_an_amount_is_money(text: str, wrong: str) -> None:
    assert untraced(text, MESSAGE) == [wrong]


def test_seats_trace_only_to_seat_counts() -> None:
    assert untraced("We add 10 free seats.", MESSAGE) == ["10"]  # the top of the survey scale
    assert untraced("You use 30 licenses.", MESSAGE) == ["30"]  # the meeting's length
    assert untraced("All 20 seats of the plan.", MESSAGE) == []  # seats_purchased


def test_an_identifier_opening_a_sentence_is_still_a_name() -> None:
    assert untraced("ACC-00099 renewed early.", MESSAGE) == ["ACC-00099"]
    assert untraced("ACC-00004 renewed early.", MESSAGE) == []


BOOK = Directory.of(
    [
        ("Maple Robotics 4", "ACC-00004"),
        ("Julia Chen", "ACC-00004"),
        ("Lucas Wilson", "ACC-00002"),
        ("Vertex Energy 2", "ACC-00002"),
        ("Meera Silva", "ACC-00001"),
        ("Meera Silva", "ACC-00004"),  # two people of one name at two accounts
        ("Lucas", "ACC-00002"),  # a lone first name is too common to be anyone's
    ]
)


@pytest.mark.parametrize(
    ("text", "leaked"),
    [
        ("our peers at vertex energy 2 renewed early.", ["vertex energy 2"]),
        ("lucas wilson says hello.", ["lucas wilson"]),
        ("LUCAS WILSON approved it.", ["LUCAS WILSON"]),
    ],
)
def test_another_accounts_name_is_a_leak_in_any_case(text: str, leaked: list[str]) -> None:
    verdict = check(text, RECORD, directory=BOOK, account="ACC-00004")
    assert [c.text for c in verdict.untraced if c.kind == "leak"] == leaked
    assert f"name {leaked[0]!r} belongs to another account" in verdict.problems


def test_a_leak_is_caught_even_when_the_record_carries_it() -> None:
    # A record builder that fetched another account's person vouches for the name; the directory does not.
    contaminated = {**RECORD, "respondent_name": "Lucas Wilson"}
    assert check("Lucas Wilson gave you a 9.", contaminated, directory=BOOK, account="ACC-00004").problems == [
        "name 'Lucas Wilson' belongs to another account",
        "number 9 is not in the facts",
    ]


def test_the_accounts_own_names_and_shared_or_lone_names_are_not_leaks() -> None:
    text = "Julia Chen and meera silva at Maple Robotics 4; Lucas says hi."
    assert [c for c in check(text, RECORD, directory=BOOK, account="ACC-00004").claims if c.kind == "leak"] == []
