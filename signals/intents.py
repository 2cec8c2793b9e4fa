"""Rule reading of a customer's intent to cancel, and of billing friction: the deterministic path behind
churn-intent and billing signals.

Cancelling a payment method or an automatic charge is billing friction, not
churn, so those phrasings are excluded before the cancel patterns are tried.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_NOT_CHURN = re.compile(
    r"\bcancel\w*\s+(?:my\s+|the\s+|our\s+|this\s+|that\s+)?(?:auto[\s-]?pay\w*|automatic\s+\w+|recurring\s+\w+|"
    r"direct\s+debit|card|check|cheque|transfer|payment|transaction|order|appointment|meeting|call)\b",
    re.IGNORECASE,
)
#: A sentence about automatic billing is about how to pay, whatever verb it uses.
_AUTO_BILLING = re.compile(r"\bauto(?:matic)?[\s-]?(?:bill|pay)\w*", re.IGNORECASE)
_SENTENCE_END = re.compile(r"([.!?])")


def _without_auto_billing(text: str) -> str:
    """Each sentence that mentions automatic billing blanked, in one pass (a pattern spanning the sentence
    around the word backtracks from every position: minutes on a long text without full stops)."""
    return "".join(" " if _AUTO_BILLING.search(part) else part for part in _SENTENCE_END.split(text))


_CANCEL = re.compile(
    r"\b(?:"
    r"cancel\w*"
    r"|terminat\w*"
    r"|clos(?:e|ing)\s+(?:down\s+)?(?:my|our|the|this|an?)?\s*(?:\w+\s+){0,2}account"
    r"|(?:end|stop|discontinue|drop|quit)\s+(?:one\s+of\s+)?(?:my|our|the|this)\s+(?:\w+\s+)?(?:subscription|contract|policy|plan|service|membership)s?"
    r"|(?:not|won'?t|will\s+not|don'?t\s+plan\s+to|do\s+not\s+plan\s+to)\s+(?:be\s+)?renew\w*"
    r"|(?:get|getting)\s+rid\s+of\s+(?:my|our|the|this)\s+(?:\w+\s+)?(?:account|policy|plan|subscription)"
    r"|opt(?:ing)?\s+out\s+of\s+(?:the\s+)?renewal"
    r")\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class IntentReading:
    cancel: bool
    #: The words that matched, quoted from the text, or empty.
    phrase: str = ""


#: Where a clause starts: the negation that counts is in the same clause as the cancel word.
_CLAUSE = re.compile(r"[.,;:!?\n]|\bbut\b", re.IGNORECASE)
_NEGATORS = frozenset({"not", "never", "no", "nor", "dont", "doesnt", "didnt", "wont", "wouldnt", "isnt", "arent"})
#: "can't cancel" is someone who wants to and cannot: not a negation of the intent.
_UNABLE = frozenset({"can't", "cant", "couldn't", "couldnt"})


def _negated(before: str) -> bool:
    """A negation among the three words before a cancel word, in its clause ("we will not cancel", "no plans to
    cancel", "never considered cancelling"); a conditional further back ("if we don't see a fix we will
    cancel") still reads as intent."""
    clause = _CLAUSE.split(before.replace("’", "'"))[-1]
    words = [w.lower() for w in re.findall(r"[\w']+", clause)[-3:]]
    return any(w in _NEGATORS or (w.endswith("n't") and w not in _UNABLE) for w in words)


def read_cancel_intent(text: str) -> IntentReading:
    cleaned = _NOT_CHURN.sub(" ", _without_auto_billing(text))
    for match in _CANCEL.finditer(cleaned):
        if not _negated(cleaned[max(0, match.start() - 120) : match.start()]):
            return IntentReading(True, match.group(0))
    return IntentReading(False)


#: Billing and payment trouble or requests: the bill, a charge, a payment, automatic billing, a refund.
#: Written against the insurance half of the DSTC11 utterances only; banking and finance are the held-out test.
_BILLING = re.compile(
    r"\b(?:"
    r"bill(?:s|ed|ing)?"
    r"|(?:over|double|wrongly\s+)?charge[sd]?"
    r"|payments?|pay\s+(?:my|the|our|this|an?)\b|paid"
    r"|auto[\s-]?pay\w*"
    r"|invoices?|refund\w*|dispute\w*"
    r")\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class BillingReading:
    friction: bool
    phrase: str = ""


def read_billing_friction(text: str) -> BillingReading:
    """True when the customer raises the bill, a charge or a payment (what the signal counts as friction)."""
    match = _BILLING.search(text)
    return BillingReading(True, match.group(0)) if match else BillingReading(False)
