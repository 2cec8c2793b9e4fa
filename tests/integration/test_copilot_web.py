"""The copilot's web page without JavaScript: ask by form, open each cited source, and nothing out of reach."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from api.security_headers import CONTENT_SECURITY_POLICY
from cli.main import app
from core.models import Account, Scorecard
from knowledge_base.retrieval import KnowledgeBase
from tests.integration.api_support import web_login
from tests.integration.copilot_doors_support import QUESTION, doors_app, with_password
from tests.integration.copilot_support import Book, seeded_book

SCORECARD = Scorecard.__table__  # type: ignore[attr-defined]
ACCOUNT = Account.__table__  # type: ignore[attr-defined]
LINK = re.compile(r'<li><a href="([^"]+)" aria-label="Source \d+: [^"]+">([^<]+)</a>: <q>([^<]+)</q></li>')
HTML = {"Accept": "text/html"}


@pytest.fixture(scope="module")
def book(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Book]:
    made = seeded_book(tmp_path_factory.mktemp("copilot-web"))
    with_password(made.engine, made.owner, "csm-web")
    env = {"WATCHTOWER_DATA_DIR": str(made.data_dir)}
    indexed = CliRunner().invoke(app, ["--database-url", made.database_url, "kb", "ingest"], env=env)
    assert indexed.exit_code == 0, indexed.output
    yield made
    made.engine.dispose()


def _chunk_of(book: Book, account_id: int) -> str:
    with KnowledgeBase.open(book.data_dir) as kb:
        return kb.search("call", [account_id], k=1)[0].chunk.id


@pytest.fixture
def signed_in(book: Book) -> Iterator[tuple[TestClient, str]]:
    with TestClient(doors_app(book), base_url="https://testserver") as client:
        yield client, web_login(client, "csm-web")


def test_the_form_answers_and_every_citation_opens_its_source_with_the_quote_marked(signed_in, book: Book) -> None:
    client, csrf = signed_in
    url = f"/accounts/{book.at_risk}/copilot"
    blank = client.get(url)
    assert blank.status_code == 200 and '<label for="question">Your question</label>' in blank.text
    assert '<script src="/static/copilot.js" defer></script>' in blank.text
    assert (
        len(re.findall(r"<script", blank.text)) == 1 and "script-src 'self'" in blank.headers["content-security-policy"]
    )
    answered = client.post(url, data={"csrf": csrf, "question": QUESTION})
    assert answered.status_code == 200, answered.text
    cited = LINK.findall(answered.text)
    assert cited and "[1]" in answered.text
    for href, _, quote in cited:
        source = client.get(html.unescape(href))
        assert source.status_code == 200, href
        assert f'<mark id="quote">{quote}</mark>' in source.text, (href, quote)


def test_a_knowledge_base_citation_opens_the_passage_with_the_quote_marked(signed_in, book: Book) -> None:
    client, csrf = signed_in
    question = "what did they say about pricing on the last call"
    answered = client.post(f"/accounts/{book.at_risk}/copilot", data={"csrf": csrf, "question": question})
    cited = [(href, quote) for href, name, quote in LINK.findall(answered.text) if name.startswith("kb ")]
    assert cited, answered.text
    for href, quote in cited:
        source = client.get(html.unescape(href))
        assert source.status_code == 200 and f'<mark id="quote">{quote}</mark>' in source.text, href


def test_other_accounts_and_their_sources_are_not_found(signed_in, book: Book) -> None:
    client, csrf = signed_in
    with book.engine.connect() as conn:
        foreign_card = conn.execute(select(SCORECARD.c.id).where(SCORECARD.c.account_id == book.foreign_id)).scalar()
    for method, path, data in [
        ("GET", f"/accounts/{book.foreign}/copilot", None),
        ("POST", f"/accounts/{book.foreign}/copilot", {"csrf": csrf, "question": QUESTION}),
        ("POST", f"/accounts/{book.foreign}/copilot/stream", {"csrf": csrf, "question": QUESTION}),
        ("GET", f"/accounts/{book.foreign}/copilot/sources/scorecard/{foreign_card}", None),
        # the path names an account in reach, the row is another account's
        ("GET", f"/accounts/{book.at_risk}/copilot/sources/scorecard/{foreign_card}", None),
        ("GET", f"/accounts/{book.at_risk}/copilot/sources/no_table/1", None),
        ("GET", f"/accounts/{book.at_risk}/copilot/sources/kb/{_chunk_of(book, book.foreign_id)}", None),
        ("GET", f"/accounts/{book.foreign}/copilot/sources/kb/{_chunk_of(book, book.foreign_id)}", None),
        ("GET", f"/accounts/{book.at_risk}/copilot/sources/kb/chunk-1", None),
        # a row id past any integer the database holds is a row that does not exist
        ("GET", f"/accounts/{book.at_risk}/copilot/sources/scorecard/{'9' * 30}", None),
        ("GET", f"/accounts/{book.at_risk}/copilot/sources/alert/{2**63}", None),
        ("GET", "/accounts/ACC-99999/copilot", None),
    ]:
        answer = client.request(method, path, data=data, headers=HTML)
        assert answer.status_code == 404, (method, path, answer.status_code)
        assert "Not found" in answer.text and "band" not in answer.text, path


def test_the_accounts_page_lists_only_the_accounts_in_reach(signed_in, book: Book) -> None:
    client, _ = signed_in
    with book.engine.connect() as conn:
        owned = sorted(
            conn.execute(select(ACCOUNT.c.external_id).where(ACCOUNT.c.owner_csm == book.owner.email)).scalars()
        )
    listed = client.get("/accounts")
    assert listed.status_code == 200
    assert re.findall(r'<a href="/accounts/([^/"]+)/copilot">', listed.text) == owned
    assert book.foreign not in listed.text and '<a href="/accounts" aria-current="page">Accounts</a>' in listed.text


def test_what_cannot_be_asked_comes_back_with_why(signed_in, book: Book) -> None:
    client, csrf = signed_in
    url = f"/accounts/{book.at_risk}/copilot"
    for question, why in [("   ", "Type a question first."), ("x" * 2001, "at most 2000 characters")]:
        refused = client.post(url, data={"csrf": csrf, "question": question}, headers=HTML)
        assert refused.status_code == 422 and why in refused.text
    assert client.post(url, data={"csrf": "stale", "question": QUESTION}, headers=HTML).status_code == 403
    client.cookies.clear()
    assert client.get(url, follow_redirects=False).headers["location"].startswith("/login?next=")


def test_the_pages_stream_is_the_apis_events(signed_in, book: Book) -> None:
    client, csrf = signed_in
    streamed = client.post(f"/accounts/{book.at_risk}/copilot/stream", data={"csrf": csrf, "question": QUESTION})
    assert streamed.status_code == 200 and streamed.headers["content-type"].startswith("text/event-stream")
    blocks = [dict(line.split(": ", 1) for line in b.splitlines()) for b in streamed.text.strip().split("\n\n")]
    assert [b["event"] for b in blocks][-2:] == ["answer", "done"]
    assert json.loads(blocks[-2]["data"])["citations"]
    assert "connect-src 'self'" in CONTENT_SECURITY_POLICY
