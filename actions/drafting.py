"""Draft messages and documents from templates and computed facts; a model may polish the prose, never the facts.

The deterministic draft is always made first. With a model configured, it is
handed over inside a data section with the rule to keep every number and name;
the answer is rejected (and the deterministic draft kept) when it carries a
number or a name the draft did not, so a polished email can never state a
figure the system did not compute.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from pydantic import BaseModel, Field

from llm.structured import LlmReader
from playbooks.facts import AccountFacts, Person
from prompts.loader import load_prompt
from prompts.templates import Template

_NUMBER = re.compile(r"\d[\d,]*(?:\.\d+)?")
_NAME = re.compile(r"\b[A-Z][a-zA-Z'-]+(?: +[A-Z][a-zA-Z'-]+)*")


class Draft(BaseModel):
    """A message or document: the subject line and the body in Markdown."""

    subject: str = Field(description="One line, no more than 120 characters.")
    body: str = Field(description="The whole text, keeping every number and name of the draft unchanged.")


@dataclass(frozen=True)
class Drafted:
    subject: str
    body: str
    produced_by: str


def _money(value: float | None) -> str | None:
    return f"${value:,.0f}" if value is not None else None


def _pct(value: float | None) -> str | None:
    return f"{abs(value) * 100:.0f}%" if value is not None else None


def _first(name: str | None) -> str | None:
    return name.split()[0] if name else None


def _csm_name(address: str | None) -> str | None:
    if not address:
        return None
    local = address.split("@")[0].replace(".", " ").replace("_", " ")
    return " ".join(part.capitalize() for part in local.split())


def template_values(
    account: AccountFacts, facts: dict[str, Any], *, play_name: str, recipient: Person | None = None
) -> dict[str, str]:
    """Every value a template may use that has one for this account; a missing one stays out, and a template
    that needs it fails with a message naming it rather than sending a blank."""
    alerts = facts.get("alert") or {}
    usage = alerts.get("usage_decline") or {}
    product = facts.get("product_health") or {}
    nps = alerts.get("nps_detractor") or {}
    departure = alerts.get("champion_departure") or {}
    department = alerts.get("new_department") or {}
    power = alerts.get("power_users") or {}
    respondent = next((p for p in account.contacts if p.external_id == nps.get("contact")), None)
    renewal_on: date | None = facts.get("renewal_on")
    seat_usage = product.get("plan_seat_usage")
    raw: dict[str, Any] = {
        "account_name": account.name,
        "account_id": account.external_id,
        "play_name": play_name,
        "csm_email": account.owner_csm,
        "csm_name": _csm_name(account.owner_csm),
        "contact_name": recipient.name if recipient else None,
        "contact_first_name": _first(recipient.name) if recipient else None,
        "respondent_name": respondent.name if respondent else None,
        "usage_change_pct": _pct(usage.get("change", product.get("usage_change"))),
        "usage_before": _count(usage.get("before", product.get("usage_before"))),
        "usage_now": _count(usage.get("now", product.get("usage_now"))),
        "seat_usage_pct": _pct(seat_usage),
        "seats_purchased": _count(facts.get("seats_purchased")),
        "nps_score": _count(nps.get("score")),
        "departed_people": ", ".join(departure.get("people") or []) or None,
        "new_departments": _count(
            (department.get("now") or 0) - (department.get("before") or 0) if department else None
        ),
        "power_users_now": _count(power.get("now")),
        "renewal_date": renewal_on.strftime("%d %B %Y") if renewal_on else None,
        "days_to_renewal": _count(facts.get("days_to_renewal")),
        "arr": _money(facts.get("arr")),
        "band": facts.get("band"),
        "score": _count(facts.get("score")),
    }
    return {k: str(v) for k, v in raw.items() if v is not None and v != ""}


def _count(value: float | int | None) -> str | None:
    if value is None:
        return None
    return f"{value:.0f}" if float(value).is_integer() else f"{value:.1f}"


def unfaithful(draft: Draft, reference: str) -> list[str]:
    """Numbers and capitalised names in the model's draft that the deterministic draft does not contain."""
    return claims(f"{draft.subject}\n{draft.body}", reference)[1]


def claims(text: str, reference: str) -> tuple[int, list[str]]:
    """How many numbers and names ``text`` states, and those that do not trace to ``reference``."""
    problems = []
    ref_numbers = {n.replace(",", "") for n in _NUMBER.findall(reference)}
    numbers = _NUMBER.findall(text)
    for number in numbers:
        if number.replace(",", "") not in ref_numbers:
            problems.append(f"number {number} is not in the facts")
    ref_words = {w.lower() for w in re.findall(r"[A-Za-z'-]+", reference)}
    names = 0
    for name in _NAME.findall(text):
        # A capitalised word the draft never used is a claim (a person, a company, a product); greetings and
        # sentence openers are not.
        words = [w.removesuffix("'s") for w in name.split() if w not in _COMMON]
        names += bool(words)
        unseen = [w for w in words if w.lower() not in ref_words]
        if unseen:
            problems.append(f"name {name!r} is not in the facts")
    return len(numbers) + names, problems


_COMMON = frozenset(
    "A An And As At But By Dear For From Hello Hi How I If In It Let Looking Many Our Please Regards Since So "
    "Thank Thanks That The Their There These This To We What When Which While Who Why With Would You Your Best "
    "Kind Warm Happy Just Could Can Do Here Is Are Was Were Will Over Also After Before Next Now Once Shall Should "
    "Sincerely Cheers Yes No Not Please Quick Great Good Glad".split()
)


@dataclass
class Drafter:
    """Makes drafts; ``reader`` None (no model) keeps every draft deterministic."""

    reader: LlmReader | None = None

    def draft(self, template: Template, values: dict[str, str], *, purpose: str) -> Drafted:
        subject, body = template.render(values)
        if self.reader is None or self.reader.model is None:
            return Drafted(subject, body, "deterministic")
        reference = f"{subject}\n{body}"
        result = self.reader.read(
            step=f"draft:{template.name}",
            prompt=load_prompt("improve_draft"),
            variables={"purpose": purpose, "subject": subject, "body": body},
            schema=Draft,
            deterministic=lambda: Draft(subject=subject, body=body),
            check=lambda d: unfaithful(d, reference),
        )
        produced = {"llm": "llm", "llm_cache": "llm", "fallback": "llm_with_fallback"}.get(
            result.produced_by, "deterministic"
        )
        return Drafted(result.output.subject, result.output.body, produced)
