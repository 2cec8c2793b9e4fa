"""Lexical tokens that keep what customer-success text is searched for: account and row ids
("ACC-00042-X007"), quarters ("Q3"), money ("$12,500"), hyphenated product terms ("Analytics Add-on").

A stock word splitter cuts "$12,500" into "12" and "500" and "ACC-00042" into "acc" and "00042", so a query
for the whole thing matches every text with a 500 or an 00042 in it. Here a compound is indexed whole
(joined without its separators) as well as by its parts, and money loses its sign and separators, so the
query side and the document side meet on the same token whichever way it was written.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from decimal import ROUND_DOWN, Decimal
from itertools import pairwise

_TOKEN = re.compile(
    r"""
    (?P<money>[$€£]\s?\d{1,3}(?:,\d{3})+(?:\.\d+)?|[$€£]\s?\d+(?:\.\d+)?)(?P<scale>[kKmM]\b)?
  | (?P<number>\d{1,3}(?:,\d{3})+(?:\.\d+)?)
  | (?P<word>[^\W_]+(?:['’][sS]\b)?(?:[-./'’][^\W_]+)*)
    """,
    re.VERBOSE,
)
_PART = re.compile(r"[^\W_]+")
_SCALE = {"k": 1_000, "m": 1_000_000}

#: Words that say nothing about which text answers a question; dropped from queries only, so a text
#: that is nothing but them stays findable by its own words.
STOPWORDS = frozenset(
    """a about above after again all also am an and any are as at be been before being below between both but
    by can could did do does doing done during each few for from further had has have having he her here hers
    him his how i if in into is it its itself just me more most my no nor not of off on once only or other our
    ours out over own same she should so some such than that the their theirs them then there these they this
    those through to too under until up very was we were what when where which while who whom why will with
    would you your yours tell show give find any anything something last latest recent recently ever""".split()
)


def _amount(raw: str, scale: str | None) -> list[str]:
    """ "$12,500", "12,500" and "$12.5k" all become "12500"; cents, when there are any, add "12500p5"."""
    value = Decimal(re.sub(r"[^\d.]", "", raw)) * _SCALE.get((scale or "").lower(), 1)
    whole = value.to_integral_value(rounding=ROUND_DOWN)
    digits = f"{whole:f}"  # not str(int(...)): Python refuses to print an int of more than 4,300 digits
    cents = value - whole
    if cents:
        return [digits, f"{digits}p{str(cents)[2:].rstrip('0')}"]
    return [digits]


def _compound(raw: str) -> list[str]:
    """A word, or an id or term made of parts: each part, and every run of parts from the first, joined."""
    raw = re.sub(r"['’][sS]$", "", raw)  # the CFO's budget: the CFO
    raw = re.sub(r"(?<=[^\W_])['’](?=[^\W_])", "", raw)  # won't: wont
    parts = [p.lower() for p in _PART.findall(raw)]
    if len(parts) <= 1:
        return parts
    out = list(parts)
    out += [p.lstrip("0") for p in parts if p.isdigit() and p.lstrip("0") and p.lstrip("0") != p]
    out += ["".join(parts[: n + 1]) for n in range(1, len(parts))]
    return out


def tokens(text: str) -> Iterator[str]:
    """Every token of ``text`` in order, lower case, letters and digits only."""
    for match in _TOKEN.finditer(text):
        if match.group("money"):
            yield from _amount(match.group("money"), match.group("scale"))
        elif match.group("number"):
            yield from _amount(match.group("number"), None)
        else:
            yield from _compound(match.group("word"))


def query_terms(text: str) -> list[str]:
    """The distinct tokens of a question that can tell texts apart, in the order asked."""
    seen: dict[str, None] = {}
    for token in tokens(text):
        if token not in STOPWORDS:
            seen.setdefault(token)
    return list(seen)


def query_phrases(text: str) -> list[tuple[str, str]]:
    """Neighbouring pairs of meaningful tokens ("tom weber"): a text with the two side by side outranks
    one that merely has both, so a full name beats a first name and a surname of two people."""
    stream = list(tokens(text))
    pairs: dict[tuple[str, str], None] = {}
    for left, right in pairwise(stream):
        if left not in STOPWORDS and right not in STOPWORDS and left != right:
            pairs.setdefault((left, right))
    return list(pairs)
