"""The briefing's pictures: the band distribution now and a week before, and each metric's trend."""

from __future__ import annotations

from playbooks.briefing_facts import BriefingFacts

BAND_COLORS = {"Green": "#2e7d32", "Yellow": "#b58900", "Orange": "#c75000", "Red": "#b3261e"}


def band_chart(facts: BriefingFacts) -> str:
    """Accounts per band a week before and now, as inline SVG."""
    return ""


def metric_charts(facts: BriefingFacts) -> list[str]:
    return []
