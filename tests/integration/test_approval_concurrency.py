"""100 decisions at once on 20 offers, over HTTP against a running server on Postgres: one effect per step."""

from __future__ import annotations

from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from sqlalchemy import func, select

from agents.resume import start_offer_run
from api.child_process import running_server
from approvals.decisions import DECISION
from approvals.queue import APPROVAL
from core.audit import AUDIT
from core.db import make_engine
from core.models import OutboxMessage
from core.schema import upgrade
from tests.integration.approval_support import POLICY, account_ids, book_with_people, token_for

OUTBOX = OutboxMessage.__table__  # type: ignore[attr-defined]
OFFERS, DECIDERS = 20, 5


@pytest.mark.postgres
def test_concurrent_decisions_leave_one_effect_per_offer(postgres_schema_url):
    engine = make_engine(postgres_schema_url)
    upgrade(engine)
    people = book_with_people(engine, accounts=OFFERS, extra={"cs_manager": DECIDERS})
    tokens = [token_for(engine, people[f"cs-manager-{n}"]) for n in range(DECIDERS)]
    # Each offer comes from a paused agent run, so "no double effect" covers the resumed run as well.
    paused = [
        start_offer_run(
            engine,
            postgres_schema_url,
            POLICY,
            {
                "account_id": a,
                "kind": "discount",
                "terms": {"discount_pct": 5},
                "rationale": "goodwill",
                "agent": "financial",
            },
        )
        for a in account_ids(engine)
    ]
    assert len(paused) == OFFERS and {p.status for p in paused} == {"pending"}
    jobs = [(p.approval_id, token) for p in paused for token in tokens]  # 100 decisions

    with running_server(postgres_schema_url) as base, httpx.Client(base_url=base, timeout=60) as client:

        def post(job: tuple[int, str]) -> tuple[int, int, str]:
            approval_id, token = job
            response = client.post(
                f"/api/approvals/{approval_id}/decision",
                headers={"Authorization": f"Bearer {token}"},
                json={"decision": "approve", "reason": "fine by me"},
            )
            return approval_id, response.status_code, response.json().get("detail", "")

        with ThreadPoolExecutor(max_workers=25) as pool:
            results = list(pool.map(post, jobs))

    by_offer: dict[int, Counter[int]] = {}
    for approval_id, status, _ in results:
        by_offer.setdefault(approval_id, Counter())[status] += 1
    assert all(c == Counter({200: 1, 409: DECIDERS - 1}) for c in by_offer.values()), by_offer
    assert all("already approved" in detail for _, status, detail in results if status == 409)
    with engine.connect() as conn:
        settled = conn.execute(select(APPROVAL.c.status, APPROVAL.c.version, APPROVAL.c.resumed_at)).all()
        decisions = conn.execute(select(func.count()).select_from(DECISION)).scalar_one()
        settles = conn.execute(select(func.count()).select_from(AUDIT).where(AUDIT.c.action == "settle")).scalar_one()
        resumes = conn.execute(select(func.count()).select_from(AUDIT).where(AUDIT.c.action == "resume")).scalar_one()
        effects = conn.execute(
            select(func.count()).select_from(OUTBOX).where(OUTBOX.c.dedupe_key.like("offer:%:approved"))
        ).scalar_one()
    assert [s.status for s in settled] == ["approved"] * OFFERS
    assert {s.version for s in settled} == {2} and all(s.resumed_at for s in settled)
    assert (decisions, settles, resumes, effects) == (OFFERS, OFFERS, OFFERS, OFFERS)
    engine.dispose()
