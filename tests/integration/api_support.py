"""For the HTTP suites: the app served by uvicorn in this process, signed-in web clients, routes, drafts.

The server runs in-process (rather than ``api.child_process``) so a test can
watch the very engine the app uses, e.g. to learn that a request has reached a
statement that waits on a lock.
"""

from __future__ import annotations

import html
import re
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

import httpx
import uvicorn
from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy import Engine, insert, select, update
from starlette.routing import BaseRoute

from api.app import create_app
from api.child_process import free_port
from core.audit import record
from core.identity import User
from core.models import OutboxMessage
from core.settings import Settings
from tests.integration.approval_support import NOW, PASSWORD, POLICY, book_with_people, token_for

OUTBOX = OutboxMessage.__table__  # type: ignore[attr-defined]

CSRF = re.compile(r'name="csrf" value="([^"]+)"')
ALERT = re.compile(r'role="alert">(.*?)</div>', re.S)
STATUS = re.compile(r'role="status">(.*?)</div>', re.S)


@contextmanager
def serving(app: FastAPI) -> Iterator[str]:
    """The app on a free local port, served by uvicorn on one event loop, as ``watchtower web`` serves it."""
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=free_port(), log_level="warning"))
    thread = threading.Thread(target=server.run, name="uvicorn", daemon=True)
    thread.start()
    while not server.started:
        if not thread.is_alive():
            raise RuntimeError("uvicorn exited before it started serving")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{server.config.port}"
    finally:
        server.should_exit = True
        thread.join()


def web_login(client: httpx.Client, username: str) -> str:
    """Sign ``client`` in on the web pages; returns the session's CSRF token."""
    client.cookies.clear()
    signed = client.post("/login", data={"username": username, "password": PASSWORD})
    assert signed.status_code in (200, 303), signed.text
    page = client.get("/approvals")
    found = CSRF.search(page.text)
    assert found, f"no CSRF token on the queue page for {username}: {page.status_code}"
    return found.group(1)


def api_routes(routes: Iterable[BaseRoute]) -> Iterator[APIRoute]:
    """Every route of an app, through the routers it includes (FastAPI keeps those as one entry each)."""
    for route in routes:
        included = getattr(route, "original_router", None)
        if included is not None:
            yield from api_routes(included.routes)
        elif isinstance(route, APIRoute):
            yield route


def add_drafts(engine: Engine, account_ids: list[int], count: int) -> list[int]:
    """``count`` customer emails drafted and waiting for a person, spread over the accounts; their ids in order."""
    rows = [
        {
            "account_id": account_ids[n % len(account_ids)],
            "audience": "customer",
            "channel": "email",
            "recipient": f"champion{n}@customer.test",
            "subject": f"Checking in ({n + 1})",
            "body": "Hello",
            "status": "drafted",
            "created_on": NOW.date(),
        }
        for n in range(count)
    ]
    with engine.begin() as conn:
        conn.execute(insert(OUTBOX), rows)
        return list(conn.execute(select(OUTBOX.c.id).order_by(OUTBOX.c.id)).scalars())[-count:]


@contextmanager
def app_with_people(engine: Engine, database_url: str) -> Iterator[tuple[TestClient, dict[str, User]]]:
    """The app on a small book with one user per role, over https so its Secure cookies come back."""
    people = book_with_people(engine)
    app = create_app(Settings(database_url=database_url), engine=engine, policy=POLICY, clock=lambda: NOW)
    with TestClient(app, base_url="https://testserver") as client:
        yield client, people


def bearer(engine: Engine, user: User) -> dict[str, str]:
    return {"Authorization": f"Bearer {token_for(engine, user)}"}


def page_alert(page: str) -> str:
    """A page's error (its role="alert" box), as a person reads it; empty when it shows none."""
    found = ALERT.search(page)
    return html.unescape(found.group(1)) if found else ""


def page_status(page: str) -> str:
    """A page's message, or its error when it shows one instead, so a failed assertion says what went wrong."""
    found = STATUS.search(page)
    return html.unescape(found.group(1)) if found else f"(no message; error: {page_alert(page)!r})"


def hold_draft(engine: Engine, message_id: int, reason: str) -> None:
    """Hold a draft as the quiet-period rule does: the status, and the audited reason the outbox shows."""
    with engine.begin() as conn:
        conn.execute(update(OUTBOX).where(OUTBOX.c.id == message_id).values(status="held"))
        record(
            conn,
            at=NOW,
            actor="play:renewal_timeline",
            actor_kind="play",
            action="hold",
            entity="outbox_message",
            entity_id=message_id,
            reason=reason,
        )
