"""Draft messages and documents from a typed record of facts; a model may polish the prose, never the facts.

A text is made in two steps: a builder turns the account's facts into a record of raw values
(``MessageFacts``: ratios as ratios, money as amounts, dates as dates), and rendering prints that record
into the strings templates fill (``64%``, ``$11,596``, ``14 March 2027``). The record is stored with the
text, and ``core.faithfulness`` checks the text against it: every number, date and name the text states
must be one of the record's values. The deterministic draft is always made first. With a model
configured, the draft is handed over inside a data section with the rule to keep every number and name,
and the answer is rejected (and the deterministic draft kept) when it states anything the record does not.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from core.faithfulness import check
from llm.structured import LlmReader
from playbooks.facts import AccountFacts, Person
from prompts.loader import load_prompt
from prompts.templates import Template

log = logging.getLogger(__name__)

#: What the drafts propose: a meeting's and a call's length, and the survey scale they ask on.
MEETING_MINUTES = 30
CALL_MINUTES = 20
NPS_LOWEST, NPS_HIGHEST = 0, 10


class Draft(BaseModel):
    """A message or document: the subject line and the body in Markdown."""

    subject: str = Field(description="One line, no more than 120 characters.")
    body: str = Field(description="The whole text, keeping every number and name of the draft unchanged.")


@dataclass(frozen=True)
class Drafted:
    subject: str
    body: str
    produced_by: str
    #: The record the text was written from, in its JSON form: store it with the text.
    facts: dict[str, Any]


class MessageFacts(BaseModel):
    """The facts a play's message, notification or task title is written from, as raw values.

    One builder (``message_facts``) makes it from the account's facts; ``render`` prints it. A value the
    account lacks stays None, and a template that needs it fails rather than sending a blank.
    """

    model_config = ConfigDict(frozen=True)

    account_name: str
    account_id: str = Field(description="The customer's external id.")
    play_name: str
    csm_email: str | None = None
    csm_name: str | None = Field(None, description="The account's CSM as a name, from the address.")
    contact_name: str | None = None
    contact_first_name: str | None = None
    respondent_name: str | None = Field(None, description="Who gave the detractor answer.")
    usage_change: float | None = Field(None, description="Active usage change as a ratio: -0.6386 is a 64% fall.")
    usage_before: float | None = Field(None, description="Active users a week before the change window.")
    usage_now: float | None = Field(None, description="Active users a week in the latest window.")
    seat_usage: float | None = Field(None, description="Share of plan seats in use, as a ratio.")
    seats_purchased: int | None = None
    nps_score: int | None = None
    departed_people: list[str] = Field(default_factory=list)
    new_departments: int | None = None
    power_users_now: float | None = None
    renewal_on: date | None = None
    days_to_renewal: int | None = None
    arr: float | None = None
    band: str | None = None
    score: float | None = None
    meeting_minutes: int = MEETING_MINUTES
    call_minutes: int = CALL_MINUTES
    nps_lowest: int = NPS_LOWEST
    nps_highest: int = NPS_HIGHEST


class AlertFacts(BaseModel):
    """An open alert as a text mentions it: its type, days open, and the raw values its title was printed from."""

    type: str
    days_open: int
    facts: dict[str, Any] = Field(default_factory=dict)


def alert_facts(kind: str, alert: dict[str, Any]) -> AlertFacts:
    """From an alert in the account's facts (``facts["alert"][kind]``)."""
    return AlertFacts(type=kind, days_open=alert["days_open"], facts=alert.get("facts") or {})


class NoticeFacts(MessageFacts):
    """An internal notification about a play: the play's record plus the open alerts its body lists."""

    alerts: list[AlertFacts] = Field(default_factory=list)


class TaskFacts(MessageFacts):
    """What a task's title was filled from: the play's record, and the ritual or the hours the step names."""

    ritual: str | None = None
    hours: int | None = None


def _money(value: float | None) -> str | None:
    return f"${value:,.0f}" if value is not None else None


def _pct(value: float | None) -> str | None:
    return f"{abs(value) * 100:.0f}%" if value is not None else None


def _count(value: float | int | None) -> str | None:
    if value is None:
        return None
    return f"{value:.0f}" if float(value).is_integer() else f"{value:.1f}"


def _day(value: date | None) -> str | None:
    return value.strftime("%d %B %Y") if value is not None else None


def _first(name: str | None) -> str | None:
    return name.split()[0] if name else None


def _csm_name(address: str | None) -> str | None:
    if not address:
        return None
    local = address.split("@")[0].replace(".", " ").replace("_", " ")
    return " ".join(part.capitalize() for part in local.split())


