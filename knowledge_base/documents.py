"""A team's own documents (playbooks, product docs, QBR decks) as knowledge-base sources.

Markdown and text are read as they are. HTML is turned into text with its headings written as Markdown
headings, so the chunker cuts it by section like any Markdown file; scripts, styles and markup are dropped.
PDF pages are read with ``pypdf`` (pure Python, no system library) and joined with a blank line; a PDF has no
reliable headings, so it is cut by size at sentence boundaries. The source text a citation quotes is this
extracted text. A team document belongs to no account: every user may read it, and it is scoped apart
from every account's data in both indexes.
"""

from __future__ import annotations

import html
from collections.abc import Iterator
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path

from knowledge_base.chunking import Source

SUFFIXES: dict[str, str] = {".md": "markdown", ".markdown": "markdown", ".txt": "text", ".html": "html",
                            ".htm": "html", ".pdf": "pdf"}  # fmt: skip
#: A file larger than this is refused with a clear error rather than read into memory.
MAX_BYTES = 50 * 1024 * 1024


class DocumentError(ValueError):
    """A document that cannot be read; the message names the file."""


class _Text(HTMLParser):
    _SKIP = frozenset({"script", "style", "head", "template", "noscript"})
    _BLOCK = frozenset({"p", "div", "li", "tr", "br", "section", "article", "table", "ul", "ol", "blockquote", "pre"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skipping = 0
        self._heading: int | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._SKIP:
            self._skipping += 1
        elif len(tag) == 2 and tag[0] == "h" and tag[1] in "123456":
            self._heading = int(tag[1])
            self.parts.append("\n\n" + "#" * self._heading + " ")
        elif tag in self._BLOCK:
            self.parts.append("\n")
        if tag == "li":
            self.parts.append("- ")

    def handle_endtag(self, tag: str) -> None:
        if tag in self._SKIP:
            self._skipping = max(0, self._skipping - 1)
        elif self._heading is not None and tag == f"h{self._heading}":
            self._heading = None
            self.parts.append("\n")
        elif tag in self._BLOCK:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            self.parts.append(" ".join(data.split()) if self._heading is not None else data)


def html_text(markup: str) -> str:
    parser = _Text()
    parser.feed(markup)
    parser.close()
    lines = [line.rstrip() for line in html.unescape("".join(parser.parts)).splitlines()]
    text = "\n".join(lines)
    while "\n\n\n" in text:
        text = text.replace("\n\n\n", "\n\n")
    return text.strip() + "\n"


def pdf_text(path: Path) -> str:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(str(path))
        pages = [(page.extract_text() or "").strip() for page in reader.pages]
    except (PdfReadError, ValueError, KeyError, OSError) as error:
        raise DocumentError(f"{path}: not a readable PDF ({error})") from error
    return "\n\n".join(p for p in pages if p) + "\n"


def _title(text: str, path: Path) -> str:
    for line in text.splitlines():
        if line.startswith("# "):
            return line[2:].strip()
    return path.stem.replace("_", " ").replace("-", " ")


def read_document(path: Path, source_id: str) -> Source:
    kind = SUFFIXES.get(path.suffix.lower())
    if kind is None:
        raise DocumentError(f"{path}: unsupported file type {path.suffix!r}; supported: {', '.join(sorted(SUFFIXES))}")
    size = path.stat().st_size
    if size > MAX_BYTES:
        raise DocumentError(f"{path}: {size:,} bytes is more than the {MAX_BYTES:,} a document may have")
    if kind == "pdf":
        text = pdf_text(path)
    else:
        try:
            raw = path.read_text(encoding="utf-8")
        except UnicodeDecodeError as error:
            raise DocumentError(f"{path}: not UTF-8 text (byte {error.start})") from error
        text = html_text(raw) if kind == "html" else raw
    modified = datetime.fromtimestamp(path.stat().st_mtime, tz=UTC).date()
    return Source("document", source_id, None, text, _title(text, path), modified, kind)


def document_files(root: Path) -> Iterator[Path]:
    """The supported files under ``root`` (or ``root`` itself), in a stable order; hidden files skipped, and
    links to files outside ``root``: every user may read a team document, so a link must not publish a file
    from elsewhere (and its id, the resolved path, would lie outside the folder that re-adding reconciles)."""
    if root.is_file():
        yield root
        return
    inside = root.resolve()
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root)
        if any(part.startswith(".") for part in relative.parts):
            continue
        if path.is_file() and path.suffix.lower() in SUFFIXES and path.resolve().is_relative_to(inside):
            yield path


def document_id(path: Path) -> str:
    """A document's id is its resolved path: adding the same folder twice updates it in place."""
    return str(path.resolve())
