"""Does a generated text say only what its fact record says? Claims are extracted from the text and traced
to the record that produced it, as values.

A record is the raw input one text was written from (a message's template values, a document's figures,
what an alert title was computed from), in its JSON form: numbers as numbers (ratios as ratios, money as
amounts), dates as ISO strings, names as strings. The record is the only reference: never the template,
never the source tree, never strings printed by the formatter that printed the text, so a template that
states a figure of its own or a formatter that prints a wrong one is caught.

What a text claims, and when a claim traces:

- a **number**, with its unit: a percent (``64%``) traces to a ratio within the rounding of the printed
  precision (0.6386; ratios are floats, an int is a count and never a share), or to a value of a field
  named ``*_pct`` (percent points); an amount (``$11,596``) traces only to a money field (``arr``,
  ``*_amount``, ``price*``...), a day count (``42 days``, ``a 20-day extension``) only to a day field
  (``days_*``, ``*_days``) and a count of seats (``20 seats``, ``10 free seats``) only to a seat field, so
  a meeting's 30 minutes never vouches for "$30", "30 free days" or "30 seats" (a mapping's own ``unit``
  key types the numbers beside it); a plain count or figure (``16``, ``29.5``) traces to any number of the
  record within the printed precision. A number printed without a sign may be a decline printed unsigned;
  a printed sign must match. Every common way of writing a percent (``30%``, ``30 percent``, ``30-percent``,
  ``30 pct``) or an amount (``$30``, ``$ 30``, ``30$``, ``30 USD``, ``30 dollars``) is the same claim, and
  so is one spelled out in words ("thirty percent", "fifty dollars"); a count in words of eleven or more
  ("Seventy-seven renewals") traces like a plain count.
- a **date** in the forms the system prints (``2027-03-14``, ``14 March 2027``, ``March 14, 2027``, with or
  without a time) traces to the same day in the record.
- an **address or link** (``billing@example.com``, ``https://...``, ``www....``) traces only when the record
  holds it verbatim: a text must not send the reader to anyone or anywhere its facts do not name.
- a **name**: a record string (a person, a company, a product, an id) found verbatim in the text is a traced
  name; any other run of capitalised words is an entity that must be part of a record string. Greetings, a
  single capitalised word opening a sentence or a clause ("Prepared", "Escalation: Send ..."), an opener in
  front of a name ("Our" in "Our VP Jordan Blake"), month and weekday names and the short fixed list
  ``NOT_ENTITIES`` are not entities; a title or an initial with a full stop ("Dr. Blake", "J. Blake") is
  part of the name after it, not the end of a sentence. A name written in lower case, or a lone first name
  opening a sentence ("Jordan approved it."), is not seen: that needs a model of language, not this check.
- a **quote**: strings under a ``quoted`` key of the record (a configured rule, a signal's label, a person's
  own words) may be repeated verbatim; their numbers and names are then not separate claims.

Everything here is pure and works on any JSON-like record, so the drafter, the evaluation suites and the
copilot check texts the same way.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel

ClaimKind = Literal["percent", "money", "days", "number", "date", "name", "quote", "address", "leak"]

#: Capitalised words that are not entities wherever they stand: greetings, sign-offs, and the few domain words
#: and acronyms the texts capitalise mid-sentence. Kept short and explicit on purpose (never derived from the
#: templates); month and weekday names are added below.
NOT_ENTITIES = frozenset(
    """
    I I'd I'll I'm I've OK Hi Hello Hey Dear Thanks Thank Regards Best Kind Warm Cheers Sincerely
    Renewal Business Review ARR NPS CSM QBR SLA
    """.split()
)
MONTHS = "January February March April May June July August September October November December".split()
_MONTH_ABBR = {m[:3]: n for n, m in enumerate(MONTHS, start=1)} | {"Sept": 9}
_MONTH_NUMBER = {m: n for n, m in enumerate(MONTHS, start=1)} | _MONTH_ABBR
WEEKDAYS = "Monday Tuesday Wednesday Thursday Friday Saturday Sunday".split()
_CALENDAR_WORDS = frozenset(MONTHS) | frozenset(_MONTH_ABBR) | frozenset(WEEKDAYS) | {d[:3] for d in WEEKDAYS}
#: Words that start a sentence but not a name: a capitalised opener followed by a name ("Our VP Jordan ...").
_OPENERS = frozenset(
    """
    A An And As At But By For From How If In It Let Many My No Not Now Our Please So That The Their There
    These This To We What When Where Which While Who Why With Would You Your Yes Also After Before Next Once
    Since Could Can Do Here Is Are Was Were Will Shall Should Just Happy Glad Great Good Quick
    """.split()
)

_MONTH_ALT = "|".join(sorted([*MONTHS, *_MONTH_ABBR], key=len, reverse=True))
_DATES = re.compile(
    r"(?P<iso>(?<!\d)(?P<y>\d{4})-(?P<m>\d{2})-(?P<d>\d{2})(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?"
    r"(?:Z|[+-]\d{2}:?\d{2})?)?(?!\d))"
    rf"|(?P<dmy>\b(?P<d2>\d{{1,2}}) (?P<m2>{_MONTH_ALT})\.?,? (?P<y2>\d{{4}})\b)"
    rf"|(?P<mdy>\b(?P<m3>{_MONTH_ALT})\.? (?P<d3>\d{{1,2}})(?:st|nd|rd|th)?,? (?P<y3>\d{{4}})\b)"
)
_NUMBER = re.compile(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?")
_CURRENCY_BEFORE = re.compile(r"(?:US\$|\$|€|£|USD|EUR|GBP) ?$")
_CURRENCY_AFTER = re.compile(r"^(?:[$€£]| (?:US )?dollars?\b| euros?\b| pounds?\b| (?:USD|EUR|GBP)\b)")
_PERCENT_AFTER = re.compile(r"^(?: ?%|[ -]?per[ -]?cent\b|[ -]?percent\b| ?pct\b| ?pc\b)")
#: "20 seats", "10 free seats", "30 licenses": a count of seats traces only to a seat field.
_SEATS_AFTER = re.compile(r"^(?: [a-z]+)? (?:seats?|licen[cs]es?)\b")
_SCALE_AFTER = re.compile(r"^(?P<s>[kKM])(?![a-zA-Z])")
#: An amount's scale also in the finance forms ("$5m", "$40mm", "$3.7bn", "$2B"); only after a currency, since a
#: plain "30m" is as likely minutes.
_MONEY_SCALE_AFTER = re.compile(r"^(?P<s>bn|mm|[kKMmB])(?![a-zA-Z])")
_SCALES = {"k": 1e3, "K": 1e3, "M": 1e6, "m": 1e6, "mm": 1e6, "B": 1e9, "bn": 1e9}
#: "42 days", "a 20-day extension", "30 free days": one word may stand between the count and its unit.
_DAYS_AFTER = re.compile(r"^(?: [a-z]+)?[ -]days?\b")
#: Record keys whose numbers are amounts of money, and those that count days: an amount or a day count a
#: text prints traces only to these, never to a count that happens to have the same digits.
_MONEY_KEY = re.compile(r"(?:^|_)(?:arr|mrr|amount|price|revenue|credit|cost|fee)s?(?:_|$)")
_DAYS_KEY = re.compile(r"(?:^|_)days?(?:_|$)")
_SEATS_KEY = re.compile(r"seat|licen[cs]e")
_ADDRESS = re.compile(r"(?:https?://|www\.)[^\s<>()\[\]\"'`]+|[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_NUMBER_WORDS = {
    w: n
    for n, w in enumerate(
        "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
        "seventeen eighteen nineteen".split()
    )
} | {w: 10 * n for n, w in enumerate("twenty thirty forty fifty sixty seventy eighty ninety".split(), start=2)}
_SCALE_WORDS = {"hundred": 100, "thousand": 1000, "million": 1_000_000}
_NUMBER_WORD = "|".join(sorted([*_NUMBER_WORDS, *_SCALE_WORDS], key=len, reverse=True))
#: A percent or an amount in words: "thirty percent", "Twenty-Five per cent", "one hundred dollars".
_SPELLED = re.compile(
    rf"(?<![\w-])(?P<words>(?:{_NUMBER_WORD})(?:(?:[ -]|\s+and\s+)(?:{_NUMBER_WORD}))*)"
    r"(?P<unit> ?%|[ -]per[ -]?cent\b|[ -]percent\b| (?:US )?dollars?\b| euros?\b| pounds?\b)",
    re.IGNORECASE,
)
#: A count in words without a unit ("Seventy-seven renewals"); traced from eleven up, since a lone small number
#: word ("one", "three") is as often an ordinary word and a value every record holds.
_SPELLED_COUNT = re.compile(
    rf"(?<![\w-])(?P<words>(?:{_NUMBER_WORD})(?:(?:[ -]|\s+and\s+)(?:{_NUMBER_WORD}))*)(?![\w-])",
    re.IGNORECASE,
)
#: The smallest spelled count that is a claim.
_SPELLED_COUNT_FROM = 11
_TOKEN = r"[A-ZÀ-ÖØ-Þ][\w'’-]*"
#: A title or an initial with its full stop: part of the name after it ("Dr. Blake", "J. Blake").
_TITLE = r"(?:Dr|Mr|Mrs|Ms|Mx|Prof|Sir|St|[A-Z])\."
#: A run of capitalised words: a name, or an opener and a name ("Our VP Jordan Blake").
_CAPITALISED = re.compile(rf"(?<![\w@.\x00-])(?:{_TITLE} )*{_TOKEN}(?: (?:{_TITLE} )*{_TOKEN})*")
_MASK = "\x00"


@dataclass(frozen=True)
class Claim:
    """One thing the text states: what kind, as printed, where, and whether the record carries it."""

    kind: ClaimKind
    text: str
    start: int
    traced: bool

    def problem(self) -> str:
        if self.kind == "leak":
            return f"name {self.text!r} belongs to another account"
        what = {"name": "name", "quote": "name", "date": "date", "address": "address"}.get(self.kind, "number")
        unit = "" if self.kind in ("name", "quote", "date", "number", "address") else f" ({self.kind})"
        shown = repr(self.text) if what in ("name", "address") else self.text
        return f"{what} {shown}{unit} is not in the facts"


@dataclass(frozen=True)
class Verdict:
    """Every claim of one text, traced or not."""

    claims: tuple[Claim, ...]

    @property
    def untraced(self) -> list[Claim]:
        return [c for c in self.claims if not c.traced]

    @property
    def problems(self) -> list[str]:
        return [c.problem() for c in self.untraced]

    @property
    def faithful(self) -> bool:
        return not self.untraced

    def counts(self) -> dict[str, int]:
        """Claims by kind, for reports (``percent``, ``money``, ``days``, ``number``, ``date``, ``name``...)."""
        return dict(Counter(c.kind for c in self.claims))


@dataclass(frozen=True)
class Reference:
    """What a record lets a text say: its numbers, percent points, dates, names and quotes."""

    numbers: tuple[float, ...] = ()
    #: The numbers a percent may print: floats (ratios are floats; an int is a count, never a share).
    ratios: tuple[float, ...] = ()
    percent_points: tuple[float, ...] = ()
    #: The numbers an amount of money may print, and those a day count may: values of money and day fields.
    money: tuple[float, ...] = ()
    days: tuple[float, ...] = ()
    seats: tuple[float, ...] = ()
    dates: frozenset[date] = frozenset()
    names: tuple[str, ...] = ()
    quotes: tuple[str, ...] = ()
    #: Every word of every name, lower-cased: a shorter mention ("Chen" of "Julia Chen") traces too.
    name_words: frozenset[tuple[str, ...]] = field(default_factory=frozenset)


def _as_json(record: Any) -> Any:
    if isinstance(record, BaseModel):
        return record.model_dump(mode="json")
    return record


def _as_date(text: str) -> date | None:
    if len(text) < 10 or not re.match(r"\d{4}-\d{2}-\d{2}", text):
        return None
    try:
        return datetime.fromisoformat(text).date() if len(text) > 10 else date.fromisoformat(text)
    except ValueError:
        return None


def _as_number(text: str) -> float | None:
    cleaned = text.strip().replace(",", "")
    if not re.fullmatch(r"[+-]?\d+(?:\.\d+)?", cleaned):
        return None
    return float(cleaned)


def reference(record: Any) -> Reference:
    """Walk a record (a pydantic model, or its JSON form) and sort its leaves into what a text may state."""
    numbers: list[float] = []
    ratios: list[float] = []
    points: list[float] = []
    money: list[float] = []
    days: list[float] = []
    seats: list[float] = []

    dates: set[date] = set()
    names: set[str] = set()
    quotes: set[str] = set()

    def number(value: float, key: str, unit: str | None) -> None:
        (points if key.endswith("_pct") else numbers).append(value)
        if unit == "money" or (unit is None and _MONEY_KEY.search(key)):
            money.append(value)
        if unit == "days" or (unit is None and _DAYS_KEY.search(key)):
            days.append(value)
        if unit == "seats" or (unit is None and _SEATS_KEY.search(key)):
            seats.append(value)

    def walk(value: Any, key: str, quoted: bool, unit: str | None = None) -> None:
        if isinstance(value, Mapping):
            # A mapping's own "unit" ("days", "money") types its numbers, whatever their keys are called.
            own = value.get("unit")
            inner = own if isinstance(own, str) else unit
            for k, v in value.items():
                if k != "unit":
                    walk(v, str(k), quoted or k == "quoted", inner)
        elif isinstance(value, list | tuple | set | frozenset):
            for v in value:
                walk(v, key, quoted, unit)
        elif isinstance(value, bool) or value is None:
            return
        elif isinstance(value, int | float):
            if not (math.isnan(value) or math.isinf(value)):
                number(float(value), key, unit)
                if isinstance(value, float) and not key.endswith("_pct"):
                    ratios.append(value)
        elif isinstance(value, datetime):
            dates.add(value.date())
        elif isinstance(value, date):
            dates.add(value)
        elif isinstance(value, str):
            text = value.strip()
            if not text:
                return
            if quoted:
                quotes.add(text)
            elif (day := _as_date(text)) is not None:
                dates.add(day)
            elif (parsed := _as_number(text)) is not None:
                number(parsed, key, unit)
            elif len(text) >= 2:
                names.add(text)

    walk(_as_json(record), "", False)
    words = frozenset(tuple(_words(n)) for n in names)
    by_length = sorted(names, key=lambda n: (-len(n), n))
    return Reference(
        tuple(numbers),
        tuple(ratios),
        tuple(points),
        tuple(money),
        tuple(days),
        tuple(seats),
        frozenset(dates),
        tuple(by_length),
        tuple(sorted(quotes, key=len, reverse=True)),
        words,
    )


def _words(text: str) -> list[str]:
    return [w.lower() for w in re.findall(r"[^\W_][\w'’-]*", text)]


@dataclass(frozen=True)
class Directory:
    """Every full name the book holds (its companies and its people), with the accounts each belongs to.

    The record vouches for what a text may say, but a record builder that fetched another account's person
    vouches for the leak too, and a name in lower case is not seen as a name at all. Against the directory a
    text about one account must not name what belongs only to others, in any case. A lone word (a first
    name) is too common to call anyone's and is left out.
    """

    owners: Mapping[str, frozenset[str]]
    pattern: re.Pattern[str] | None

    @classmethod
    def of(cls, names: Iterable[tuple[str, str]]) -> Directory:
        """From ``(name, account)`` pairs: every company and every person with the account they belong to."""
        owners: dict[str, set[str]] = {}
        for name, account in names:
            key = " ".join(_words(name))
            if " " in key:
                owners.setdefault(key, set()).add(account)
        if not owners:
            return cls({}, None)
        spelled = sorted((r"[\s-]+".join(map(re.escape, k.split(" "))) for k in owners), key=len, reverse=True)
        pattern = re.compile(rf"(?<![\w-])(?:{'|'.join(spelled)})(?![\w-])", re.IGNORECASE)
        return cls({k: frozenset(v) for k, v in owners.items()}, pattern)

    def leaks(self, text: str, account: str) -> list[Claim]:
        """The names in ``text`` that belong to other accounts and not to ``account``."""
        if self.pattern is None:
            return []
        found = []
        for m in self.pattern.finditer(text):
            owners = self.owners.get(" ".join(_words(m.group(0))), frozenset())
            if owners and account not in owners:
                found.append(Claim("leak", m.group(0), m.start(), False))
        return found


def check(text: str, record: Any, *, directory: Directory | None = None, account: str | None = None) -> Verdict:
    """Every claim of ``text`` traced against ``record`` (see the module docstring for the rules); with a
    ``directory`` and the ``account`` the text is about, also every name that belongs to another account."""
    ref = record if isinstance(record, Reference) else reference(record)
    work = text
    claims: list[Claim] = []
    for quote in ref.quotes:
        work, starts = _mask_all(work, quote)
        claims += [Claim("quote", quote, start, True) for start in starts]
    for name in ref.names:
        work, starts = _mask_all(work, name)
        if any(ch.isupper() or ch.isdigit() for ch in name):  # "champion" or "at_risk" is a word, not a name
            claims += [Claim("name", name, start, True) for start in starts]
    work = _addresses(work, claims)
    work = _spelled(work, ref, claims)
    work = _dates(work, ref, claims)
    work = _numbers(work, ref, claims)
    _names(work, ref, claims)
    if directory is not None and account is not None:
        claims += directory.leaks(text, account)
    return Verdict(tuple(sorted(claims, key=lambda c: (c.start, c.kind == "leak"))))


def _mask_all(work: str, needle: str) -> tuple[str, list[int]]:
    """``work`` with every whole-word occurrence of ``needle`` blanked out, and where each one began."""
    left = r"(?<![\w])" if needle[0].isalnum() else ""
    right = r"(?![\w])" if needle[-1].isalnum() else ""
    starts: list[int] = []
    pieces: list[str] = []
    last = 0
    for m in re.finditer(left + re.escape(needle) + right, work):
        starts.append(m.start())
        pieces += [work[last : m.start()], _MASK * (m.end() - m.start())]
        last = m.end()
    return ("".join(pieces) + work[last:], starts) if starts else (work, starts)


def _addresses(work: str, claims: list[Claim]) -> str:
    """An address or a link left after the record's own strings were masked is one the record does not hold."""

    def one(m: re.Match[str]) -> str:
        found = m.group(0).rstrip(".,;:!?")
        claims.append(Claim("address", found, m.start(), False))
        return _MASK * len(found) + m.group(0)[len(found) :]

    return _ADDRESS.sub(one, work)


