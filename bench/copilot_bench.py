"""Deterministic copilot latency on a seeded, scored and indexed book, warm (embedder and vectors loaded).

    watchtower seed --accounts 500 --as-of 2026-11-22 && watchtower run --as-of 2026-11-22 && watchtower kb ingest
    python -m bench.copilot_bench --questions 50 [--as-of 2026-11-22] [--embedder hashed|default]

Asks as a CS manager (every account reachable), cycling through one question per intent over the book's
accounts, each question a full turn: access check, classify, tools, compose, verify, checkpoint. The first
turn (which builds the book's name directory and opens the checkpointer tables) is reported apart.
"""

from __future__ import annotations

import argparse
import statistics
import time
from datetime import UTC, date, datetime

from sqlalchemy import select

from agents.copilot.graph import UNVERIFIED
from agents.copilot.service import Copilot
from core.identity import add_user, find_user
from core.models import Account
from core.settings import Settings
from knowledge_base.open import open_knowledge_base

ACCOUNT = Account.__table__  # type: ignore[attr-defined]
QUESTIONS = (
    "Why is this account at risk?",
    "What did they say about pricing on the last call?",
    "Who is our champion there, and are they still engaged?",
    "Who are the stakeholders?",
    "When do they renew?",
    "Which of my renewals are behind?",
    "How is usage trending?",
    "What alerts are open?",
    "What plays are running?",
    "What offers are pending?",
)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=int, default=50)
    parser.add_argument("--as-of", type=date.fromisoformat, default=date(2026, 11, 22))
    args = parser.parse_args()
    settings = Settings()
    opening = time.perf_counter()
    with open_knowledge_base(settings) as kb, Copilot.open(settings, kb=kb) as copilot:
        opened = time.perf_counter() - opening
        with copilot.engine.begin() as conn:
            user = find_user(conn, "bench-manager") or add_user(
                conn, username="bench-manager", role="cs_manager", now=datetime.now(UTC)
            )
            accounts = list(conn.execute(select(ACCOUNT.c.external_id).order_by(ACCOUNT.c.id)).scalars())
        started = time.perf_counter()
        copilot.ask(user=user, account=accounts[0], question=QUESTIONS[0], as_of=args.as_of)
        first = time.perf_counter() - started
        timings: list[float] = []
        intents: dict[str, int] = {}
        unverified: list[str] = []
        for n in range(args.questions):
            question = QUESTIONS[n % len(QUESTIONS)]
            account = accounts[(n * 37) % len(accounts)]
            started = time.perf_counter()
            answer = copilot.ask(user=user, account=account, question=question, as_of=args.as_of)
            timings.append(time.perf_counter() - started)
            intents[answer.intent or "-"] = intents.get(answer.intent or "-", 0) + 1
            if answer.answer == UNVERIFIED:
                unverified.append(f"{account}: {question}")
    ms = [t * 1000 for t in timings]
    print(f"embedder: {copilot.classifier.embedder.name}; knowledge base: {kb.mode}; accounts: {len(accounts)}")
    print(f"open (embedder loaded, example vectors read or computed): {opened * 1000:.0f} ms")
    print(f"first turn (directory, checkpointer tables): {first * 1000:.0f} ms")
    print(
        f"{len(ms)} warm turns: p50 {statistics.median(ms):.0f} ms, p95 {percentile(ms, 0.95):.0f} ms, "
        f"max {max(ms):.0f} ms"
    )
    print("intents:", ", ".join(f"{k} {v}" for k, v in sorted(intents.items())))
    print(f"answers withheld by the verifier: {len(unverified)}", *unverified, sep="\n  ")


if __name__ == "__main__":
    main()
