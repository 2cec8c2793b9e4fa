"""Every 422 in one shape, the one the schema declares: ``{"detail": [{"loc": [...], "msg": ..., "type": ...}]}``.

FastAPI answers a body it cannot read that way; the refusals that come from
further in (terms the policy cannot price, an edit out of bounds, import rows)
are put in the same shape here, so a client reads one kind of 422. Error
responses are written as ASCII JSON: a lone surrogate echoed back from the
input cannot be encoded as UTF-8, and would otherwise turn a 422 into a 500.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from typing import Any

from fastapi import HTTPException, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import BaseRoute, Route

from sources.errors import RowError

#: A domain message that starts with the field it is about: ``terms.discount_pct: must be ...``.
_FIELD = re.compile(r"^([A-Za-z_][\w.]*): ")


class AsciiJSONResponse(JSONResponse):
    def render(self, content: Any) -> bytes:
        return json.dumps(content, ensure_ascii=True, allow_nan=False, separators=(",", ":")).encode("ascii")


def error(message: str, *loc: str | int, kind: str = "value_error") -> dict[str, Any]:
    return {"loc": ["body", *loc], "msg": message, "type": kind}


def unprocessable(message: str) -> HTTPException:
    """A 422 for a domain refusal; the field its message starts with (if any) is its location."""
    found = _FIELD.match(message)
    loc = found.group(1).split(".") if found else []
    return HTTPException(422, [error(message, *loc)])


def import_rejected(errors: Iterable[RowError], *, field: str) -> HTTPException:
    """A 422 for rows the importer refused, each located at its row (0-based, as JSON counts) and field."""
    detail = []
    for row in errors:
        loc: list[str | int] = [field]
        if row.row is not None:
            loc.append(row.row - 1)
        if row.field:
            loc.append(row.field)
        detail.append(error(str(row), *loc, kind="import_error"))
    return HTTPException(422, detail or [error("nothing was imported", field)])


def request_validation(request: Request, exc: RequestValidationError) -> AsciiJSONResponse:
    """FastAPI's own 422, written as ASCII so whatever input it echoes can be encoded."""
    return AsciiJSONResponse({"detail": jsonable_encoder(exc.errors())}, status_code=422)


def _routes(routes: Iterable[BaseRoute]) -> Iterator[BaseRoute]:
    for route in routes:
        included = getattr(route, "original_router", None)
        yield from _routes(included.routes) if included is not None else (route,)


def method_not_allowed(request: Request, exc: StarletteHTTPException) -> JSONResponse:
    """A 405 whose ``Allow`` names every method the path answers, not only those of the first route that
    matched it (``GET`` and ``POST /api/offers`` are two routes)."""
    allowed = {
        method
        for route in _routes(request.app.routes)
        if isinstance(route, Route) and route.path_regex.match(request.url.path)
        for method in route.methods or ()
    }
    headers = {"Allow": ", ".join(sorted(allowed))} if allowed else exc.headers
    return JSONResponse({"detail": exc.detail}, status_code=405, headers=headers)
