"""A weekly cycle waiting on a slow model holds no transaction: an approval decided meanwhile is accepted.

The chat model is a LangChain chat model built here whose first answer to one
kind of step (a watchtower reading a text, or the play engine polishing a
draft) waits until the test has decided an approval in another thread. On
SQLite (rollback journal) a cycle holding its write lock across the call would
make the decision wait out the busy timeout and fail with "database is
locked"; on Postgres the cycle's connections must not sit idle in a transaction.
"""

from __future__ import annotations

import gc
import json
import queue
import threading
import uuid
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, time, timedelta
from typing import Any

import pytest
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from pydantic import PrivateAttr
from sqlalchemy import func, select, text, update
from sqlalchemy.engine import Engine, make_url

from actions.outbox import approve as approve_message
from actions.play_steps import make_play_engine
from agents.cycle import run_cycle, write_chunk
from agents.persist import Review
from agents.state import AlertCandidate, WatchtowerResult
from approvals.decisions import Outcome, decide
from approvals.queue import APPROVAL
from core.db import make_engine
from core.models import AgentOutput, AgentRun, Alert, Artifact, Contact, LlmCacheEntry, OutboxMessage
from core.schema import upgrade
from llm.cache import DatabaseLlmCache
from llm.factory import build_reader
from playbooks.play_engine import load_play_configs
from tests.integration.approval_support import NOW, POLICY, account_ids, actor, book_with_people, propose
from tests.integration.helpers import AS_OF
from tests.integration.watchtower_support import cycle, run

#: What the model answers, by the schema the reader asks for: valid and empty, so nothing falls back.
ANSWERS = {
    "InteractionReading": {"statements": [], "cancel_intent": False},
    "NewsReading": {"movement": "none", "person": None, "new_company": None, "quote": ""},
    "Draft": {"subject": "Hello", "body": "Hello"},
}
#: Only a guard against a hung test; nothing here is timed.
HANG_GUARD_SECONDS = 300


