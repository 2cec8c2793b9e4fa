"""For the copilot's doors: the app over a seeded, scored book, people's tokens, and a check of citations."""

from __future__ import annotations

from fastapi import FastAPI
from sqlalchemy.engine import Engine

from agents.copilot.schema import CopilotAnswer
from api.app import create_app
from core.identity import User, add_user
from core.settings import Settings
from tests.integration.approval_support import NOW, PASSWORD, POLICY, token_for
from tests.integration.copilot_support import Book
from tools.copilot_sources import stored_text

QUESTION = "why is this account at risk"


def doors_app(book: Book, *, cookie_secure: bool | None = None) -> FastAPI:
    """The app on the book, with the tests' clock (two days after the book's as-of date) and policy."""
    settings = Settings(database_url=book.database_url, data_dir=book.data_dir, cookie_secure=cookie_secure)
    return create_app(settings, engine=book.engine, policy=POLICY, clock=lambda: NOW)


def bearer(book: Book, user: User) -> dict[str, str]:
    return {"Authorization": f"Bearer {token_for(book.engine, user)}"}


def with_password(engine: Engine, user: User, username: str) -> User:
    """A second login for ``user``'s role and address, with the suites' password, for the web pages."""
    with engine.begin() as conn:
        return add_user(conn, username=username, role=user.role, email=user.email, password=PASSWORD, now=NOW)


def assert_cited_verbatim(engine: Engine, answer: CopilotAnswer, account: str, account_id: int) -> None:
    """Every citation is of the account asked about, and its quote is a span of the row as stored now."""
    assert answer.citations, answer.answer
    with engine.connect() as conn:
        for citation in answer.citations:
            assert citation.account == account, citation
            stored = stored_text(conn, citation.source, citation.id)
            assert stored is not None and stored.account_id == account_id, citation
            assert citation.quote in stored.text, citation
