"""One line that says why a renewal got its forecast category: the terms of the rule that held, with values.

"at risk: no customer contact in 52 days, renewal in 41 days" instead of the rule's text. Computed from
the rule and the facts stored with the forecast, so an old forecast explains itself the same way later.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from core.conditions import Term, held_branches, lookup, parse


def _number(value: Any) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def _engagement(facts: Mapping[str, Any], negated: bool) -> str:
    if "days_since_engagement" not in facts:  # a forecast stored before the days were kept beside it
        return "no customer contact in the engagement window" if negated else "customer contact in the window"
    days = facts["days_since_engagement"]
    if negated:
        return "no customer contact on record" if days is None else f"no customer contact in {days} days"
    return f"customer contact {days} days ago"


def _alert(name: str, facts: Mapping[str, Any], negated: bool) -> str:
    kind = name.split(".")[1].replace("_", " ")
    if negated:
        return f"no {kind} alert"
    alert = lookup(facts, ".".join(name.split(".")[:2])) or {}
    title = alert.get("title") if isinstance(alert, Mapping) else None
    return f"{kind} alert: {title}" if title else f"open {kind} alert"


def phrase(term: Term, facts: Mapping[str, Any]) -> str:
    """A term in words with the values it read; a term with no wording of its own shows its text and values."""
    name = term.names[0]
    if name == "engaged":
        return _engagement(facts, term.negated)
    if name.startswith("alert."):
        return _alert(name, facts, term.negated)
    if name == "days_to_renewal" and len(term.names) == 1:
        days = facts.get("days_to_renewal")
        return f"renewal in {days} days" if days is None or days >= 0 else f"renewal {-days} days ago"
    if name == "band" and len(term.names) == 1:
        score = facts.get("score")
        return f"health {facts.get('band')}" + ("" if score is None else f" (score {_number(score)})")
    if name == "timeline" and len(term.names) == 1:
        late = facts.get("milestones_late")
        status = str(facts.get("timeline")).replace("_", " ")
        return f"timeline {status}" + (f", {late} milestones late" if late else "")
    if name == "champion_present":
        return "no active champion" if term.negated else "a champion in place"
    if name == "churned":
        return "the customer has left" if not term.negated else "still a customer"
    values = ", ".join(f"{n} {_number(lookup(facts, n))}" for n in term.names)
    return f"{term.source} ({values})"


def explain(rule: str, category: str, facts: Mapping[str, Any]) -> str:
    """``<category>: <why>``: the true branches of the rule joined by '; ', the terms of a branch by ', '."""
    branches = held_branches(parse(rule), facts)
    label = category.replace("_", " ")
    if not branches:
        return f"{label}: no risk condition holds"
    return f"{label}: " + "; ".join(", ".join(phrase(t, facts) for t in branch) for branch in branches)