def _spelled_value(words: str) -> float:
    total = current = 0
    for word in re.split(r"[\s-]+", words.lower()):
        if word == "and":
            continue
        if word in _NUMBER_WORDS:
            current += _NUMBER_WORDS[word]
        elif word == "hundred":
            current = max(current, 1) * 100
        else:
            total += max(current, 1) * _SCALE_WORDS[word]
            current = 0
    return float(total + current)


def _spelled(work: str, ref: Reference, claims: list[Claim]) -> str:
    """A percent, an amount or a count of eleven or more in words is traced like its digits, to the nearest whole
    number."""

    def one(m: re.Match[str]) -> str:
        value = _spelled_value(m.group("words"))
        if m.group("unit").strip().lower().startswith(("%", "per")):
            traced = _traces(_Printed(value / 100, 0.005 + 1e-9, False), ref.ratios) or _traces(
                _Printed(value, 0.5 + 1e-9, False), ref.percent_points
            )
            claims.append(Claim("percent", m.group(0), m.start(), traced))
        else:
            claims.append(Claim("money", m.group(0), m.start(), _traces(_Printed(value, 0.5 + 1e-9, False), ref.money)))
        return _MASK * (m.end() - m.start())

    def count(m: re.Match[str]) -> str:
        value = _spelled_value(m.group("words"))
        if value < _SPELLED_COUNT_FROM:
            return m.group(0)
        traced = _traces(_Printed(value, 0.5 + 1e-9, False), (*ref.numbers, *ref.percent_points))
        claims.append(Claim("number", m.group(0), m.start(), traced))
        return _MASK * (m.end() - m.start())

    return _SPELLED_COUNT.sub(count, _SPELLED.sub(one, work))


