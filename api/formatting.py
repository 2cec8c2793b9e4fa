"""How the web pages write money and times: the same figure reads the same on every page."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any


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
