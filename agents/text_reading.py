"""Reading untrusted text into typed schemas: the LLM step's output models, their checks and the rule path.

The same pydantic models are the LLM's output schema (their docstrings and
field descriptions are what it sees) and the deterministic path's output, so
downstream code cannot tell the paths apart except by ``produced_by``.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, Field

from signals.departures import read_movement
from signals.intents import read_cancel_intent
from signals.sentiment import read_sentiment
from signals.themes import read_themes
from tools.records import ContactRecord, InteractionRecord, MarketSignalRecord

Theme = Literal["pricing", "support", "features", "budget", "competitor"]
_SPEAKER = re.compile(r"^(?P<speaker>[^:\n]{1,80}):[ \t]*(?P<said>.+)$", re.MULTILINE)
_SENTENCE = re.compile(r"[^.!?\n]+[.!?]?")
_SPACE = re.compile(r"\s+")


class Statement(BaseModel):
    """One thing a customer participant said and how they felt saying it."""

    contact_id: int | None = Field(description="contact_id of the customer who said it, from the participant list.")
    quote: str = Field(min_length=1, max_length=600, description="The sentence, copied exactly from the text.")
    sentiment: float = Field(ge=-1, le=1, description="-1 angry or leaving, 0 neutral, 1 delighted.")
    themes: list[Theme] = Field(default_factory=list, description="Risks raised in this sentence, if any.")


class InteractionReading(BaseModel):
    """How the customer participants in one conversation feel, sentence by sentence."""

    statements: list[Statement] = Field(default_factory=list, max_length=30)
    cancel_intent: bool = Field(False, description="True only if a customer says they want to cancel or not renew.")


class NewsReading(BaseModel):
    """Whether a news item says a named person left or joined the customer company."""

    movement: Literal["departed", "joined", "none"]
    person: str | None = Field(None, description="The person's name as written in the text.")
    new_company: str | None = Field(None, description="Where the person went, as written in the text.")
    quote: str = Field("", max_length=600, description="The sentence the answer rests on, copied exactly.")


def _norm(text: str) -> str:
    return _SPACE.sub(" ", text).strip().lower()


def _quoted(fragment: str, source: str) -> bool:
    return _norm(fragment) in _norm(source)


def check_interaction(reading: InteractionReading, text: str, participant_ids: set[int]) -> list[str]:
    """What in a model's reading the text does not support."""
    problems = []
    for n, s in enumerate(reading.statements):
        if not _quoted(s.quote, text):
            problems.append(f"statements[{n}].quote does not occur in the text")
        if s.contact_id is not None and s.contact_id not in participant_ids:
            problems.append(f"statements[{n}].contact_id {s.contact_id} is not a participant")
    return problems


def check_news(reading: NewsReading, text: str) -> list[str]:
    problems = []
    if reading.quote and not _quoted(reading.quote, text):
        problems.append("quote does not occur in the text")
    for name in ("person", "new_company"):
        value = getattr(reading, name)
        if value and not _quoted(value, text):
            problems.append(f"{name} {value!r} does not occur in the text")
    if reading.movement != "none" and not reading.person:
        problems.append("a movement needs the person's name")
    return problems


def _statements(said: str, contact_id: int | None) -> list[Statement]:
    out = []
    for match in _SENTENCE.finditer(said):
        sentence = match.group(0).strip()
        if len(sentence) < 3:
            continue
        reading = read_sentiment(sentence)
        themes = read_themes(sentence) if reading.label == "negative" else ()
        if reading.label != "neutral" or themes:
            out.append(Statement(contact_id=contact_id, quote=sentence, sentiment=reading.score, themes=list(themes)))
    return out


def _by_name(contacts: list[ContactRecord]) -> dict[str, int]:
    return {c.name.lower(): c.id for c in contacts if c.name}


def read_interaction_rules(item: InteractionRecord, contacts: list[ContactRecord]) -> InteractionReading:
    """Speaker turns in transcripts; for emails, the body is the signer's (or the only participant's)."""
    body = item.body or ""
    names = _by_name([c for c in contacts if c.id in item.contact_ids] or contacts)
    statements: list[Statement] = []
    customer_text: list[str] = []
    if item.kind == "email":
        lines = [line for line in body.splitlines() if line.strip()]
        signer = next(
            (names[line.strip().lower()] for line in reversed(lines[-3:]) if line.strip().lower() in names), None
        )
        sender = signer if signer is not None else (item.contact_ids[0] if len(item.contact_ids) == 1 else None)
        content = [ln for ln in lines if not re.match(r"^(hi|hello|dear|best|thanks|regards)\b[^.]*,?$", ln, re.I)]
        content = [ln for ln in content if ln.strip().lower() not in names]
        for line in content:
            statements += _statements(line, sender)
            customer_text.append(line)
    else:
        for turn in _SPEAKER.finditer(body):
            contact_id = names.get(turn.group("speaker").strip().lower())
            if contact_id is None:
                continue  # our own staff, or someone we cannot place
            statements += _statements(turn.group("said"), contact_id)
            customer_text.append(turn.group("said"))
    cancel = read_cancel_intent(" ".join(customer_text)).cancel
    return InteractionReading(statements=statements[:30], cancel_intent=cancel)


def read_news_rules(item: MarketSignalRecord, company: str) -> NewsReading:
    text = f"{item.title}. {item.body or ''}"
    reading = read_movement(text, company=company)
    if reading.movement == "none":
        return NewsReading(movement="none")
    person = reading.person or item.person_name
    return NewsReading(movement=reading.movement, person=person, new_company=reading.new_company, quote=reading.quote)
