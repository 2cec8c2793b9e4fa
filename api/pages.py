"""What the web pages share: the templates, rendering with the flash message, redirects back, and the pager."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates

from api.flash import clear_flash, flash, read_flash
from api.formatting import cash, lateness, money, term_changes, when, whole_money
from api.models import PageParams

templates = Jinja2Templates(directory=Path(__file__).resolve().parent / "templates")
templates.env.filters.update(
    money=money, when=when, whole_money=whole_money, cash=cash, lateness=lateness, term_changes=term_changes
)


def page(request: Request, name: str, *, status_code: int = 200, **values: Any) -> HTMLResponse:
    """Render a page with the flash the server left for it (never one from the query string), shown once."""
    for kind, text in read_flash(request).items():
        values.setdefault(kind, text)
    response = templates.TemplateResponse(request, name, values, status_code=status_code)
    clear_flash(request, response)
    return response


def local(path: str) -> str:
    """Only paths on this site are followed (no //host or /\\host redirects); anything else goes home. A control
    character goes home too: browsers drop tabs and line breaks from a URL, so ``/<TAB>/host`` is ``//host``."""
    if any(ord(c) < 32 or ord(c) == 127 for c in path):
        return "/"
    return path if path.startswith("/") and not path.startswith(("//", "/\\")) else "/"


def back(request: Request, path: str, *, message: str | None = None, error: str | None = None) -> RedirectResponse:
    """Back to a page on this site (keeping its query, e.g. the page of a list) with a message or an error,
    carried in a flash cookie signed for this session."""
    parts = urlsplit(local(path))
    query = urlencode([(k, v) for k, v in parse_qsl(parts.query) if k not in ("message", "error")])
    response = RedirectResponse(f"{parts.path}?{query}" if query else parts.path, status_code=303)
    flash(request, response, kind="message" if message else "error", text=message or error or "")
    return response


@dataclass(frozen=True)
class Pager:
    """Where a web list is: items ``first``-``last`` of ``total`` and the links to either side."""

    path: str
    total: int
    limit: int
    offset: int
    #: The list's other query parameters (its filters), kept on every link.
    keep: tuple[tuple[str, str], ...] = ()

    @property
    def first(self) -> int:
        return self.offset + 1 if self.total else 0

    @property
    def last(self) -> int:
        return min(self.offset + self.limit, self.total)

    @property
    def here(self) -> str:
        return self._url(self.offset)

    @property
    def previous(self) -> str | None:
        return self._url(max(self.offset - self.limit, 0)) if self.offset > 0 else None

    @property
    def next(self) -> str | None:
        return self._url(self.offset + self.limit) if self.offset + self.limit < self.total else None

    def _url(self, offset: int) -> str:
        return f"{self.path}?{urlencode([*self.keep, ('limit', self.limit), ('offset', offset)])}"


def paged(
    path: str,
    params: PageParams,
    fetch: Callable[[int, int], tuple[list[dict[str, Any]], int]],
    *,
    keep: list[tuple[str, str]] | None = None,
) -> tuple[list[dict[str, Any]], Pager]:
    """One page of a list; past the end (the last item of the last page was just decided) the last page."""
    items, total = fetch(params.limit, params.offset)
    offset = params.offset
    if not items and total and offset:
        offset = (total - 1) // params.limit * params.limit
        items, total = fetch(params.limit, offset)
    return items, Pager(path, total, params.limit, offset, tuple(keep or ()))
