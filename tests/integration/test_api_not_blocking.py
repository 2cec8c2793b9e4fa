"""A decision stuck behind a database lock holds one worker thread, never the server's event loop.

Another connection takes the write lock (SQLite) or the approval's row lock
(Postgres); a decision is posted and the test waits until it has reached the
statement that waits on that lock. Health, the JSON queue and the web queue
page must then all be answered while the decision is still waiting; only after
that is the lock released and the decision completes. The checks are on order
and completion, never on how long anything took. A handler that ran the
decision on the event loop would answer nothing until the lock was gone.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from contextlib import contextmanager
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, event, make_url, select

from api.app import create_app
from approvals.queue import APPROVAL
from core.db import make_engine
from core.settings import Settings
from tests.integration.api_support import serving, web_login
from tests.integration.approval_support import NOW, POLICY, account_ids, book_with_people, propose, token_for

#: Only a guard against a hung run: the order of completion is what the test checks.
HANG_GUARD = 180


def _waits_on_lock(statement: str) -> bool:
    """The decision's first statement that has to wait for the other connection's lock, on either backend."""
    words = " ".join(statement.split()).upper()
    return words.startswith("UPDATE APPROVAL ") or (
        words.startswith("SELECT") and " FROM APPROVAL" in words and words.endswith("FOR UPDATE")
    )


@contextmanager
def lock_held(database_url: str, approval_id: int) -> Iterator[None]:
    """SQLite: the database's write lock. Postgres: the approval row's lock. Released on exit."""
    if database_url.startswith("sqlite"):
        holder = sqlite3.connect(make_url(database_url).database, isolation_level=None)
        try:
            holder.execute("BEGIN IMMEDIATE")
            yield
            holder.execute("ROLLBACK")
        finally:
            holder.close()
        return
    other = make_engine(database_url)
    try:
        with other.connect() as conn:
            conn.execute(select(APPROVAL.c.id).where(APPROVAL.c.id == approval_id).with_for_update())
            yield
            conn.rollback()
    finally:
        other.dispose()


@contextmanager
def reaching_the_lock(engine: Engine) -> Iterator[threading.Event]:
    reached = threading.Event()

    def before(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if _waits_on_lock(statement):
            reached.set()

    event.listen(engine, "before_cursor_execute", before)
    try:
        yield reached
    finally:
        event.remove(engine, "before_cursor_execute", before)


@pytest.mark.parametrize("door", ["web form", "JSON API"])
def test_a_decision_waiting_on_a_lock_does_not_stall_other_requests(door, engine, database_url):
    people = book_with_people(engine)
    offer = propose(engine, account_ids(engine)[0], {"discount_pct": 5}, by=people["ae"])
    # plain http on loopback, as `watchtower web` serves it there: development cookies
    app = create_app(
        Settings(database_url=database_url, cookie_secure=False), engine=engine, policy=POLICY, clock=lambda: NOW
    )
    with (
        serving(app) as base,
        httpx.Client(base_url=base, timeout=HANG_GUARD) as decider,
        httpx.Client(base_url=base, timeout=HANG_GUARD) as reader,
    ):
        finance = {"Authorization": f"Bearer {token_for(engine, people['finance'])}"}
        assert reader.get("/api/approvals", headers=finance).status_code == 200  # the token's first use is a write
        web_login(reader, "finance")
        decide = _decision(door, decider, engine, people, offer.approval_id)

        def others() -> list[int]:
            return [
                reader.get("/health").status_code,
                reader.get("/api/approvals", headers=finance).status_code,
                reader.get("/approvals").status_code,
            ]

        with ThreadPoolExecutor(max_workers=2) as pool, reaching_the_lock(engine) as reached:
            with lock_held(database_url, offer.approval_id):
                decision = pool.submit(decide)
                assert reached.wait(HANG_GUARD), "the decision never reached the statement that waits on the lock"
                served = pool.submit(others)
                done, _ = wait([decision, served], timeout=HANG_GUARD, return_when=FIRST_COMPLETED)
                assert served in done, "health and the queues were not answered while a decision waited on a lock"
                assert not decision.done(), "the decision finished before the lock it waits on was released"
                assert served.result() == [200, 200, 200]
            answer = decision.result(timeout=HANG_GUARD)
    assert answer.status_code in (200, 303), answer.text
    with engine.connect() as conn:
        status = conn.execute(select(APPROVAL.c.status).where(APPROVAL.c.id == offer.approval_id)).scalar_one()
    assert status == "approved"


def _decision(
    door: str, client: httpx.Client, engine: Engine, people: dict[str, Any], approval_id: int
) -> Callable[[], httpx.Response]:
    """A call that posts the CS manager's approval through ``door``, signed in beforehand."""
    if door == "JSON API":
        headers = {"Authorization": f"Bearer {token_for(engine, people['cs_manager'])}"}
        assert client.get("/api/approvals", headers=headers).status_code == 200
        body = {"decision": "approve", "reason": "within my guidance"}
        return lambda: client.post(f"/api/approvals/{approval_id}/decision", headers=headers, json=body)
    csrf = web_login(client, "cs-manager")
    form = {"decision": "approve", "reason": "within my guidance", "csrf": csrf}
    return lambda: client.post(f"/approvals/{approval_id}/decision", data=form)
