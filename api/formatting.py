"""How the web pages write money and times: the same figure reads the same on every page."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

#: Currencies written with a sign before the amount; any other code follows the amount ("980 CHF").
SYMBOLS = {"USD": "$", "EUR": "\u20ac", "GBP": "\u00a3", "JPY": "\u00a5"}


def money(value: Any) -> str:
    """1,912.41 and −1,912.41 (a true minus sign); an empty cell for no value, the raw text if not a number."""
    if value is None or value == "":
        return ""
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        return str(value)
    shown = f"{abs(amount):,.2f}"
    return f"\u2212{shown}" if amount < 0 else shown


def cash(value: Any, currency: str | None = "USD") -> str:
    """$11,596: whole units with the currency, for a decider reading what an offer costs at a glance
    (the cents are on the terms table); a true minus sign, an empty cell for no value, the raw text if not a
    number."""
    if value is None or value == "":
        return ""
    try:
        amount = Decimal(str(value)).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    except InvalidOperation:
        return str(value)
    code = (currency or "USD").upper()
    digits = f"{abs(amount):,.0f}"
    shown = f"{SYMBOLS[code]}{digits}" if code in SYMBOLS else f"{digits} {code}"
    return f"\u2212{shown}" if amount < 0 else shown


def when(value: Any) -> str:
    """An ISO timestamp to the minute, as ``2026-11-25 09:00`` with its zone when it has one."""
    if not value:
        return ""
    try:
        moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    except ValueError:
        return str(value)
    zone = f" {moment.tzname()}" if moment.tzinfo else ""
    return f"{moment:%Y-%m-%d %H:%M}{zone}"


def whole_money(value: Any) -> str:
    """ARR as a reader scans it on a dashboard: 1,234,567 (no cents); empty for no value."""
    if value is None or value == "":
        return ""
    amount = Decimal(str(value))
    shown = f"{abs(amount):,.0f}"
    return f"\u2212{shown}" if amount < 0 else shown


def lateness(hours: int) -> str:
    """``3 h`` under two days, else ``4 days``: how an overdue SLA reads next to its group."""
    return f"{hours} h" if hours < 48 else f"{hours // 24} days"


def term_changes(event: Mapping[str, Any]) -> list[str]:
    """An audit event's terms before and after, one ``discount_pct: 25.0 → 15.0`` line per changed term."""
    before = (event.get("before") or {}).get("terms")
    after = (event.get("after") or {}).get("terms")
    if not isinstance(before, Mapping) or not isinstance(after, Mapping):
        return []
    return [
        f"{key}: {before.get(key, '—')} \u2192 {after.get(key, '—')}"
        for key in sorted({*before, *after})
        if before.get(key) != after.get(key)
    ]
