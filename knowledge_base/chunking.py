"""Chunks follow the structure of what they cut: a transcript by speaker turn, an email by message, a document
by heading, anything else (a survey verbatim, a ticket, a CSM note) whole.

Why structure rather than fixed windows: a question about what one person said is answered by that person's
turn, and a turn cut in half, or glued to the next speaker's, blurs who said it for both rankers. A window
is only cut inside a unit that is longer than :data:`MAX_CHARS` (about the 256 word pieces the embedding
model reads), at a sentence boundary, and only those cuts overlap, by about :data:`OVERLAP` characters, so
a sentence that straddles the cut is whole in one of the two chunks.

Every chunk keeps its character span in the source text, ``source[start:end] == chunk.text``, which is what
lets a citation be checked as a verbatim quote of a stored row.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from knowledge_base.chunks import Chunk

#: The longest chunk, in characters: all-MiniLM-L6-v2 reads 256 word pieces, about 1,000 characters of English.
MAX_CHARS = 1000
#: How far a cut chunk reaches back into the one before it.
OVERLAP = 150
#: The longest chunk title. A title is indexed and embedded with every chunk of its source, so a heading of
#: 100,000 characters would be read once per chunk: a document's headings are cut to a line each, and any
#: title (an email subject is at most 512 characters) to this.
MAX_TITLE = 600
_MAX_NAME = 80

#: A transcript line that opens a turn: a speaker's name (2-60 characters, no sentence punctuation) and a colon.
_TURN = re.compile(r"^(?P<speaker>[^\s:.?!][^:\n.?!]{0,58}[^\s:.?!]|[^\s:.?!]): ", re.MULTILINE)
#: Where a quoted earlier message starts inside an email.
_REPLY = re.compile(
    r"^(On .{1,200}wrote:\s*$|-{2,}\s*Original Message\s*-{2,}|From: .+$|>)", re.MULTILINE | re.IGNORECASE
)
_HEADING = re.compile(r"^(#{1,6})[ \t]+(?P<title>.+?)[ \t]*#*[ \t]*$", re.MULTILINE)
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n+")


@dataclass(frozen=True)
class Piece:
    """A span of the source text that becomes one chunk, with who said it or what heading it sits under."""

    start: int
    end: int
    speaker: str | None = None
    heading: str | None = None


def _name(text: str) -> str:
    """A heading or a title as a chunk's title shows it: a line's length at most."""
    return text if len(text) <= _MAX_NAME else text[: _MAX_NAME - 1].rstrip() + "\u2026"


def content_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def _trimmed(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def cut(
    text: str, start: int, end: int, *, max_chars: int = MAX_CHARS, overlap: int = OVERLAP
) -> list[tuple[int, int]]:
    """Spans of at most ``max_chars`` covering ``text[start:end]``, cut after a sentence where one is near.

    Each window after the first starts at the sentence boundary nearest ``overlap`` characters before the
    previous window's end (or exactly there when no boundary is close), so every character is in some
    window and the windows always move forward."""
    start, end = _trimmed(text, start, end)
    if end - start <= max_chars:
        return [(start, end)] if end > start else []
    boundaries = [m.end() for m in _SENTENCE_END.finditer(text, start, end)]
    spans: list[tuple[int, int]] = []
    at = start
    while at < end:
        limit = min(at + max_chars, end)
        if limit < end:
            inside = [b for b in boundaries if at + max_chars // 2 <= b <= limit]
            if inside:
                limit = inside[-1]
            else:  # no sentence end in the second half: cut at the last space, else hard
                space = text.rfind(" ", at + max_chars // 2, limit)
                limit = space + 1 if space > at else limit
        piece = _trimmed(text, at, limit)
        if piece[1] > piece[0]:
            spans.append(piece)
        if limit >= end:
            break
        back = limit - overlap
        restart = [b for b in boundaries if back <= b < limit]
        following = restart[0] if restart else max(back, at + 1)
        at = following if following > at else limit
    return spans


def transcript_pieces(text: str) -> list[Piece]:
    """One piece per speaker turn; a turn runs until the next line that opens one. Text before the first
    turn (a header) is a piece of its own. A transcript without any turn is cut as plain text."""
    opens = list(_TURN.finditer(text))
    if not opens:
        return [Piece(s, e) for s, e in cut(text, 0, len(text))]
    pieces: list[Piece] = []
    if opens[0].start() > 0:
        pieces.extend(Piece(s, e) for s, e in cut(text, 0, opens[0].start()))
    for index, match in enumerate(opens):
        end = opens[index + 1].start() if index + 1 < len(opens) else len(text)
        speaker = match.group("speaker").strip()
        pieces.extend(Piece(s, e, speaker=speaker) for s, e in cut(text, match.start(), end))
    return pieces


def email_pieces(text: str) -> list[Piece]:
    """One piece per message: the newest one, then each quoted earlier message from its "On ... wrote:" or
    "From:" line (runs of ``>`` lines count as one quoted message)."""
    starts = [0]
    in_quote = False
    for match in _REPLY.finditer(text):
        quoted_line = match.group(0).startswith(">")
        if quoted_line and in_quote:  # the quoted body under an "On ... wrote:" line, or more ">" lines
            continue
        line_start = text.rfind("\n", 0, match.start()) + 1
        if line_start > starts[-1]:
            starts.append(line_start)
        in_quote = True
    pieces: list[Piece] = []
    for index, start in enumerate(starts):
        end = starts[index + 1] if index + 1 < len(starts) else len(text)
        pieces.extend(Piece(s, e) for s, e in cut(text, start, end))
    return pieces


def document_pieces(text: str, title: str | None = None) -> list[Piece]:
    """One piece per section under a Markdown heading, the heading line included so the section says what
    it is about; each piece records the path of headings above it ("Playbook > Discounts > Approvals")."""
    headings = list(_HEADING.finditer(text))
    pieces: list[Piece] = []
    trail: list[tuple[int, str]] = []
    if not headings or headings[0].start() > 0:
        first_end = headings[0].start() if headings else len(text)
        pieces.extend(Piece(s, e, heading=title) for s, e in cut(text, 0, first_end))
    for index, match in enumerate(headings):
        level = len(match.group(1))
        trail = [(lvl, name) for lvl, name in trail if lvl < level] + [(level, _name(match.group("title").strip()))]
        end = headings[index + 1].start() if index + 1 < len(headings) else len(text)
        path = " > ".join(name for _, name in trail)
        pieces.extend(Piece(s, e, heading=path) for s, e in cut(text, match.start(), end))
    return pieces


def plain_pieces(text: str) -> list[Piece]:
    return [Piece(s, e) for s, e in cut(text, 0, len(text))]


@dataclass(frozen=True)
class Source:
    """One row or document the knowledge base reads; ``text`` is exactly what citations quote from."""

    table: str  # interaction | survey_response | support_ticket | csm_note | document
    source_id: str
    account_id: int | None
    text: str
    title: str | None = None
    occurred_on: date | None = None
    kind: str | None = None  # an interaction's kind (call, meeting, qbr, email) or a document's format
    contacts: tuple[tuple[int, str], ...] = ()  # (contact id, name) of the people in it

    @property
    def content_hash(self) -> str:
        return content_hash(f"{self.title or ''}\x00{self.text}")


def pieces_of(source: Source) -> list[Piece]:
    if source.table == "interaction":
        return email_pieces(source.text) if source.kind == "email" else transcript_pieces(source.text)
    if source.table == "document":
        return document_pieces(source.text, None if source.title is None else _name(source.title))
    return plain_pieces(source.text)


def _contacts_in(piece: Piece, source: Source) -> tuple[int, ...]:
    """The contacts a chunk is about: the speaker of a turn when we know them, else everyone in the source."""
    if piece.speaker is not None:
        named = tuple(cid for cid, name in source.contacts if name and name.casefold() == piece.speaker.casefold())
        if named or source.contacts:
            return named
    return tuple(cid for cid, _ in source.contacts)


def chunk_source(source: Source) -> list[Chunk]:
    digest = source.content_hash
    source_title = _name(source.title) if source.table == "document" and source.title else source.title
    chunks = []
    for ordinal, piece in enumerate(pieces_of(source)):
        title = source_title
        if piece.heading and piece.heading != source_title:
            nested = not source_title or piece.heading.startswith(f"{source_title} > ")
            title = piece.heading if nested else f"{source_title} > {piece.heading}"
        if title is not None and len(title) > MAX_TITLE:  # a path of many long headings: its nearest part
            title = "\u2026" + title[-(MAX_TITLE - 1) :]
        chunks.append(
            Chunk(
                id=f"{source.table}:{source.source_id}:{ordinal}",
                account_id=source.account_id,
                source_table=source.table,
                source_id=source.source_id,
                ordinal=ordinal,
                text=source.text[piece.start : piece.end],
                start=piece.start,
                end=piece.end,
                occurred_on=source.occurred_on,
                contact_ids=_contacts_in(piece, source),
                title=title,
                content_hash=digest,
            )
        )
    return chunks


def chunk_sources(sources: Sequence[Source]) -> list[Chunk]:
    return [chunk for source in sources for chunk in chunk_source(source)]