def _dates(work: str, ref: Reference, claims: list[Claim]) -> str:
    def one(m: re.Match[str]) -> str:
        if m.group("iso"):
            y, mo, d = m.group("y"), m.group("m"), m.group("d")
        elif m.group("dmy"):
            y, mo, d = m.group("y2"), str(_MONTH_NUMBER[m.group("m2")]), m.group("d2")
        else:
            y, mo, d = m.group("y3"), str(_MONTH_NUMBER[m.group("m3")]), m.group("d3")
        try:
            day: date | None = date(int(y), int(mo), int(d))
        except ValueError:
            day = None
        claims.append(Claim("date", m.group(0), m.start(), day is not None and day in ref.dates))
        return _MASK * (m.end() - m.start())

    return _DATES.sub(one, work)


@dataclass(frozen=True)
class _Printed:
    value: float
    tolerance: float
    signed: bool


def _traces(printed: _Printed, candidates: Iterable[float]) -> bool:
    for candidate in candidates:
        if printed.signed:
            if abs(candidate - printed.value) <= printed.tolerance:
                return True
        elif abs(abs(candidate) - abs(printed.value)) <= printed.tolerance:
            return True
    return False


def _numbers(work: str, ref: Reference, claims: list[Claim]) -> str:
    out = list(work)
    for m in _NUMBER.finditer(work):
        start, end = m.start(), m.end()
        before = work[start - 1] if start else " "
        if before.isalnum() or before in "_@.\x00":
            continue  # part of an identifier (ACC-00213, Csm04, v2.1) or of a masked name
        sign = ""
        if before in "+-−":
            ahead = work[start - 2] if start >= 2 else ""
            if ahead.isalpha() or ahead == "_" or ahead == _MASK:
                continue  # T-90, ACC-00213: an identifier, not a signed number
            if not ahead.isdigit():  # 0-6 is a range; +3 and -1 are signed
                sign = "-" if before in "-−" else "+"
                start -= 1
        digits = m.group(0)
        decimals = len(digits.split(".")[1]) if "." in digits else 0
        value = float(digits.replace(",", ""))
        rest = work[end:]
        head = work[:start]
        kind: ClaimKind = "number"
        scale = 1.0
        if (pct := _PERCENT_AFTER.match(rest)) is not None:
            kind = "percent"
            end += pct.end()
        elif (cur := _CURRENCY_BEFORE.search(head)) is not None:
            kind = "money"
            start = cur.start()
        elif (cur := _CURRENCY_AFTER.match(rest)) is not None:
            kind = "money"
            end += cur.end()
        scales = _MONEY_SCALE_AFTER if kind == "money" else _SCALE_AFTER
        if kind != "percent" and (scaled := scales.match(work[end:])) is not None:
            scale = _SCALES[scaled.group("s")]
            end += len(scaled.group("s"))
        elif kind != "percent" and (work[end : end + 1].isalpha()):
            suffix = re.match(r"[A-Za-z]+", work[end:])
            if suffix and suffix.group(0) not in ("h", "st", "nd", "rd", "th", "x"):
                continue  # 4G, 3D, 2FA: part of a word
        if kind == "number" and _DAYS_AFTER.match(work[end:]):
            kind = "days"
        signed_value = -value if sign == "-" else value
        tolerance = 0.5 * 10**-decimals * scale + 1e-9
        if kind == "percent":
            printed = _Printed(signed_value / 100, tolerance / 100, bool(sign))
            traced = _traces(printed, ref.ratios) or _traces(
                _Printed(signed_value, tolerance, bool(sign)), ref.percent_points
            )
        else:
            printed = _Printed(signed_value * scale, tolerance, bool(sign))
            allowed = {"money": ref.money, "days": ref.days}.get(kind, (*ref.numbers, *ref.percent_points))
            if kind == "number" and _SEATS_AFTER.match(work[end:]):
                allowed = ref.seats
            traced = _traces(printed, allowed)
        claims.append(Claim(kind, work[start:end], start, traced))
        out[start:end] = _MASK * (end - start)
    return "".join(out)


