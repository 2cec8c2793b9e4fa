"""Which words in a conversation are the customer's, and what they say about cancelling, read once per text.

A cancel reading is a regular-expression pass over free text; the backtest scores
every account every week over the same texts, so each reading is kept for the
life of the process, keyed by the row and a digest of its text (an edited text is
read again).
"""

from __future__ import annotations

import hashlib
import re

from signals.data import Person, Text
from signals.intents import IntentReading, read_cancel_intent

_TURN = re.compile(r"^(?P<speaker>[^:\n]{1,80}):[ \t]*(?P<said>.+)$", re.MULTILINE)
#: Where a reply's quoted thread starts: "On Mon, 2 Jun 2025, Sam <sam@...> wrote:" or "-----Original Message-----".
_QUOTE_HEADER = re.compile(r"^(on\b.{0,200}\bwrote:|-{2,}\s*original message\s*-{2,})\s*$", re.IGNORECASE)
_GREETING = re.compile(r"^(hi|hello|dear|best|thanks|regards)\b[^.]*,?$", re.IGNORECASE)
#: Readings kept per process; past this many the memo starts over rather than growing without bound.
MEMO_LIMIT = 200_000

_memo: dict[tuple[str, str], tuple[str, IntentReading]] = {}


def customer_words(text: Text, contacts: list[Person]) -> str:
    """The customer's own words, or "" when the text is ours.

    Tickets and survey verbatims are the customer's. An internal email or note is between our own people.
    An email is theirs unless it went out from us, and only above the thread a reply quotes (ours, often).
    In a transcript, only turns spoken by a known contact count; a note with no speaker turns is read whole.
    """
    if text.table != "interaction":
        return text.body
    if text.direction == "internal":
        return ""
    if text.kind == "email":
        if text.direction == "outbound":
            return ""
        names = {p.name.strip().lower() for p in contacts if p.name}
        lines = []
        for ln in text.body.splitlines():
            if _QUOTE_HEADER.match(ln.strip()):
                break
            if ln.strip() and not ln.lstrip().startswith(">"):
                lines.append(ln)
        return " ".join(ln for ln in lines if not _GREETING.match(ln.strip()) and ln.strip().lower() not in names)
    turns = list(_TURN.finditer(text.body))
    if not turns:
        return text.body
    names = {p.name.strip().lower() for p in contacts if p.name}
    return " ".join(t.group("said") for t in turns if t.group("speaker").strip().lower() in names)


def cancel_reading(table: str, external_id: str, words: str) -> IntentReading:
    """``read_cancel_intent`` with a per-process memo keyed by (table, id) and the text's digest."""
    digest = hashlib.blake2b(words.encode("utf-8"), digest_size=16).hexdigest()
    key = (table, external_id)
    found = _memo.get(key)
    if found is not None and found[0] == digest:
        return found[1]
    if len(_memo) >= MEMO_LIMIT:
        _memo.clear()
    reading = read_cancel_intent(words)
    _memo[key] = (digest, reading)
    return reading


def forget_readings() -> None:
    """Start the memo over (tests that compare memoised and fresh readings)."""
    _memo.clear()
