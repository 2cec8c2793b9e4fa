"""The MCP door driven by the ``mcp`` package's own client: ``watchtower mcp`` over stdio, and ``/mcp`` over
streamable HTTP on the app served by uvicorn. The same checks run over both transports."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Any

import anyio
import httpx
import httpx2
import pytest
from fastapi.testclient import TestClient
from mcp import Client
from mcp.client.stdio import StdioServerParameters
from mcp.client.streamable_http import streamable_http_client
from sqlalchemy import func, select
from typer.testing import CliRunner

from agents.copilot.schema import CopilotAnswer
from api.mcp_tools import ACCOUNT_TOOLS, NOT_REACHABLE
from approvals.queue import APPROVAL, OFFER
from cli.main import app
from tests.integration.api_support import serving
from tests.integration.approval_support import token_for
from tests.integration.copilot_doors_support import QUESTION, assert_cited_verbatim, doors_app
from tests.integration.copilot_support import AS_OF, Book, seeded_book

WATCHTOWER = str(Path(sys.executable).with_name("watchtower"))
Connect = Callable[[], AbstractAsyncContextManager[Client]]


@pytest.fixture(scope="module")
def book(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Book]:
    made = seeded_book(tmp_path_factory.mktemp("copilot-mcp"))
    yield made
    made.engine.dispose()


@pytest.fixture(scope="module")
def base(book: Book) -> Iterator[str]:
    with serving(doors_app(book, cookie_secure=False)) as url:
        yield url


def _stdio(book: Book, *args: str, **env: str) -> StdioServerParameters:
    return StdioServerParameters(
        command=WATCHTOWER,
        args=["--database-url", book.database_url, "mcp", *args],
        env={"WATCHTOWER_DATA_DIR": str(book.data_dir), "WATCHTOWER_CONFIG_DIR": os.environ["WATCHTOWER_CONFIG_DIR"]}
        | env,
    )


@pytest.fixture(params=["stdio", "http"])
def connect(request: pytest.FixtureRequest, book: Book) -> Connect:
    """How to reach the MCP server as the owner of the at-risk account, over one transport."""
    if request.param == "stdio":
        server = _stdio(book, "--as", book.owner.username)
        return lambda: Client(server, read_timeout_seconds=120)
    base = request.getfixturevalue("base")
    token = token_for(book.engine, book.owner)

    @asynccontextmanager
    async def over_http() -> AsyncIterator[Client]:
        headers = {"Authorization": f"Bearer {token}"}
        async with (
            httpx2.AsyncClient(headers=headers, timeout=120) as http,
            Client(streamable_http_client(f"{base}/mcp", http_client=http)) as client,
        ):
            yield client

    return over_http


def _run(connect: Connect, calls: Callable[[Client], Any]) -> Any:
    async def main() -> Any:
        async with connect() as client:
            return await calls(client)

    return anyio.run(main)


def _refusal(tool: str, account: str) -> str:
    """The whole of what a refused call answers: the SDK's prefix and the sentence an absent account gets."""
    return f"Error executing tool {tool}: {NOT_REACHABLE.format(account=account)}"


def _pending(book: Book) -> int:
    with book.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(APPROVAL).where(APPROVAL.c.status == "pending")).scalar()


def test_the_tools_are_the_read_tools_ask_and_propose(connect: Connect) -> None:
    async def names(client: Client) -> list[str]:
        return [tool.name for tool in (await client.list_tools()).tools]

    listed = _run(connect, names)
    assert sorted(listed) == sorted([*ACCOUNT_TOOLS, "ask_copilot", "propose_offer"])


