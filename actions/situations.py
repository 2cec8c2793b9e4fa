"""Which wording of a message fits the account's situation: a recap that celebrates a year does not go to an
account that just lost most of its users.

A template may have situation variants beside it, ``<name>_declining`` and
``<name>_at_risk``; the computed facts choose one, and the numbers in it are
still printed from the same record and traced by the faithfulness check. A
template without variants reads the same in every situation.
"""

from __future__ import annotations

from collections.abc import Collection

from actions.drafting import MessageFacts
from prompts.templates import TemplateError, load_template

#: Active usage down by this share or more reads as a decline: 20% is past the week-to-week noise of a team's
#: holidays, and where the usage-decline watchtower starts looking.
DECLINE = -0.20


def situation(record: MessageFacts, at_risk_bands: Collection[str]) -> str:
    """``declining`` when active use fell by ``DECLINE`` or more, ``at_risk`` when the band is one the
    glossary counts as at risk, else ``steady``; a fall in use is named first because the text can say it."""
    if record.usage_change is not None and record.usage_change <= DECLINE:
        return "declining"
    if record.band is not None and record.band in at_risk_bands:
        return "at_risk"
    return "steady"


def _exists(name: str) -> bool:
    try:
        load_template(name)
    except TemplateError:
        return False
    return True


def template_for(name: str, record: MessageFacts, at_risk_bands: Collection[str]) -> str:
    """The variant of ``name`` for the account's situation, falling back to ``name`` itself; a declining
    account with no declining variant gets the at-risk one."""
    found = situation(record, at_risk_bands)
    tried = {"declining": ("declining", "at_risk"), "at_risk": ("at_risk",), "steady": ()}[found]
    return next((f"{name}_{s}" for s in tried if _exists(f"{name}_{s}")), name)
