"""Lexicon and rule sentiment: the deterministic path for reading how a customer feels.

VADER is tuned to praise and insult on social media, but customers complain in
plain words ("still on hold", "nobody answered", "the export keeps failing")
that carry no sentiment in its lexicon. A short list of service-failure cues,
written by hand from customer-service phrasing and free of any one industry's
nouns, adds that weight. The cue weights are fixed, not fitted; the decision
threshold was chosen on one half of the public airline set and the figure
reported in the evals comes from the other half.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

Label = Literal["negative", "neutral", "positive"]

#: A text at or below this score reads as negative; chosen on the development half (see evals/sentiment).
NEGATIVE_AT = -0.05
POSITIVE_AT = 0.35


@dataclass(frozen=True)
class Cue:
    name: str
    pattern: re.Pattern[str]
    weight: float


def _cue(name: str, weight: float, *words: str) -> Cue:
    return Cue(name, re.compile(r"\b(?:" + "|".join(words) + r")\b", re.IGNORECASE), weight)


CUES: tuple[Cue, ...] = (
    _cue(
        "waiting",
        -0.35,
        r"on hold",
        r"(?:been |still |keep |kept )?waiting",
        r"wait(?:ed)? (?:for|on)",
        r"(?:for|\d+(?:\.\d+)?) (?:hours|hrs|days)",
        r"sit for days",
    ),
    _cue(
        "no_response",
        -0.4,
        r"no (?:one|response|reply|answer|help|resolution|call ?back|update)",
        r"nobody",
        r"never (?:got|received|heard|responded|answered|arrived|came)",
        r"without (?:a |any )?(?:real )?(?:answer|response|resolution)",
        r"not fixed",
    ),
    _cue(
        "failure",
        -0.35,
        r"broken",
        r"fail(?:ed|s|ing|ure)?",
        r"(?:not|doesn'?t|didn'?t|won'?t|isn'?t) work(?:ing)?",
        r"errors?",
        r"crash(?:ed|es|ing)?",
        r"bugs?",
        r"outage",
        r"too slow",
        r"keeps? (?:crashing|failing|closing|breaking)",
    ),
    _cue("delay", -0.3, r"delay(?:ed|s)?", r"stuck", r"stranded", r"missed", r"overdue"),
    _cue("money", -0.3, r"refund", r"(?:over)?charged", r"fees?", r"lost", r"missing", r"damaged", r"paying too much"),
    _cue("blocked", -0.25, r"can'?t", r"cannot", r"couldn'?t", r"unable to", r"won'?t let"),
    _cue(
        "frustration",
        -0.3,
        r"why",
        r"again",
        r"seriously",
        r"ridiculous",
        r"unacceptable",
        r"disappoint(?:ed|ing)",
        r"frustrat\w*",
        r"worst",
        r"useless",
        r"escalat\w*",
        r"reconsider",
    ),
    _cue(
        "persistence",
        -0.25,
        r"still (?:no|not|nothing|waiting|can'?t|cannot|have no|haven'?t|hasn'?t|don'?t|doesn'?t|didn'?t|stuck)",
        r"every time",
        r"twice",
        r"(?:three|four|five|3|4|5) times",
        r"keeps?",
    ),
    _cue(
        "plea",
        -0.3,
        r"please help",
        r"(?:need|needs|needed) (?:some )?help",
        r"help me",
        r"can (?:you|u|someone|anyone) help",
        r"any (?:update|news)",
    ),
    _cue(
        "leaving",
        -0.45,
        r"no longer",
        r"never again",
        r"(?:learned|learnt) (?:my|our) lesson",
        r"(?:done|through) with",
        r"we(?: a|')re (?:done|through)",
        r"switch(?:ing)? to",
        r"re-?evaluat\w*",
        r"cheaper alternative",
        r"another (?:vendor|provider|company|tool)",
    ),
    _cue(
        "complaint",
        -0.3,
        r"complain\w*",
        r"makes no sense",
        r"(?:does|did|will|would|wo)(?:n'?t| not) help",
        r"not even",
        r"tried",
        r"trying to",
        r"hung up",
        r"busy signal",
        r"wasted?",
        r"(?:did|does|do|done|doing) nothing",
        r"nothing (?:has |was )?(?:changed|happened|works?|done)",
    ),
    _cue(
        "business_risk",
        -0.35,
        r"budgets? (?:are |is |being |have been |were )*(?:cut|frozen|slashed|reduced)",
        r"(?:frozen|freeze|freezing)",
        r"reduce (?:our |the )?(?:\w+ )?spend",
        r"evaluating (?:a |an |another )?(?:competitor|vendor|alternative)",
        r"compare (?:you|us|it) (?:against|with|to)",
        r"hard to justify",
        r"price increase",
        r"too expensive",
        r"(?:stopped|stop) using",
    ),
)
#: Politeness ("please", "thanks", "help") lifts VADER's score even inside a complaint; weighed down when a cue fired.
POLITE_DISCOUNT = 0.5


@dataclass(frozen=True)
class SentimentReading:
    score: float
    label: Label
    #: Names of the cues that fired, so a reviewer can see why the rule path decided as it did.
    cues: tuple[str, ...]


@cache
def _analyzer() -> SentimentIntensityAnalyzer:
    # Loaded on first use, not at import: the lexicon is a file read.
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    return SentimentIntensityAnalyzer()


def read_sentiment(text: str) -> SentimentReading:
    compound = _analyzer().polarity_scores(text)["compound"]
    fired = [cue for cue in CUES if cue.pattern.search(text)]
    if fired and compound > 0:
        compound *= POLITE_DISCOUNT
    score = max(-1.0, min(1.0, compound + sum(cue.weight for cue in fired)))
    label: Label = "negative" if score <= NEGATIVE_AT else "positive" if score >= POSITIVE_AT else "neutral"
    return SentimentReading(round(score, 4), label, tuple(cue.name for cue in fired))
