"""Is an answer safe to show? Its citations resolve, its quotes are verbatim, its facts trace to this turn.

- Every citation names a stored row (or a knowledge-base chunk) of the account in scope, re-read here from
  the database or the index, never from what a tool or a model said the row holds; its quote is a verbatim
  span of that text with at least one character that is not whitespace.
- Every ``[n]`` marker points at a citation that exists (a ``[n]`` inside a cited quote is the source's own).
- Every number, name and date of the answer (markers removed) traces to the tool results of this turn, by
  ``core.faithfulness.check``; with a directory of the book's names, a name of another account is a leak.

The same verifier serves the deterministic path and, later, a model's answer.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from pydantic import BaseModel
from sqlalchemy import Connection, select

from agents.copilot.schema import CopilotAnswer
from core.faithfulness import Directory, check
from core.models import Account, Contact
from tools.access import AccountRef
from tools.copilot_sources import stored_text
from tools.copilot_tools import KnowledgeSearch

MARKER = re.compile(r"\s?\[(\d+)\]")
ACCOUNT = Account.__table__  # type: ignore[attr-defined]
CONTACT = Contact.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Verification:
    problems: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return not self.problems


def book_directory(conn: Connection) -> Directory:
    """Every company and person of the book with the account they belong to, for the leak check."""
    names = [(r.name, r.external_id) for r in conn.execute(select(ACCOUNT.c.name, ACCOUNT.c.external_id))]
    names += [
        (r.name, r.external_id)
        for r in conn.execute(
            select(CONTACT.c.name, ACCOUNT.c.external_id)
            .join(ACCOUNT, ACCOUNT.c.id == CONTACT.c.account_id)
            .where(CONTACT.c.name.is_not(None))
        )
    ]
    return Directory.of(names)


def turn_record(
    account: AccountRef, results: Sequence[BaseModel], quotes: Sequence[str] = (), as_of: date | None = None
) -> dict[str, Any]:
    """What an answer may state: the account and date in scope, this turn's tool results, the quotes it cites."""
    return {
        "account": {"external_id": account.external_id, "name": account.name},
        "as_of": as_of.isoformat() if as_of else None,
        "results": [r.model_dump(mode="json") for r in results],
        "quoted": [q for q in quotes if q],
    }


def _citation_problems(
    conn: Connection, answer: CopilotAnswer, allowed: Mapping[int, str], kb: KnowledgeSearch | None
) -> list[str]:
    problems = []
    labels = set(allowed.values())
    for n, c in enumerate(answer.citations, start=1):
        where = f"citation [{n}] ({c.source} {c.id})"
        if c.account not in labels:
            problems.append(f"{where}: names account {c.account}, not one in scope")
            continue
        if c.source == "kb":
            chunk = kb.chunk(c.id) if kb is not None else None
            owner, text = (chunk.account_id, chunk.text) if chunk is not None else (None, None)
        else:
            stored = stored_text(conn, c.source, c.id)
            owner, text = (stored.account_id, stored.text) if stored is not None else (None, None)
        if text is None:
            problems.append(f"{where}: no such source")
        elif owner not in allowed:
            problems.append(f"{where}: the source belongs to another account")
        elif allowed[owner] != c.account:
            problems.append(f"{where}: the source belongs to {allowed[owner]}, not {c.account}")
        elif not c.quote.strip():
            problems.append(f"{where}: the quote quotes nothing (only whitespace), and whitespace is in any source")
        elif c.quote not in text:
            problems.append(f"{where}: the quote is not a verbatim span of the source")
    return problems


def _scoped(directory: Directory, labels: set[str], label: str) -> Directory:
    """The directory with every account in scope folded into one, so naming any of them is no leak."""
    owners = {name: (frozenset({label}) if held & labels else held) for name, held in directory.owners.items()}
    return Directory(owners, directory.pattern)


def _around_quotes(text: str, quotes: Sequence[str]) -> list[tuple[str, bool]]:
    """``text`` cut into the spans of its cited quotes (True) and what lies between them (False). A quote is the
    source's words: a "[7]" in it is a footnote of the customer's mail, not a marker of the answer, and it stays
    verbatim so it traces as the quote it is."""
    spans: list[tuple[int, int]] = []
    for quote in sorted({q for q in quotes if q.strip()}, key=len, reverse=True):
        at = text.find(quote)
        while at >= 0:
            end = at + len(quote)
            if not any(a < end and at < b for a, b in spans):
                spans.append((at, end))
            at = text.find(quote, at + 1)
    parts: list[tuple[str, bool]] = []
    last = 0
    for start, end in sorted(spans):
        parts += [(text[last:start], False), (text[start:end], True)]
        last = end
    return [*parts, (text[last:], False)]


def verify(
    conn: Connection,
    answer: CopilotAnswer,
    *,
    account: AccountRef,
    results: Sequence[BaseModel],
    kb: KnowledgeSearch | None = None,
    directory: Directory | None = None,
    quoted: Sequence[str] = (),
    as_of: date | None = None,
    scope: Mapping[int, str] | None = None,
) -> Verification:
    """``quoted``: wording the answer may repeat verbatim besides its citations (the glossary's). ``scope``:
    for a book-level answer, the other accounts (id to external id) the person may reach and it may cite."""
    allowed = {**(scope or {}), account.id: account.external_id}
    problems = _citation_problems(conn, answer, allowed, kb)
    parts = _around_quotes(answer.answer, [c.quote for c in answer.citations])
    for m in (m for part, is_quote in parts if not is_quote for m in MARKER.finditer(part)):
        if not 1 <= int(m.group(1)) <= len(answer.citations):
            problems.append(f"marker [{m.group(1)}] has no citation")
    text = "".join(part if is_quote else MARKER.sub("", part) for part, is_quote in parts)
    record = turn_record(account, results, [*(c.quote for c in answer.citations), *quoted], as_of)
    if scope and directory is not None:
        directory = _scoped(directory, set(allowed.values()), account.external_id)
    verdict = check(text, record, directory=directory, account=account.external_id)
    problems += verdict.problems
    return Verification(tuple(problems))
