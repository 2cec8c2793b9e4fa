"""Our own overhead before the copilot's first streamed token on its model path, against a scripted server.

    watchtower seed --accounts 30 --as-of 2026-11-22 && watchtower run --as-of 2026-11-22
    OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 python -m bench.copilot_stream_bench --questions 30 [--delay 0.2]

A scripted OpenAI-compatible server on loopback (``tests/cassettes/scripted_model.py``, so this runs from a
checkout) answers each turn the way a model reading with tools would: a tool call, then "done", then the final
JSON answer, streamed in small chunks. It waits ``--delay`` seconds before every reply. The time from calling
``Copilot.stream`` to the first ``Draft`` piece, minus those waits (three per turn before the first token), is
what the copilot itself costs: access check, classification, tool reads, prompt building, three HTTP round
trips through the OpenAI client, and parsing the partial JSON. Asked as a CS manager over the book's accounts.
"""

from __future__ import annotations

import argparse
import statistics
import time
from datetime import UTC, date, datetime

from sqlalchemy import select

from agents.copilot.drafts import Draft
from agents.copilot.service import Copilot
from core.identity import add_user, find_user
from core.models import Account, Scorecard
from core.settings import Settings
from tests.cassettes.scripted_model import ScriptedModel, cite_first_source, serving, text, tool_call

ACCOUNT = Account.__table__  # type: ignore[attr-defined]
SCORECARD = Scorecard.__table__  # type: ignore[attr-defined]
#: Replies the server sends before the first token of the answer: the tool call, "done", the answer itself.
REPLIES_BEFORE_FIRST_TOKEN = 3


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def steps() -> list:
    return [tool_call("scorecard"), text("Done."), cite_first_source]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=int, default=30)
    parser.add_argument("--delay", type=float, default=0.2, help="seconds the server waits before each reply")
    parser.add_argument("--as-of", type=date.fromisoformat, default=date(2026, 11, 22))
    args = parser.parse_args()
    script = ScriptedModel(steps(), delay=args.delay)
    overheads: list[float] = []
    produced: dict[str, int] = {}
    with serving(script):
        settings = Settings().model_copy(
            update={"llm_model": "scripted", "llm_base_url": script.base_url, "llm_structured_method": "json_mode"}
        )
        with Copilot.open(settings) as copilot:
            with copilot.engine.begin() as conn:
                user = find_user(conn, "bench-manager") or add_user(
                    conn, username="bench-manager", role="cs_manager", now=datetime.now(UTC)
                )
                # Scored accounts: the scripted answer cites the scorecard the tool returns.
                accounts = list(
                    conn.execute(
                        select(ACCOUNT.c.external_id)
                        .where(ACCOUNT.c.id.in_(select(SCORECARD.c.account_id).where(SCORECARD.c.as_of == args.as_of)))
                        .order_by(ACCOUNT.c.id)
                    ).scalars()
                )
            for n in range(args.questions + 1):
                script.restart(steps())
                started = time.perf_counter()
                first: float | None = None
                for item in copilot.stream(
                    user=user, account=accounts[n % len(accounts)], question="Why is it at risk?", as_of=args.as_of
                ):
                    if first is None and isinstance(item, Draft):
                        first = time.perf_counter() - started
                    if not isinstance(item, Draft | str):
                        produced[item.produced_by] = produced.get(item.produced_by, 0) + 1
                if first is not None and n > 0:  # the first turn opens the checkpointer tables: left out
                    overheads.append((first - REPLIES_BEFORE_FIRST_TOKEN * args.delay) * 1000)
    print(f"turns: {args.questions}; server delay per reply: {args.delay * 1000:.0f} ms; answers: {produced}")
    if overheads:
        print(
            f"overhead before the first token: p50 {statistics.median(overheads):.0f} ms, "
            f"p95 {percentile(overheads, 0.95):.0f} ms, max {max(overheads):.0f} ms"
        )


if __name__ == "__main__":
    main()
