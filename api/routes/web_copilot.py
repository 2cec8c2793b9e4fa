"""The copilot's web pages: the accounts a person may ask about, and per account a page to ask, read the answer
and open each cited source with its quote marked.

Server-rendered, so it works without JavaScript: the form posts and the page comes back with the answer.
``/static/copilot.js`` (the one script the Content-Security-Policy allows) streams the answer instead,
from ``.../copilot/stream``, which answers with the JSON API's server-sent events for the signed-in
session. An account the person cannot reach, and any source that is not a row of the account in the path,
are the same "not found" page as something that does not exist.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import quote as url_quote

from fastapi import APIRouter, Form, HTTPException, Path, Query, Request
from fastapi.responses import HTMLResponse, StreamingResponse
from sqlalchemy import Connection, func, select

from agents.copilot.schema import Citation, CopilotAnswer
from agents.copilot.service import Copilot
from api.bounds import not_form_text
from api.copilot_door import CopilotDep, as_of_default, reach
from api.copilot_models import MAX_QUESTION, AccountKey
from api.deps import AppSettings, Clock, Db, FormUser, Paging, WebSession
from api.pages import page, paged
from api.sse import HEADERS, MEDIA_TYPE, answer_events
from core.identity import User
from core.models import Account
from tools.access import AccountRef, reachable_accounts
from tools.copilot_sources import stored_text

router = APIRouter(include_in_schema=False)
ACCOUNT = Account.__table__  # type: ignore[attr-defined]

SourceTable = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[a-z_]+$")]
SourceId = Annotated[str, Path(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9:_.#-]+$")]
Quote = Annotated[str, Query(max_length=MAX_QUESTION)]


def source_url(account: str, citation: Citation) -> str:
    """Where a citation opens: the source's page, scrolled to the quoted span."""
    path = f"/accounts/{url_quote(account)}/copilot/sources/{citation.source}/{url_quote(citation.id, safe='')}"
    return f"{path}?quote={url_quote(citation.quote, safe='')}#quote"


def _reachable(engine: Db, user: User, account: str) -> AccountRef:
    ref = reach(engine, user, account)
    if ref is None:
        raise HTTPException(404, f"No account {account} you can reach.")
    return ref


def _copilot_page(
    request: Request,
    session: tuple[User, str],
    ref: AccountRef,
    *,
    question: str = "",
    answer: CopilotAnswer | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    user, csrf = session
    links = [source_url(ref.external_id, c) for c in answer.citations] if answer else []
    values = {"error": error} if error else {}
    return page(
        request,
        "copilot.html",
        status_code=status_code,
        user=user,
        csrf=csrf,
        account=ref,
        question=question,
        answer=answer,
        cited=list(zip(answer.citations, links, strict=True)) if answer else [],
        max_question=MAX_QUESTION,
        **values,
    )


def _accounts(conn: Connection, user: User, limit: int, offset: int) -> tuple[list[dict[str, Any]], int]:
    """A page of the accounts ``user`` may ask about, by external id, and how many there are."""
    allowed = reachable_accounts(conn, user)
    query = select(ACCOUNT.c.external_id, ACCOUNT.c.name)
    if allowed is not None:
        query = query.where(ACCOUNT.c.id.in_(allowed))
    total = conn.execute(select(func.count()).select_from(query.subquery())).scalar_one()
    rows = conn.execute(query.order_by(ACCOUNT.c.external_id).limit(limit).offset(offset)).mappings()
    return [dict(r) for r in rows], total


@router.get("/accounts")
def accounts_page(request: Request, engine: Db, session: WebSession, params: Paging) -> HTMLResponse:
    """The accounts the person may ask the copilot about, each linking to its page."""
    user, csrf = session
    with engine.connect() as conn:
        items, pager = paged("/accounts", params, lambda limit, offset: _accounts(conn, user, limit, offset))
    return page(request, "accounts.html", user=user, csrf=csrf, items=items, pager=pager)


@router.get("/accounts/{account}/copilot")
def copilot_page(request: Request, account: AccountKey, engine: Db, session: WebSession) -> HTMLResponse:
    return _copilot_page(request, session, _reachable(engine, session[0], account))


def _unaskable(question: str) -> str | None:
    if not question.strip():
        return "Type a question first."
    if len(question) > MAX_QUESTION:
        return f"A question is at most {MAX_QUESTION} characters."
    return not_form_text(question)


@router.post("/accounts/{account}/copilot")
def copilot_ask(
    request: Request,
    account: AccountKey,
    question: Annotated[str, Form()],
    engine: Db,
    settings: AppSettings,
    clock: Clock,
    copilot: CopilotDep,
    user: FormUser,
    session: WebSession,
) -> HTMLResponse:
    """The page again, with the answer; a question that cannot be asked comes back with why, as 422."""
    ref = _reachable(engine, user, account)
    problem = _unaskable(question)
    if problem:
        return _copilot_page(request, session, ref, question=question, error=problem, status_code=422)
    answer = copilot.ask(user=user, account=ref.external_id, question=question, as_of=as_of_default(settings, clock()))
    return _copilot_page(request, session, ref, question=question, answer=answer)


@router.post("/accounts/{account}/copilot/stream")
def copilot_stream(
    account: AccountKey,
    question: Annotated[str, Form()],
    engine: Db,
    settings: AppSettings,
    clock: Clock,
    copilot: CopilotDep,
    user: FormUser,
) -> StreamingResponse:
    """The page's script reads this: the JSON API's events, for the session rather than a bearer token."""
    ref = _reachable(engine, user, account)
    problem = _unaskable(question)
    if problem:
        raise HTTPException(422, problem)
    pieces = copilot.stream(
        user=user, account=ref.external_id, question=question, as_of=as_of_default(settings, clock())
    )
    return StreamingResponse(answer_events(pieces, account=ref.external_id), media_type=MEDIA_TYPE, headers=HEADERS)


@dataclass(frozen=True)
class Marked:
    """A source's text cut around the quoted span (``found`` is False when the text no longer holds it)."""

    before: str
    quote: str
    after: str
    found: bool


def marked(text: str, quote: str) -> Marked:
    at = text.find(quote) if quote else -1
    if at < 0:
        return Marked(text, "", "", False)
    return Marked(text[:at], quote, text[at + len(quote) :], True)


def _source_text(copilot: Copilot, engine: Db, ref: AccountRef, table: str, row_id: str) -> str | None:
    """The source's text when it is a row (or knowledge-base chunk) of this account, else None."""
    if table == "kb":
        chunk = copilot.kb.chunk(row_id) if copilot.kb is not None else None
        return chunk.text if chunk is not None and chunk.account_id == ref.id else None
    with engine.connect() as conn:
        stored = stored_text(conn, table, row_id)
    return stored.text if stored is not None and stored.account_id == ref.id else None


@router.get("/accounts/{account}/copilot/sources/{table}/{row_id}")
def source_page(
    request: Request,
    account: AccountKey,
    table: SourceTable,
    row_id: SourceId,
    engine: Db,
    copilot: CopilotDep,
    session: WebSession,
    quote: Quote = "",
) -> HTMLResponse:
    user, csrf = session
    ref = _reachable(engine, user, account)
    text = _source_text(copilot, engine, ref, table, row_id)
    if text is None:
        raise HTTPException(404, f"No source {table} {row_id} of account {ref.external_id}.")
    return page(
        request,
        "copilot_source.html",
        user=user,
        csrf=csrf,
        account=ref,
        table=table,
        row_id=row_id,
        text=marked(text, quote),
    )