def message_facts(
    account: AccountFacts,
    facts: dict[str, Any],
    *,
    play_name: str,
    recipient: Person | None = None,
    csm_name: str | None = None,
) -> MessageFacts:
    """The record a play's texts are written from: the account's facts (or a contract's, from
    ``AccountFacts.for_contract``) and, for an email, its recipient. ``csm_name`` is the CSM's name from
    their user record; without one it is read from their address."""
    alerts = facts.get("alert") or {}
    usage = alerts.get("usage_decline") or {}
    product = facts.get("product_health") or {}
    nps = alerts.get("nps_detractor") or {}
    departure = alerts.get("champion_departure") or {}
    department = alerts.get("new_department") or {}
    power = alerts.get("power_users") or {}
    respondent = next((p for p in account.contacts if p.external_id == nps.get("contact")), None)
    return MessageFacts(
        account_name=account.name,
        account_id=account.external_id,
        play_name=play_name,
        csm_email=account.owner_csm,
        csm_name=csm_name or _csm_name(account.owner_csm),
        contact_name=recipient.name if recipient else None,
        contact_first_name=_first(recipient.name) if recipient else None,
        respondent_name=respondent.name if respondent else None,
        usage_change=usage.get("change", product.get("usage_change")),
        usage_before=usage.get("before", product.get("usage_before")),
        usage_now=usage.get("now", product.get("usage_now")),
        seat_usage=product.get("plan_seat_usage"),
        seats_purchased=facts.get("seats_purchased"),
        nps_score=nps.get("score"),
        departed_people=list(departure.get("people") or []),
        new_departments=(department.get("now") or 0) - (department.get("before") or 0) if department else None,
        power_users_now=power.get("now"),
        renewal_on=facts.get("renewal_on"),
        days_to_renewal=facts.get("days_to_renewal"),
        arr=facts.get("arr"),
        band=facts.get("band"),
        score=facts.get("score"),
    )


def render(record: MessageFacts) -> dict[str, str]:
    """Every template value the record has, printed; a missing one stays out."""
    raw: dict[str, str | None] = {
        "account_name": record.account_name,
        "account_id": record.account_id,
        "play_name": record.play_name,
        "csm_email": record.csm_email,
        "csm_name": record.csm_name,
        "contact_name": record.contact_name,
        "contact_first_name": record.contact_first_name,
        "respondent_name": record.respondent_name,
        "usage_change_pct": _pct(record.usage_change),
        "usage_before": _count(record.usage_before),
        "usage_now": _count(record.usage_now),
        "seat_usage_pct": _pct(record.seat_usage),
        "seats_purchased": _count(record.seats_purchased),
        "nps_score": _count(record.nps_score),
        "departed_people": ", ".join(record.departed_people) or None,
        "new_departments": _count(record.new_departments),
        "power_users_now": _count(record.power_users_now),
        "renewal_date": _day(record.renewal_on),
        "days_to_renewal": _count(record.days_to_renewal),
        "arr": _money(record.arr),
        "band": record.band,
        "score": _count(record.score),
        "meeting_minutes": _count(record.meeting_minutes),
        "call_minutes": _count(record.call_minutes),
        "nps_lowest": _count(record.nps_lowest),
        "nps_highest": _count(record.nps_highest),
    }
    return {k: v for k, v in raw.items() if v is not None and v != ""}


def template_values(
    account: AccountFacts, facts: dict[str, Any], *, play_name: str, recipient: Person | None = None
) -> dict[str, str]:
    """``render(message_facts(...))``: the printed values of a play's record, for titles and templates."""
    return render(message_facts(account, facts, play_name=play_name, recipient=recipient))


def record_json(facts: BaseModel | Mapping[str, Any]) -> dict[str, Any]:
    """A record in the JSON form it is stored and checked in."""
    return facts.model_dump(mode="json") if isinstance(facts, BaseModel) else dict(facts)


def unfaithful(draft: Draft, facts: BaseModel | Mapping[str, Any]) -> list[str]:
    """What the draft states that its record does not: untraced numbers, dates and names."""
    return check(f"{draft.subject}\n{draft.body}", facts).problems


@dataclass
class Drafter:
    """Makes drafts; ``reader`` None (no model) keeps every draft deterministic."""

    reader: LlmReader | None = None

    def draft(
        self, template: Template, values: dict[str, str], *, facts: BaseModel | Mapping[str, Any], purpose: str
    ) -> Drafted:
        """Fill ``template`` with ``values`` (printed from ``facts``); a model's rewrite must trace to ``facts``."""
        record = record_json(facts)
        subject, body = template.render(values)
        if problems := unfaithful(Draft(subject=subject, body=body), record):
            # Left to the faithfulness suite to fail the build; said here so a running system shows it too.
            log.warning("template %s states what its facts do not: %s", template.name, "; ".join(problems[:5]))
        if self.reader is None or self.reader.model is None:
            return Drafted(subject, body, "deterministic", record)
        result = self.reader.read(
            step=f"draft:{template.name}",
            prompt=load_prompt("improve_draft"),
            variables={"purpose": purpose, "subject": subject, "body": body},
            schema=Draft,
            deterministic=lambda: Draft(subject=subject, body=body),
            check=lambda d: unfaithful(d, record),
        )
        produced = {"llm": "llm", "llm_cache": "llm", "fallback": "llm_with_fallback"}.get(
            result.produced_by, "deterministic"
        )
        return Drafted(result.output.subject, result.output.body, produced, record)
