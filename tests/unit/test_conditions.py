"""The condition language: what it accepts, what it refuses, and how missing facts behave."""

from __future__ import annotations

import pytest

from core.conditions import ConditionError, parse, unknown_names

FACTS = {
    "arr": 12_000.0,
    "band": "Orange",
    "churned": False,
    "score": None,
    "alert": {"usage_decline": {"change": -0.62, "severity": "critical"}},
}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("arr > 5000 and band in ('Yellow', 'Orange', 'Red')", True),
        ("arr > 5000 and band in ['Green']", False),
        ("alert.usage_decline and alert.usage_decline.change <= -0.5", True),
        ("alert.usage_decline.change <= -0.7", False),
        ("alert.nps_detractor", False),  # no such open alert: None, falsy
        ("not alert.nps_detractor and not churned", True),
        ("score >= 60", False),  # no score: an ordering comparison with None is false, never an error
        ("score < 60", False),
        ("score == none", True),
        ("band != 'Green' or arr < 1", True),
        ("1000 < arr <= 12000", True),
        ("true", True),
        ("alert.usage_decline.severity in ('high', 'critical')", True),
        ("band not in ('Green', 'Yellow')", True),
    ],
)
def test_evaluates(text: str, expected: bool) -> None:
    assert parse(text).evaluate(FACTS) is expected


@pytest.mark.parametrize(
    "text",
    [
        "__import__('os').system('true')",  # calls
        "arr.__class__",  # dunder attribute reads are still only fact paths, but calls and subscripts are out
        "alert['usage_decline']",  # subscripts
        "arr * 2 > 5",  # arithmetic
        "lambda: 1",
        "[x for x in arr]",
        "arr if band else 0",
        "-arr < 0",  # minus only before a number
        "",
        "arr >",
        "band is None",
    ],
)
def test_refuses_anything_but_facts_comparisons_and_literals(text: str) -> None:
    if text == "arr.__class__":
        condition = parse(text)  # a dotted name is only ever looked up in the facts mapping
        assert condition.evaluate(FACTS) is False
        return
    with pytest.raises(ConditionError):
        parse(text)


def test_names_are_checked_against_a_vocabulary_with_prefixes() -> None:
    condition = parse("alert.usage_decline.change < 0 and arrr > 5 and signal.logins > 1")
    assert unknown_names(condition, {"arr"}, ("alert.", "signal.")) == ["arrr"]


def test_evidence_records_the_value_of_every_fact_read() -> None:
    condition = parse("alert.usage_decline.change <= -0.5 and arr > 5000")
    assert condition.evidence(FACTS) == {"alert.usage_decline.change": -0.62, "arr": 12_000.0}
