"""The OWASP rule for CSV cells a spreadsheet would run as a formula, and its exact inverse.

A text cell starting with ``=``, ``+``, ``-``, ``@``, tab or carriage return is written with a leading single
quote, so Excel, LibreOffice and Google Sheets show it as text instead of evaluating it. A cell that already
starts with quotes followed by one of those characters gets one more quote, which makes the rule reversible:
``restore`` removes exactly one quote from such cells and leaves every other cell alone, so an export read
back by ``watchtower import`` gives the stored values.
"""

from __future__ import annotations

import re

_RISKY = re.compile(r"'*[=+\-@\t\r]")


def neutralise(text: str) -> str:
    return "'" + text if _RISKY.match(text) else text


def restore(text: str) -> str:
    return text[1:] if text.startswith("'") and _RISKY.match(text, 1) else text
