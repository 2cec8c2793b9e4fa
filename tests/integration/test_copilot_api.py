"""POST /api/copilot/{account}/messages on a seeded, scored book: JSON, server-sent events, and refusals."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from agents.copilot.schema import CopilotAnswer
from api.app import create_app
from api.bounds import MAX_BODY_BYTES
from approvals.queue import ACCOUNT
from core.settings import Settings
from scorecards.weekly import ScoringConfig, score_book
from tests.integration.approval_support import NOW, POLICY, account_ids, book_with_people, token_for
from tests.integration.copilot_doors_support import QUESTION, assert_cited_verbatim, bearer, doors_app
from tests.integration.copilot_support import AS_OF, Book, seeded_book


@pytest.fixture(scope="module")
def book(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Book]:
    made = seeded_book(tmp_path_factory.mktemp("copilot-api"))
    yield made
    made.engine.dispose()


@pytest.fixture
def client(book: Book) -> Iterator[TestClient]:
    with TestClient(doors_app(book), base_url="https://testserver") as served:
        yield served


def _events(text: str) -> list[tuple[str, str]]:
    found = []
    for block in text.strip().split("\n\n"):
        fields = dict(line.split(": ", 1) for line in block.splitlines())
        found.append((fields["event"], fields["data"]))
    return found


def test_the_answer_cites_the_accounts_own_sources_verbatim(client: TestClient, book: Book) -> None:
    url = f"/api/copilot/{book.at_risk}/messages"
    answered = client.post(url, headers=bearer(book, book.owner), json={"question": QUESTION, "as_of": str(AS_OF)})
    assert answered.status_code == 200, answered.text
    answer = CopilotAnswer.model_validate(answered.json())
    assert answer.intent == "why_at_risk" and "[1]" in answer.answer
    assert_cited_verbatim(book.engine, answer, book.at_risk, book.at_risk_id)


@pytest.mark.parametrize("how", ["accept header", "query"])
def test_the_stream_is_deltas_then_the_answer_then_done(client: TestClient, book: Book, how: str) -> None:
    headers = bearer(book, book.owner)
    params = {}
    if how == "accept header":
        headers["Accept"] = "text/event-stream"
    else:
        params["stream"] = "true"
    url = f"/api/copilot/{book.at_risk}/messages"
    streamed = client.post(url, headers=headers, params=params, json={"question": QUESTION})
    assert streamed.status_code == 200 and streamed.headers["content-type"].startswith("text/event-stream")
    events = _events(streamed.text)
    names = [name for name, _ in events]
    assert names[-2:] == ["answer", "done"] and set(names[:-2]) == {"delta"} and len(names) > 3
    answer = CopilotAnswer.model_validate_json(events[-2][1])
    assert "".join(json.loads(data)["text"] for name, data in events if name == "delta") == answer.answer
    assert_cited_verbatim(book.engine, answer, book.at_risk, book.at_risk_id)


def test_another_csms_account_is_the_same_404_as_none(client: TestClient, book: Book) -> None:
    headers = bearer(book, book.owner)
    for account in (book.foreign, "ACC-99999"):
        for extra in ({}, {"Accept": "text/event-stream"}):
            refused = client.post(f"/api/copilot/{account}/messages", headers=headers | extra, json={"question": "hi"})
            assert refused.status_code == 404, refused.text
            assert refused.json() == {"detail": f"account: no account {account!r} you can reach"}
    # the other CSM reaches it, the manager reaches both
    for user, account in ((book.other_csm, book.foreign), (book.manager, book.at_risk)):
        url = f"/api/copilot/{account}/messages"
        assert client.post(url, headers=bearer(book, user), json={"question": QUESTION}).status_code == 200


def test_bodies_it_cannot_take_are_refused_never_a_500(client: TestClient, book: Book) -> None:
    headers = bearer(book, book.owner)
    url = f"/api/copilot/{book.at_risk}/messages"
    for body, status in [
        (b"{not json", 422),
        (b'{"question": "a", "question": "b"}', 422),
        (json.dumps({"question": ""}).encode(), 422),
        (json.dumps({"question": "x" * 2001}).encode(), 422),
        (json.dumps({"question": "why", "colour": "red"}).encode(), 422),
        (json.dumps({"question": "why", "as_of": "tomorrow"}).encode(), 422),
        (json.dumps({"question": "why", "as_of": 0}).encode(), 422),
        (json.dumps({"question": "nul \u0000 byte"}).encode(), 422),
        (json.dumps([QUESTION]).encode(), 422),
        (b" " * (MAX_BODY_BYTES + 1), 413),
    ]:
        answer = client.post(url, headers=headers | {"Content-Type": "application/json"}, content=body)
        assert answer.status_code == status, (body[:60], answer.status_code, answer.text[:200])
    assert client.post(url, json={"question": QUESTION}).status_code == 401
    assert client.post(f"/api/copilot/{'A' * 129}/messages", headers=headers, json={"question": "x"}).status_code == 422


@pytest.mark.parametrize("question", ["What did their CFO say about pricing on the last call? " * 36, "budget " * 285])
def test_a_long_question_that_searches_what_was_said_is_answered(client: TestClient, book: Book, question: str) -> None:
    # Up to 2,000 characters may be asked; the knowledge-base search reads at most 500 of them.
    assert 500 < len(question) <= 2000
    url = f"/api/copilot/{book.at_risk}/messages"
    answered = client.post(url, headers=bearer(book, book.owner), json={"question": question, "as_of": str(AS_OF)})
    assert answered.status_code == 200, answered.text[:300]
    answer = CopilotAnswer.model_validate(answered.json())
    assert answer.intent == "what_did_they_say" and "could not give an answer" not in answer.answer
    assert {(c.source, c.account) for c in answer.citations} <= {("kb", book.at_risk)}


def test_one_copilot_per_app_opened_by_the_first_question_and_closed_on_shutdown(book: Book) -> None:
    app = doors_app(book)
    holder = app.state.copilot
    with TestClient(app, base_url="https://testserver") as client:
        assert not holder.opened
        url = f"/api/copilot/{book.at_risk}/messages"
        for _ in range(2):
            assert client.post(url, headers=bearer(book, book.owner), json={"question": QUESTION}).status_code == 200
        first = holder.get()
        assert holder.get() is first
    assert not holder.opened


def test_both_backends_answer_with_cited_sources(engine, database_url, tmp_path) -> None:
    """SQLite and Postgres alike: the copilot's checkpoints live in the database's backend, closed on shutdown."""
    people = book_with_people(engine)
    score_book(engine, ScoringConfig.load(), AS_OF)
    csm = people["csm"]
    owned = account_ids(engine, owner=csm.email)[0]
    with engine.connect() as conn:
        account = conn.execute(select(ACCOUNT.c.external_id).where(ACCOUNT.c.id == owned)).scalar_one()
    settings = Settings(database_url=database_url, data_dir=tmp_path)
    app = create_app(settings, engine=engine, policy=POLICY, clock=lambda: NOW)
    with TestClient(app, base_url="https://testserver") as client:
        token = {"Authorization": f"Bearer {token_for(engine, csm)}"}
        # an id the database could not even compare is an account that does not exist, on every door
        chat = {"model": "watchtower-copilot:ACC-\u0000", "messages": [{"role": "user", "content": "why"}]}
        assert client.post("/v1/chat/completions", headers=token, json=chat).status_code == 404
        assert client.get("/v1/models/watchtower-copilot:ACC-%00", headers=token).status_code == 404
        chat = {"model": f"watchtower-copilot:{account}", "messages": [{"role": "user", "content": "why \u0000"}]}
        assert client.post("/v1/chat/completions", headers=token, json=chat).status_code == 400
        assert client.post("/api/copilot/ACC-%00/messages", headers=token, json={"question": "x"}).status_code == 422
        answered = client.post(
            f"/api/copilot/{account}/messages",
            headers={"Authorization": f"Bearer {token_for(engine, csm)}"},
            json={"question": QUESTION, "as_of": str(AS_OF)},
        )
    assert answered.status_code == 200, answered.text
    assert_cited_verbatim(engine, CopilotAnswer.model_validate(answered.json()), account, owned)