def _sentence_start(work: str, start: int) -> bool:
    i = start - 1
    while i >= 0 and work[i] in " \t#*->•\"'“‘(":
        i -= 1
    # A line, a sentence or a clause after a colon ("Overdue at X: Send the order form") opens here.
    return i < 0 or work[i] in "\n.!?:;"


def _names(work: str, ref: Reference, claims: list[Claim]) -> None:
    for m in _CAPITALISED.finditer(work):
        kept: list[tuple[str, int]] = []
        position = m.start()
        for token in m.group(0).split(" "):
            if _bare(token) not in NOT_ENTITIES and _bare(token) not in _CALENDAR_WORDS:
                kept.append((_bare(token), position))
            position += len(token) + 1
        opens = _sentence_start(work, m.start())
        if kept and opens and kept[0][1] == m.start() and kept[0][0] in _OPENERS:
            kept = kept[1:]  # "Our VP Jordan Blake": the opener is not part of the name
        if not kept or (len(kept) == 1 and kept[0][1] == m.start() and opens and not _has_digit(kept[0][0])):
            continue  # one capitalised word opening a sentence: "Prepared", "Usage", "Escalation" (not "ACC-00099")
        span = " ".join(t for t, _ in kept)
        claims.append(Claim("name", span, kept[0][1], _part_of_a_name(span, ref)))


def _has_digit(token: str) -> bool:
    return any(ch.isdigit() for ch in token)


def _bare(token: str) -> str:
    for suffix in ("'s", "’s", "'", "’"):
        if token.endswith(suffix):
            return token[: -len(suffix)]
    return token


def _part_of_a_name(span: str, ref: Reference) -> bool:
    words = tuple(_words(span))
    if not words:
        return True
    n = len(words)
    return any(name[i : i + n] == words for name in ref.name_words for i in range(len(name) - n + 1) if len(name) >= n)
