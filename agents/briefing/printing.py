"""How the briefing prints its raw facts: money, dates, shares and changes, one way everywhere.

The narrative template and the layouts use these, and the faithfulness check reads what they print back
against the raw record, so a printer that rounds wrongly is caught like a model that invents a figure.
"""

from __future__ import annotations

from datetime import date

CATEGORY_LABELS = {"commit": "commit", "upside": "upside", "at_risk": "at risk", "churn": "churn"}


def money(value: float) -> str:
    """$1.24M, $412k, $87.8k or $8,400: three figures at most, within the checker's rounding of the raw amount."""
    if abs(value) >= 1_000_000:
        return f"${value / 1_000_000:.2f}M"
    if abs(value) >= 100_000:
        return f"${value / 1000:.0f}k"
    if abs(value) >= 10_000:
        return f"${value / 1000:.1f}k"
    return f"${value:,.0f}"


def day(value: date | str | None) -> str:
    if value is None:
        return "-"
    if isinstance(value, str):
        value = date.fromisoformat(value)
    return f"{value.day} {value:%B %Y}"


def short_day(value: date | str | None) -> str:
    """14 Mar 2027, for table cells."""
    if value is None:
        return "-"
    if isinstance(value, str):
        value = date.fromisoformat(value)
    return f"{value.day} {value:%b %Y}"


def percent(ratio: float) -> str:
    return f"{ratio * 100:.0f}%"


def points(change: float) -> str:
    return f"{change:+.1f}"


def category(name: str | None) -> str:
    return CATEGORY_LABELS.get(name or "", name or "-")


def count(n: int, one: str, many: str | None = None) -> str:
    return f"{n} {one if n == 1 else (many or one + 's')}"