class FirstAnswerWaits(BaseChatModel):
    """Answers at once, except the first question for the schema ``waits_on``, which waits for ``release``."""

    waits_on: str
    _asked: queue.Queue = PrivateAttr()
    _release: threading.Event = PrivateAttr(default_factory=threading.Event)
    _waited: bool = PrivateAttr(default=False)

    def __init__(self, asked: queue.Queue, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._asked = asked

    @property
    def _llm_type(self) -> str:
        return "first-answer-waits"

    def release(self) -> None:
        self._release.set()

    def _generate(self, messages: list[BaseMessage], stop: Any = None, run_manager: Any = None, **kwargs: Any):
        schema = kwargs["response_format"]["json_schema"]["name"]
        if schema == self.waits_on and not self._waited:
            self._waited = True
            self._asked.put("asked")
            self._release.wait()
        return ChatResult(generations=[ChatGeneration(message=AIMessage(json.dumps(ANSWERS[schema])))])


def _tagged(database_url: str, tag: str) -> str:
    """The same database, with connections Postgres can tell apart from other tests' in pg_stat_activity."""
    if not database_url.startswith("postgresql"):
        return database_url
    return make_url(database_url).update_query_dict({"application_name": tag}).render_as_string(hide_password=False)


def _idle_in_transaction(engine: Engine, tag: str) -> list[str]:
    with engine.connect() as conn:
        return list(
            conn.execute(
                text("SELECT state FROM pg_stat_activity WHERE application_name = :tag AND state LIKE 'idle in%'"),
                {"tag": tag},
            ).scalars()
        )


@pytest.mark.parametrize(
    "waits_on",
    [
        pytest.param("InteractionReading", id="watchtower-reading"),
        pytest.param("Draft", id="play-draft-polish"),
    ],
)
def test_a_decision_made_while_the_cycle_waits_on_the_model_is_accepted(database_url: str, waits_on: str) -> None:
    tag = f"cycle-{uuid.uuid4().hex[:12]}"
    engine = make_engine(_tagged(database_url, tag))
    upgrade(engine)
    people = book_with_people(engine, accounts=8)  # its plays draft a customer email and three documents
    pending = propose(engine, account_ids(engine)[0], {"discount_pct": 5}, by=people["csm"])
    events: queue.Queue[str] = queue.Queue()
    model = FirstAnswerWaits(events, waits_on=waits_on)
    ctx = cycle(engine, database_url, AS_OF, plays=False)
    ctx.model = model
    playbook, forecast = load_play_configs()
    reader = build_reader(ctx.settings, model, stats=ctx.stats)
    ctx.plays = make_play_engine(playbook, forecast, now=datetime.combine(AS_OF, time(9), tzinfo=UTC), reader=reader)
    outcome: dict[str, Any] = {}

    def run_the_cycle() -> None:
        try:
            outcome["cycle"] = run_cycle(ctx, {"as_of": AS_OF, "trigger": "test"})
        finally:
            events.put("cycle ended")

    worker = threading.Thread(target=run_the_cycle, daemon=True)
    worker.start()
    try:
        assert events.get(timeout=HANG_GUARD_SECONDS) == "asked", "the cycle ended without asking the model"
        if engine.dialect.name == "postgresql":
            assert _idle_in_transaction(engine, tag) == [], "a transaction is held open while the model is asked"
        with engine.begin() as conn:
            decided: Outcome = decide(
                conn,
                POLICY,
                pending.approval_id,
                actor(people["cs_manager"]),
                {"decision": "approve", "reason": "fine while the cycle runs"},
                now=NOW + timedelta(minutes=5),
            )
        if waits_on == "Draft":  # the drafts are in; a person approves the email as drafted before it is polished
            with engine.begin() as conn:
                email_id, drafted_body = conn.execute(
                    select(OutboxMessage.id, OutboxMessage.body).where(OutboxMessage.audience == "customer")
                ).one()
                approve_message(conn, email_id, by="cs-manager", now=NOW + timedelta(minutes=6))
    finally:
        model.release()
        worker.join(HANG_GUARD_SECONDS)
    assert decided.status == "approved"
    assert outcome["cycle"]["status"] == "succeeded"
    with engine.connect() as conn:
        assert conn.execute(select(APPROVAL.c.status).where(APPROVAL.c.id == pending.approval_id)).scalar_one() == (
            "approved"
        )
        outputs = conn.execute(select(func.count()).select_from(AgentOutput)).scalar_one()
        run = conn.execute(select(AgentRun.llm_calls, AgentRun.status)).one()
        cached = conn.execute(select(func.count()).select_from(LlmCacheEntry)).scalar_one()
        email = conn.execute(
            select(OutboxMessage.produced_by, OutboxMessage.body, OutboxMessage.status).where(
                OutboxMessage.audience == "customer"
            )
        ).one()
        documents = conn.execute(select(Artifact.produced_by)).scalars().all()
    assert outputs == 4 * 8
    assert run.status == "succeeded" and run.llm_calls > 0 and cached > 0
    assert documents and set(documents) == {"llm"}
    if waits_on == "Draft":  # what the person approved stays exactly as they saw it
        assert (email.produced_by, email.body, email.status) == ("deterministic", drafted_body, "approved")
    else:
        assert (email.produced_by, email.status) == ("llm", "drafted")
    engine.dispose()


def test_a_write_refused_for_one_account_skips_that_account_alone(engine: Engine, database_url: str) -> None:
    """The fast path writes a chunk with no per-account statements; when the database refuses the chunk,
    it is written again account by account and only the account whose data cannot be stored is skipped."""
    book_with_people(engine, accounts=3)
    ids = account_ids(engine)
    ctx = cycle(engine, database_url, AS_OF, plays=False)

    def review(account_id: int, detail: dict[str, Any]) -> Review:
        alert = AlertCandidate(kind="risk", type="usage_decline", reason="test", severity="high", title="t")
        result: WatchtowerResult = {
            "produced_by": "deterministic",
            "payload": {"seen": True},
            "alerts": [alert.model_copy(update={"detail": detail})],
        }
        return Review(account_id, {"product_health": result})

    unstorable = {"when": object()}  # no JSON encoder takes it
    with engine.connect() as reads:
        cache = DatabaseLlmCache(reads)
        cache.put("k" * 64, step="read_interaction", model="m", output={"statements": []}, tokens=3)
        counts: Counter[str] = Counter()
        write_chunk(ctx, AS_OF, [review(ids[0], {}), review(ids[1], unstorable), review(ids[2], {})], cache, counts)
    assert counts["accounts_failed"] == 1 and counts["alerts_opened"] == 2
    assert any(note.startswith(f"account {ids[1]} skipped: ") for note in ctx.stats.notes)
    with engine.connect() as conn:
        written = set(conn.execute(select(AgentOutput.account_id)).scalars())
        alerted = set(conn.execute(select(Alert.account_id)).scalars())
        cached = conn.execute(select(func.count()).select_from(LlmCacheEntry)).scalar_one()
    assert written == alerted == {ids[0], ids[2]}
    assert cached == 1


@pytest.fixture
def no_cycle_collector() -> Iterator[None]:
    """Objects kept alive by reference cycles (an exception, its traceback, the frames and their cursors) stay
    alive until the collector runs; with it off, a cursor left half-read by bad data stays open for sure."""
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def test_bad_data_leaves_no_half_read_cursor_behind(
    engine: Engine, database_url: str, no_cycle_collector: None
) -> None:
    """A read that fails on one account's data midway must not keep the statement open: on SQLite an open
    statement holds a shared lock, and the chunk's write would wait out the busy timeout and fail."""
    book_with_people(engine, accounts=6)
    ids = account_ids(engine)
    with engine.begin() as conn:  # roles that are not a list, written around the importer that would refuse them
        conn.execute(update(Contact).where(Contact.account_id == ids[2]).values(roles="champion"))
    _, result = run(engine, database_url, AS_OF, plays=False)
    assert result["status"] == "partial" and result["counts"]["accounts_failed"] == 1
    with engine.connect() as conn:
        reviewed = set(conn.execute(select(AgentOutput.account_id).distinct()).scalars())
    assert reviewed == set(ids) - {ids[2]}