def test_a_read_tool_reads_the_account_and_refuses_another_csms(connect: Connect, book: Book) -> None:
    async def calls(client: Client) -> tuple[Any, ...]:
        own = await client.call_tool("scorecard", {"account": book.at_risk, "as_of": str(AS_OF)})
        before = await client.call_tool("scorecard", {"account": book.at_risk, "as_of": "2020-01-01"})
        foreign = await client.call_tool("scorecard", {"account": book.foreign})
        missing = await client.call_tool("open_alerts", {"account": "ACC-99999"})
        asked = await client.call_tool("ask_copilot", {"account": book.at_risk, "question": QUESTION})
        asked_foreign = await client.call_tool("ask_copilot", {"account": book.foreign, "question": QUESTION})
        return own, before, foreign, missing, asked, asked_foreign

    own, before, foreign, missing, asked, asked_foreign = _run(connect, calls)
    assert not own.is_error
    card = json.loads(own.content[0].text)
    assert card["account"]["external_id"] == book.at_risk and card["band"] in ("Orange", "Red")
    assert card["as_of"] == str(AS_OF) and json.loads(before.content[0].text)["band"] is None  # not scored yet
    for refused, tool, account in (
        (foreign, "scorecard", book.foreign),
        (missing, "open_alerts", "ACC-99999"),
        (asked_foreign, "ask_copilot", book.foreign),
    ):
        assert refused.is_error and refused.structured_content is None
        assert [c.text for c in refused.content] == [_refusal(tool, account)]
    answer = CopilotAnswer.model_validate_json(asked.content[0].text)
    assert_cited_verbatim(book.engine, answer, book.at_risk, book.at_risk_id)


def test_propose_offer_creates_exactly_one_pending_approval_and_settles_nothing(connect: Connect, book: Book) -> None:
    before = _pending(book)
    terms = {"discount_pct": 8}

    async def calls(client: Client) -> tuple[Any, ...]:
        made = await client.call_tool(
            "propose_offer",
            {"account": book.at_risk, "kind": "discount", "terms": terms, "rationale": "usage halved; keep them"},
        )
        foreign = await client.call_tool(
            "propose_offer", {"account": book.foreign, "kind": "discount", "terms": terms, "rationale": "x"}
        )
        return made, foreign

    made, foreign = _run(connect, calls)
    assert not made.is_error, made.content
    submitted = json.loads(made.content[0].text)
    assert submitted["status"] == "pending"
    assert foreign.is_error and [c.text for c in foreign.content] == [_refusal("propose_offer", book.foreign)]
    assert _pending(book) == before + 1
    with book.engine.connect() as conn:
        offer = conn.execute(select(OFFER).where(OFFER.c.id == submitted["offer_id"])).mappings().one()
        approval = conn.execute(select(APPROVAL).where(APPROVAL.c.offer_id == offer["id"])).mappings().one()
    assert offer["account_id"] == book.at_risk_id and offer["status"] == "proposed"
    assert offer["requester"] == book.owner.username and approval["status"] == "pending"


def test_http_without_a_live_token_is_a_401(base: str) -> None:
    body = {"jsonrpc": "2.0", "id": 1, "method": "tools/list"}
    with httpx.Client(base_url=base, timeout=30) as http:
        for headers in ({}, {"Authorization": "Bearer wt_not-a-token"}):
            assert http.post("/mcp", json=body, headers=headers).status_code == 401
            assert http.get("/mcp", headers=headers).status_code == 401


def test_stdio_takes_the_person_from_a_token_and_refuses_to_start_without_one(book: Book) -> None:
    server = _stdio(book, WATCHTOWER_TOKEN=token_for(book.engine, book.owner))

    async def calls(client: Client) -> tuple[Any, Any]:
        own = await client.call_tool("open_alerts", {"account": book.at_risk})
        return own, await client.call_tool("open_alerts", {"account": book.foreign})

    own, foreign = _run(lambda: Client(server, read_timeout_seconds=120), calls)
    assert not own.is_error and foreign.is_error
    for args, env in [((), {}), ((), {"WATCHTOWER_TOKEN": "wt_not-a-token"}), (("--as", "nobody"), {})]:
        done = CliRunner().invoke(app, ["--database-url", book.database_url, "mcp", *args], env=env)
        assert done.exit_code == 1 and "error" in done.output, (args, done.output)


def test_the_same_app_serves_mcp_again_after_a_restart(book: Book) -> None:
    app = doors_app(book)
    headers = {
        "Authorization": f"Bearer {token_for(book.engine, book.owner)}",
        "Accept": "application/json, text/event-stream",
    }
    hello = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "initialize",
        "params": {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}},
    }
    for _ in range(2):
        with TestClient(app, base_url="https://testserver") as client:
            answer = client.post("/mcp", json=hello, headers=headers)
            assert answer.status_code == 200 and answer.json()["result"]["serverInfo"]["name"] == "watchtower"
    assert TestClient(app, base_url="https://testserver").post("/mcp", json=hello, headers=headers).status_code == 503
