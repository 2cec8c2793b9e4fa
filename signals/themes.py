"""Risk themes in what customers say: pricing, support, features, budget, competitor.

The rule path tags a sentence with every theme whose phrasing it contains;
themes only count as risk when the sentence itself reads negative, so
"support answered within the hour" is not a support risk.
"""

from __future__ import annotations

import re

THEMES: dict[str, re.Pattern[str]] = {
    name: re.compile(r"\b(?:" + "|".join(words) + r")\b", re.IGNORECASE)
    for name, words in {
        "pricing": (
            r"prices?",
            r"pricing",
            r"paying too much",
            r"too expensive",
            r"expensive",
            r"costs? too much",
            r"hard to justify",
            r"invoice[sd]?",
            r"discount",
        ),
        "support": (
            r"support",
            r"tickets?",
            r"escalat\w*",
            r"resolution",
            r"no (?:real )?answer",
            r"response times?",
            r"customer service",
        ),
        "features": (
            r"features?",
            r"module",
            r"missing basics",
            r"too slow",
            r"exports?",
            r"bugs?",
            r"crash\w*",
            r"confusing",
            r"stopped using",
            r"workflow builder",
            r"reporting",
        ),
        "budget": (
            r"budgets?",
            r"spend",
            r"cuts?",
            r"frozen",
            r"freeze",
            r"cost reduction",
            r"layoffs?",
            r"headcount",
        ),
        "competitor": (
            r"competitors?",
            r"another vendor",
            r"other (?:vendors?|tools?|providers?)",
            r"cheaper alternative",
            r"alternatives?",
            r"switch(?:ing)? to",
        ),
    }.items()
}
RISK_THEMES: tuple[str, ...] = tuple(THEMES)


def read_themes(text: str) -> tuple[str, ...]:
    return tuple(name for name, pattern in THEMES.items() if pattern.search(text))
