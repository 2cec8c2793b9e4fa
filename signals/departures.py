"""Rule reading of people leaving or joining, from news items and farewell emails.

The market-intel watchtower matches the people and companies named here to
contacts and accounts; this module only reads the text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

Movement = Literal["departed", "joined", "none"]

#: "Jane Doe joins Acme as Head of Operations" / "Jane Doe, previously CTO at Foo, has joined Bar".
_JOINS = re.compile(
    r"(?P<person>[A-Z][\w'.-]+(?: [A-Z][\w'.-]+){1,3})(?:,[^,]*,)? (?:has )?(?:joins|joined|is joining|moves to)"
    r" (?P<company>[A-Z][\w&'.-]*(?: [A-Z0-9][\w&'.-]*){0,4})",
)
_PREVIOUSLY = re.compile(r"previously (?P<title>[^,]+?) at (?P<company>[A-Z][\w&'.-]*(?: [A-Z0-9][\w&'.-]*){0,4})")
_LEAVING = re.compile(
    r"\b(?:I am|I'm|I will be|I'll be) (?:leaving|moving on from|departing) (?:the company|\w+)"
    r"|\b(?:my|our) last day (?:is|will be)"
    r"|\b(?:steps?|stepping|stepped) down\b"
    r"|\b(?:has left|left the company|is leaving)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class MovementReading:
    movement: Movement
    person: str | None = None
    #: The company the person moved to, when the text names one.
    new_company: str | None = None
    previous_company: str | None = None
    #: The sentence the reading rests on, quoted from the text.
    quote: str = ""


def _sentence(text: str, start: int, end: int) -> str:
    left = max(text.rfind(".", 0, start), text.rfind("\n", 0, start)) + 1
    right_candidates = [i for i in (text.find(".", end), text.find("\n", end)) if i != -1]
    right = min(right_candidates) + 1 if right_candidates else len(text)
    return text[left:right].strip()


def read_movement(text: str, *, company: str | None = None) -> MovementReading:
    """What the text says about someone leaving ``company`` (the customer), if anything."""
    joins = _JOINS.search(text)
    if joins:
        previously = _PREVIOUSLY.search(text)
        new_company = joins.group("company").rstrip(".")
        previous = previously.group("company").rstrip(".") if previously else None
        quote = _sentence(text, joins.start(), joins.end())
        if company and new_company.lower() == company.lower():
            return MovementReading("joined", joins.group("person"), new_company, previous, quote)
        return MovementReading("departed", joins.group("person"), new_company, previous or company, quote)
    leaving = _LEAVING.search(text)
    if leaving:
        return MovementReading("departed", None, None, company, _sentence(text, leaving.start(), leaving.end()))
    return MovementReading("none")
