"""JSON for imports: objects with a key given twice are refused, too-deep nesting is an error, not a crash.

A JSON array is read one element at a time from the text in pieces, so a file of a million records is never
held whole; each element is numbered by its position (``record N``) and a syntax error by its line.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

#: One record larger than this is refused rather than buffered without end.
MAX_RECORD_CHARS = 64 << 20
_SPACE = re.compile(r"[ \t\n\r]*")


class DuplicateKey(ValueError):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


class JsonProblem(ValueError):
    """A located problem: ``record`` for one element of an array (else ``line``), ``field`` when a key is known."""

    def __init__(
        self, message: str, *, line: int | None = None, record: int | None = None, field: str | None = None
    ) -> None:
        super().__init__(message)
        self.message, self.line, self.record, self.field = message, line, record, field


def unique_pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """An object hook that refuses a key given twice: a last-wins reading would silently drop a value."""
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise DuplicateKey(key)
        out[key] = value
    return out


DECODER = json.JSONDecoder(object_pairs_hook=unique_pairs)
TOO_DEEP = "is nested too deeply to read; flatten the record"
TWICE = "is given twice in one JSON object; give each key once"
#: Python refuses to turn integers of more than 4,300 digits into numbers (a guard against slow parsing).
TOO_LONG = "holds a number too long to read (more than 4,300 digits)"


def kind_of(value: Any) -> str:
    return {dict: "an object", list: "an array", str: "a string", bool: "a boolean"}.get(
        type(value), "null" if value is None else "a number"
    )


def parse_value(text: str) -> Any:
    """One whole JSON text (a JSON Lines line); raises JsonProblem without a line (the caller knows it)."""
    try:
        return DECODER.decode(text)
    except DuplicateKey as exc:
        raise JsonProblem(TWICE, field=exc.key) from None
    except RecursionError:
        raise JsonProblem(TOO_DEEP) from None
    except json.JSONDecodeError as exc:
        raise JsonProblem(f"is not valid JSON: {exc.msg} (column {exc.colno})") from None
    except ValueError:
        raise JsonProblem(TOO_LONG) from None


class _Buffer:
    """A window on the text: consumed text is dropped, more is read on demand, line numbers are kept."""

    def __init__(self, pieces: Iterator[str]) -> None:
        self.pieces = pieces
        self.text = ""
        self.pos = 0
        self.line = 1  # line number of text[0]
        self.eof = False

    def more(self) -> bool:
        piece = "" if self.eof else next(self.pieces, "")
        if not piece:
            self.eof = True
            return False  # the text stays as it is, so positions in it still hold
        self.line += self.text.count("\n", 0, self.pos)
        self.text = self.text[self.pos :] + piece
        self.pos = 0
        return True

    def line_at(self, pos: int) -> int:
        return self.line + self.text.count("\n", 0, pos)

    def peek(self) -> str:
        """The next character that is not white space, or '' at the end of the text."""
        while True:
            self.pos = _SPACE.match(self.text, self.pos).end()  # type: ignore[union-attr]
            if self.pos < len(self.text) or not self.more():
                return self.text[self.pos : self.pos + 1]


def _element(buffer: _Buffer, record: int) -> Any:
    buffer.peek()
    while True:
        try:
            value, end = DECODER.raw_decode(buffer.text, buffer.pos)
        except DuplicateKey as exc:
            raise JsonProblem(TWICE, record=record, field=exc.key) from None
        except RecursionError:
            raise JsonProblem(TOO_DEEP, record=record) from None
        except json.JSONDecodeError as exc:
            # Perhaps only cut off by the end of the piece read so far: read more and try again.
            if len(buffer.text) - buffer.pos < MAX_RECORD_CHARS and buffer.more():
                continue
            raise JsonProblem(
                f"is not valid JSON: {exc.msg} (column {exc.colno})", line=buffer.line_at(exc.pos)
            ) from None
        except ValueError:
            raise JsonProblem(TOO_LONG, record=record) from None
        if end == len(buffer.text) and buffer.more():
            continue  # a bare number may go on in the next piece
        buffer.pos = end
        return value


def iter_array(pieces: Iterator[str]) -> Iterator[tuple[int, dict[str, Any]]]:
    """(record number, object) for each element of a top-level JSON array of objects."""
    buffer = _Buffer(pieces)
    first = buffer.peek()
    if not first:
        raise JsonProblem("is empty: expected a JSON array of objects")
    if first != "[":
        found = {"{": "an object", '"': "a string", "t": "a boolean", "f": "a boolean", "n": "null"}.get(first)
        raise JsonProblem(f"must hold a JSON array of objects, found {found or 'a number or invalid JSON'}")
    buffer.pos += 1
    if buffer.peek() == "]":
        buffer.pos += 1
    else:
        record = 0
        while True:
            record += 1
            value = _element(buffer, record)
            if not isinstance(value, dict):
                raise JsonProblem(f"must be a JSON object, found {kind_of(value)}", record=record)
            yield record, value
            after = buffer.peek()
            buffer.pos += 1
            if after == "]":
                break
            if after != ",":
                raise JsonProblem(
                    "is not valid JSON: expected ',' or ']' after a record", line=buffer.line_at(buffer.pos)
                )
    if buffer.peek():
        raise JsonProblem("is not valid JSON: text after the closing ']'", line=buffer.line_at(buffer.pos))
