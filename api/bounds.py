"""The limits every request is held to at the HTTP boundary, each a 422 (413 for size) instead of a 500.

A value past one of these would reach something that refuses it later, with
no way to say which field was wrong: an id past Postgres' INTEGER (2^31 - 1;
SQLite's 2^63 is wider), a NUL byte in Postgres text, a lone surrogate that no
encoding holds (not even the error response's), money past what a
``Numeric(14, 2)`` column or a decimal context holds. The limits:

- ids and versions: 1 .. ``MAX_ID``;
- free text (a rationale, a reason, a clause): ``MAX_TEXT`` characters, set by
  the domain models; one evidence reference ``MAX_EVIDENCE_ITEM`` characters,
  at most ``MAX_EVIDENCE_ITEMS`` of them (an approver's queue page shows them all);
- money in offer terms: at most ``MAX_MONEY`` (a billion a year, past any
  account's ARR), and any product the terms imply (seats × price) likewise;
  counts (seats) at most ``MAX_COUNT``;
- a request body: ``MAX_BODY_BYTES`` (10,000 event rows fit with room to spare).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

from fastapi import Path
from pydantic import AfterValidator

MAX_ID = 2**31 - 1
MAX_TEXT = 4000
MAX_EVIDENCE_ITEM = 500
MAX_EVIDENCE_ITEMS = 50
MAX_MONEY = Decimal(10**9)
MAX_COUNT = 10**6
MAX_BODY_BYTES = 8 * 1024 * 1024


def not_text(value: str) -> str | None:
    """Why ``value`` is not storable text, or None when it is."""
    if "\x00" in value:
        return "contains a NUL byte (\\u0000), which is not text"
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return "contains a lone surrogate (\\ud800-\\udfff), which is not text"
    return None


def not_form_text(value: str) -> str | None:
    """Why a web form's text field cannot be stored (as ``not_text``, or past ``MAX_TEXT``), or None."""
    return not_text(value) or (f"at most {MAX_TEXT} characters" if len(value) > MAX_TEXT else None)


def _plain(value: str) -> str:
    reason = not_text(value)
    if reason:
        raise ValueError(reason)
    return value


#: A string field of a request: any text but NUL bytes and lone surrogates.
PlainText = Annotated[str, AfterValidator(_plain)]


def first_not_text(value: Any, where: tuple[str | int, ...] = ()) -> tuple[tuple[str | int, ...], str] | None:
    """Where in a JSON value (keys included) the first string that is not text is, and why; None if nowhere.

    For bodies whose nested models belong to the domain (offer terms, a decision): one walk over what was
    sent guards every string in them, the ones added later included.
    """
    if isinstance(value, str):
        reason = not_text(value)
        return (where, reason) if reason else None
    if isinstance(value, dict):
        for key, item in value.items():
            found = first_not_text(key, (*where, str(key)) if isinstance(key, str) else where) or first_not_text(
                item, (*where, key)
            )
            if found:
                return found
    elif isinstance(value, list):
        for n, item in enumerate(value):
            found = first_not_text(item, (*where, n))
            if found:
                return found
    return None


def id_param(what: str) -> Any:
    """A path id: 1 .. ``MAX_ID``, so a larger one is a 422 and never reaches the database."""
    return Path(ge=1, le=MAX_ID, description=f"The {what}'s id.")


ApprovalId = Annotated[int, id_param("approval")]
OfferId = Annotated[int, id_param("offer")]
MessageId = Annotated[int, id_param("outbox message")]
TokenId = Annotated[int, id_param("token")]
#: A username in a path: as long as the users table holds, and plain text.
Username = Annotated[
    str, Path(min_length=1, max_length=64, description="The user's sign-in name."), AfterValidator(_plain)
]


#: Terms whose product is money too: a quote's seats times its price per seat.
_PRODUCTS = (("seats_added", "price_per_seat"), ("seats_after", "price_per_seat"))


def ledger_problem(terms: Any) -> str | None:
    """Why offer terms hold money or counts the ledger cannot (named by field), or None when they fit.

    Only magnitude: what the terms mean and how they route is the terms' own business.
    """
    values = {name: getattr(terms, name) for name in type(terms).model_fields}
    for name, value in values.items():
        if isinstance(value, Decimal) and (not value.is_finite() or abs(value) > MAX_MONEY):
            return f"{name}: at most {MAX_MONEY:,} (got {value})"
        if isinstance(value, int) and not isinstance(value, bool) and abs(value) > MAX_COUNT:
            return f"{name}: at most {MAX_COUNT:,} (got {value})"
    for count, price in _PRODUCTS:
        if (
            values.get(count) is not None
            and values.get(price) is not None
            and values[count] * values[price] > MAX_MONEY
        ):
            return f"{price}: {count} × {price} is at most {MAX_MONEY:,}"
    return None
