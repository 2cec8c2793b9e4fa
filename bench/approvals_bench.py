"""Approvals figures: routing offers into the queue, reading the queue, and deciding every chain over HTTP.

For each backend: N offers with a mix of terms (each kind of chain the default policy builds) are proposed
in process; then the queue endpoint is read as finance; then a real `watchtower web` server takes every
decision every chain needs, from several client threads at once, each decision by a person of the right
role. Agent runs that pause at an approval and resume after it are timed on their own.
"""

from __future__ import annotations

import argparse
import statistics
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from agents.resume import resume_settled, start_offer_run
from api.child_process import running_server
from approvals.decisions import DECISION, decide
from approvals.policy import load_policy
from approvals.queue import ACCOUNT, APPROVAL, Actor, submit
from bench.cycle_bench import bench_database, drop_bench_schema
from core.db import make_engine
from core.identity import add_user, create_token
from core.schema import upgrade
from sources.synthetic.generator import AccountGenerator, BookSpec
from sources.synthetic.writer import seed_book

AS_OF = date(2026, 11, 22)
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
TERMS: list[tuple[str, dict[str, Any]]] = [
    ("discount", {"discount_pct": 5}),  # CS manager
    ("discount", {"discount_pct": 15}),  # finance
    ("discount", {"discount_pct": 25}),  # finance, then CRO
    ("payment_terms", {"payment_terms_days": 90}),  # legal
    ("term_change", {"term_months": 36, "discount_pct": 8}),  # CS manager and finance
]
PEOPLE = {"cs_manager": 6, "finance": 4, "cro": 2, "legal": 2}


def _ms(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[int(q) - 1] * 1000 if len(values) > 1 else values[0] * 1000


def bench(backend: str, offers: int, threads: int, agent_runs: int) -> None:
    url, schema = bench_database(backend, offers)
    if backend == "sqlite":
        database = Path(make_url(url).database or "")
        for path in (database, database.with_name(database.stem + ".checkpoints.db")):
            path.unlink(missing_ok=True)
    engine = make_engine(url)
    upgrade(engine)
    policy = load_policy()
    try:
        seed_book(engine, AccountGenerator(BookSpec(accounts=offers, seed=11, as_of=AS_OF, weeks=4)), labels_dir=None)
        with engine.begin() as conn:
            account_ids = list(conn.execute(select(ACCOUNT.c.id).order_by(ACCOUNT.c.id)).scalars())
            requester = add_user(conn, username="ae", role="ae", now=NOW)
            tokens: dict[str, list[str]] = {}
            for role, count in PEOPLE.items():
                for n in range(count):
                    user = add_user(conn, username=f"{role}-{n}", role=role, now=NOW)
                    tokens.setdefault(role, []).append(create_token(conn, user, name="bench", now=NOW)[0])

        started = time.perf_counter()
        for n, account_id in enumerate(account_ids[:offers]):
            kind, terms = TERMS[n % len(TERMS)]
            with engine.begin() as conn:
                submit(
                    conn,
                    policy,
                    account_id=account_id,
                    kind=kind,
                    terms=terms,
                    requester=Actor("ae", "person", "ae", requester.id),
                    rationale="bench",
                    evidence=[],
                    now=NOW,
                )
        routed = time.perf_counter() - started
        with engine.connect() as conn:
            approval_ids = list(conn.execute(select(APPROVAL.c.id).order_by(APPROVAL.c.id)).scalars())

        with running_server(url) as base, httpx.Client(base_url=base, timeout=120) as client:
            finance = {"Authorization": f"Bearer {tokens['finance'][0]}"}
            reads = []
            for _ in range(20):
                t0 = time.perf_counter()
                page = client.get("/api/approvals", headers=finance, params={"role": "finance", "limit": 50})
                reads.append(time.perf_counter() - t0)
                page.raise_for_status()

            latencies: list[float] = []
            conflicts = 0

            def walk(index: int) -> None:
                nonlocal conflicts
                approval_id = approval_ids[index]
                while True:
                    detail = client.get(f"/api/approvals/{approval_id}", headers=finance).json()
                    if detail["status"] != "pending":
                        return
                    group = detail["waiting_for"][0]
                    role = group["roles"][0]
                    token = tokens[role][index % len(tokens[role])]
                    t0 = time.perf_counter()
                    answer = client.post(
                        f"/api/approvals/{approval_id}/decision",
                        headers={"Authorization": f"Bearer {token}"},
                        json={"decision": "approve", "reason": "bench", "version": detail["version"]},
                    )
                    latencies.append(time.perf_counter() - t0)
                    if answer.status_code == 409:
                        conflicts += 1
                    elif answer.status_code != 200:
                        raise RuntimeError(answer.text)

            started = time.perf_counter()
            with ThreadPoolExecutor(max_workers=threads) as pool:
                list(pool.map(walk, range(len(approval_ids))))
            deciding = time.perf_counter() - started

        with engine.connect() as conn:
            approved = conn.execute(
                select(func.count()).select_from(APPROVAL).where(APPROVAL.c.status == "approved")
            ).scalar_one()
            decisions = conn.execute(select(func.count()).select_from(DECISION)).scalar_one()

        started = time.perf_counter()
        for account_id in account_ids[:agent_runs]:
            start_offer_run(
                engine,
                url,
                policy,
                {
                    "account_id": account_id,
                    "kind": "discount",
                    "terms": {"discount_pct": 4},
                    "rationale": "b",
                    "agent": "financial",
                },
            )
        paused = time.perf_counter() - started
        with engine.begin() as conn:
            manager = add_user(conn, username="resumer", role="cs_manager", now=NOW)
            pending = list(
                conn.execute(
                    select(APPROVAL.c.id).where(APPROVAL.c.status == "pending").order_by(APPROVAL.c.id)
                ).scalars()
            )
        for approval_id in pending:
            with engine.begin() as conn:
                decide(
                    conn,
                    policy,
                    approval_id,
                    Actor("resumer", "person", "cs_manager", manager.id),
                    {"decision": "approve", "reason": "b"},
                    now=NOW,
                )
        started = time.perf_counter()
        resumed = resume_settled(engine, url, policy, now=NOW)
        resuming = time.perf_counter() - started

        print(
            f"{backend:8} {offers:6} offers: routed {routed / offers * 1000:6.2f} ms/offer | queue page p50 "
            f"{_ms(reads, 50):6.1f} ms | {decisions} decisions over HTTP ({threads} threads) in {deciding:6.1f}s = "
            f"{decisions / deciding:6.1f}/s, p50 {_ms(latencies, 50):6.1f} ms, p95 {_ms(latencies, 95):6.1f} ms, "
            f"{conflicts} conflicts; {approved} approved"
        )
        print(
            f"{backend:8} {agent_runs:6} agent runs: start and pause {paused / agent_runs * 1000:6.1f} ms/run | "
            f"resume {resuming / max(1, len(resumed)) * 1000:6.1f} ms/run ({len(resumed)} resumed)"
        )
    finally:
        engine.dispose()
        drop_bench_schema(schema)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--offers", type=int, default=1000)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--agent-runs", type=int, default=100)
    parser.add_argument("--backends", nargs="+", default=["sqlite", "postgres"])
    args = parser.parse_args()
    for backend in args.backends:
        bench(backend, args.offers, args.threads, args.agent_runs)


if __name__ == "__main__":
    main()
