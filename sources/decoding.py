"""Bytes of an import file to text, a piece at a time, with the line of any invalid UTF-8 named.

Files are never read whole: CSV and JSON Lines come a physical line at a time (a line past
``MAX_LINE_BYTES`` is an error, not a read of the rest of the file), a JSON array in fixed-size pieces, so
memory stays flat however long the file is. A UTF-8 byte order mark is dropped.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterator
from pathlib import Path

from sources.errors import ImportFailed, RowError

CHUNK_BYTES = 1 << 20
#: The longest physical line read; a row's largest field (an interaction body) needs well under a tenth of it.
MAX_LINE_BYTES = 16 << 20
_BOM = "\ufeff"
#: A carriage return not followed by a newline ends a line too (universal newlines, as csv expects).
_BARE_CR = re.compile(r"(?<=\r)(?!\n)")


def _invalid(path: Path, line: int, byte: int, offset: int) -> ImportFailed:
    return ImportFailed(
        str(path),
        [
            RowError(
                str(path),
                line,
                None,
                f"is not valid UTF-8 (byte 0x{byte:02x} at offset {offset}); "
                "re-save the file as UTF-8 and import again",
            )
        ],
    )


def text_lines(path: Path) -> Iterator[tuple[int, str]]:
    """(physical line number, text with its line ending); raises ImportFailed on invalid UTF-8."""
    number, offset = 0, 0
    with path.open("rb") as stream:
        for raw in iter(lambda: stream.readline(MAX_LINE_BYTES + 1), b""):
            if len(raw) > MAX_LINE_BYTES:
                raise ImportFailed(
                    str(path),
                    [
                        RowError(
                            str(path),
                            number + 1,
                            None,
                            f"is longer than {MAX_LINE_BYTES >> 20} MB; a line holds one row, and no row needs so much",
                        )
                    ],
                )
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                extra = raw[: exc.start].count(b"\r") - raw[: exc.start].count(b"\r\n")
                raise _invalid(path, number + 1 + extra, raw[exc.start], offset + exc.start) from exc
            if number == 0 and text.startswith(_BOM):
                text = text[1:]
            offset += len(raw)
            for piece in _BARE_CR.split(text) if "\r" in text else (text,):
                if piece:
                    number += 1
                    yield number, piece


def text_chunks(path: Path) -> Iterator[str]:
    """The file's text in pieces of about CHUNK_BYTES; raises ImportFailed on invalid UTF-8."""
    decoder = codecs.getincrementaldecoder("utf-8")("strict")
    lines, offset, first = 0, 0, True
    with path.open("rb") as stream:
        while True:
            raw = stream.read(CHUNK_BYTES)
            try:
                text = decoder.decode(raw, final=not raw)
            except UnicodeDecodeError as exc:
                # exc.start counts from the bytes the decoder held back (at most 3) plus this piece.
                held = len(exc.object) - len(raw)
                start = max(exc.start - held, 0)
                raise _invalid(
                    path, lines + 1 + raw[:start].count(b"\n"), exc.object[exc.start], offset + start
                ) from exc
            if first and text.startswith(_BOM):
                text = text[1:]
            first = False
            lines += raw.count(b"\n")
            offset += len(raw)
            if text:
                yield text
            if not raw:
                return
