"""The seeded book's searchable rows, read straight from the synthetic generator, and their chunks.

The generator's rows are the rows ``watchtower seed`` writes, so a label by external id here names the same
row in a seeded database. Reading the generator rather than a database keeps building a retrieval set to
about a second and lets its test regenerate it.

``source_chunks`` cuts a row the way ingestion cuts the stored row (``knowledge_base.chunking``): a ticket's
text is its subject, as in the database. ``row_chunks`` keeps a whole row as one chunk, the baseline the
chunker is compared with; figures are scored per source row either way.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime

from knowledge_base.chunking import Source, chunk_source
from knowledge_base.chunks import Chunk
from sources.synthetic.generator import AccountGenerator, BookSpec

AS_OF = date(2026, 11, 22)


@dataclass(frozen=True)
class SourceRow:
    """One row the knowledge base reads: its table, external id, account and searchable text."""

    account: str  # the account's external id
    account_id: int  # its id in a freshly seeded book (accounts are written in order)
    table: str  # interaction | survey_response | support_ticket
    external_id: str
    title: str | None
    text: str
    occurred_on: date | None
    kind: str | None = None  # an interaction's kind (call, email, meeting, qbr)
    people: tuple[str, ...] = ()  # contact external ids
    score: int | None = None  # a survey answer's score

    @property
    def searchable(self) -> str:
        """What a question's evidence is checked against: the title and the text."""
        return f"{self.title or ''}\n{self.text}"


def _day(value: date | datetime | None) -> date | None:
    return value.date() if isinstance(value, datetime) else value


def book_rows(accounts: int, seed: int, as_of: date = AS_OF) -> Iterator[tuple[str, list[SourceRow]]]:
    """Per account, in book order: its external id and every row with text."""
    generator = AccountGenerator(BookSpec(accounts=accounts, seed=seed, as_of=as_of))
    for index, bundle in enumerate(generator.accounts()):
        ext = bundle.rows["account"][0]["external_id"]
        account_id = index + 1
        rows: list[SourceRow] = []
        add = rows.append
        for r in bundle.rows.get("interaction", []):
            people = tuple(r["participants"])
            add(SourceRow(ext, account_id, "interaction", r["external_id"], r["subject"], r["body"] or "",
                          _day(r["occurred_at"]), r["kind"], people))  # fmt: skip
        for r in bundle.rows.get("survey_response", []):
            if r["verbatim"]:
                title, who = f"NPS survey: {r['score']}", (r["contact_external_id"],)
                add(SourceRow(ext, account_id, "survey_response", r["external_id"], title, r["verbatim"],
                              _day(r["responded_on"]), None, who, r["score"]))  # fmt: skip
        for r in bundle.rows.get("support_ticket", []):
            body = f"{r['subject']} ({r['category']}, {r['priority']} priority)"
            add(SourceRow(ext, account_id, "support_ticket", r["external_id"], r["subject"], body,
                          _day(r["opened_at"])))  # fmt: skip
        yield ext, rows


def row_chunks(row: SourceRow) -> list[Chunk]:
    """The stand-in chunker: the whole row is one chunk."""
    return [
        Chunk(
            id=f"{row.table}:{row.external_id}:0",
            account_id=row.account_id,
            source_table=row.table,
            source_id=row.external_id,
            ordinal=0,
            text=row.text,
            start=0,
            end=len(row.text),
            occurred_on=row.occurred_on,
            title=row.title,
            content_hash=hashlib.sha256(row.text.encode()).hexdigest()[:16],
        )
    ]


def as_source(row: SourceRow) -> Source:
    """The row as ``knowledge_base.book_sources`` reads it from a seeded database."""
    if row.table == "support_ticket" and row.title and row.text.startswith(row.title):
        return Source(row.table, row.external_id, row.account_id, row.title,
                      "Support ticket " + row.text[len(row.title) :].strip(), row.occurred_on)  # fmt: skip
    return Source(row.table, row.external_id, row.account_id, row.text, row.title, row.occurred_on, row.kind)


def source_chunks(row: SourceRow) -> list[Chunk]:
    """The knowledge base's own chunker over one row."""
    return chunk_source(as_source(row))
