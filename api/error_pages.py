"""Errors as a page for a browser on the web pages, as JSON for the API.

A person who follows a stale link or posts a stale form should see the site,
with the reason and a way back, not a raw JSON object. The JSON API (and
``/events``, ``/health``) keep answering JSON whatever the Accept header says,
so a client never has to parse HTML. The JSON answers are whatever handler was
installed before this one (FastAPI's by default), so installing this last
composes with a custom JSON handler instead of replacing it.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from http import HTTPStatus

import anyio.from_thread
from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler, request_validation_exception_handler
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from api.pages import templates

Handler = Callable[[Request, Exception], Response | Awaitable[Response]]
JSON_PREFIXES = ("/api/", "/api", "/events", "/health", "/v1/", "/mcp")
TITLES = {
    403: "Not allowed",
    404: "Not found",
    405: "Not allowed here",
    409: "Already changed",
    422: "That request could not be read",
}


def wants_html(request: Request) -> bool:
    path = request.url.path
    if path == "/api" or path.startswith(JSON_PREFIXES):
        return False
    return "text/html" in request.headers.get("accept", "")


def _page(request: Request, status_code: int, detail: str, headers: dict[str, str] | None = None) -> Response:
    title = TITLES.get(status_code) or HTTPStatus(status_code).phrase.capitalize()
    values = {"user": None, "title": title, "detail": detail}
    return templates.TemplateResponse(request, "error.html", values, status_code=status_code, headers=headers)


def _validation_detail(exc: RequestValidationError) -> str:
    parts = []
    for error in exc.errors():
        where = ".".join(str(p) for p in error.get("loc", ()) if p not in ("query", "body", "path", "form"))
        parts.append(f"{where}: {error.get('msg', 'invalid')}" if where else str(error.get("msg", "invalid")))
    return "; ".join(parts) or "the request could not be read"


def _delegate(handler: Handler, request: Request, exc: Exception) -> Response:
    """Run the JSON handler this one wraps; an async one (FastAPI's) goes back to the event loop to run,
    as these handlers run in the thread pool like every other handler of the app."""
    if inspect.iscoroutinefunction(handler):
        return anyio.from_thread.run(handler, request, exc)
    return handler(request, exc)  # type: ignore[return-value]


def install_error_pages(app: FastAPI) -> None:
    json_http: Handler = app.exception_handlers.get(StarletteHTTPException, http_exception_handler)
    json_invalid: Handler = app.exception_handlers.get(RequestValidationError, request_validation_exception_handler)

    def http_error(request: Request, exc: Exception) -> Response:
        if isinstance(exc, StarletteHTTPException) and wants_html(request):
            return _page(request, exc.status_code, str(exc.detail), getattr(exc, "headers", None))
        return _delegate(json_http, request, exc)

    def invalid_request(request: Request, exc: Exception) -> Response:
        if isinstance(exc, RequestValidationError) and wants_html(request):
            return _page(request, 422, _validation_detail(exc))
        return _delegate(json_invalid, request, exc)

    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(RequestValidationError, invalid_request)
