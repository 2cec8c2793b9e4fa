"""JSON request bodies read strictly: a key given twice in one object, or nesting too deep to read, is a 422.

Python's parser keeps the last of two equal keys. A body ``{"discount_pct": 5, "discount_pct": 50}`` then
reads as 50 here while a proxy, a log or a reviewer's tool that keeps the first reads 5; refusing it leaves
one meaning. Nesting past the interpreter's recursion limit would otherwise be a generic 400. A number
past what a float holds (``1e999``) would read as infinity, and ``NaN``/``Infinity`` are not JSON at all:
either would reach a 422 that echoes the input and cannot write it back as JSON, so both are refused here.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.routing import APIRoute

from sources.json_stream import DuplicateKey, unique_pairs


class _NotFinite(ValueError):
    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.text = text


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise _NotFinite(text)
    return value


def _no_constant(text: str) -> float:
    raise _NotFinite(text)


_DECODER = json.JSONDecoder(object_pairs_hook=unique_pairs, parse_float=_finite, parse_constant=_no_constant)


def parse_body(body: bytes) -> Any:
    """The body's JSON value; every failure a ``json.JSONDecodeError``, which FastAPI answers with a 422."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise json.JSONDecodeError("the body is not UTF-8", "", exc.start) from None
    try:
        return _DECODER.decode(text)
    except DuplicateKey as exc:
        raise json.JSONDecodeError(f"key {exc.key!r} is given twice in one object; give each key once", "", 0) from None
    except _NotFinite as exc:
        raise json.JSONDecodeError(
            f"the number {exc.text[:40]} is not a finite number a float holds; send money as a string", "", 0
        ) from None
    except RecursionError:
        raise json.JSONDecodeError("the body is nested too deeply to read", "", 0) from None
    except json.JSONDecodeError:
        raise
    except ValueError as exc:  # an integer past the interpreter's digit limit, for one
        raise json.JSONDecodeError(f"the body cannot be read: {str(exc)[:120]}", "", 0) from None


class StrictJsonRequest(Request):
    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            self._json = parse_body(await self.body())
        return self._json


class StrictJsonRoute(APIRoute):
    """The route class of every API router (FastAPI's documented way to change how a body is read)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def strict(request: Request) -> Response:
            return await handler(StrictJsonRequest(request.scope, request.receive))

        return strict
