"""The weekly cycle: run the watchtowers for every account in scope on one as-of date, then refresh scorecards.

start_run -> select_accounts -> review_accounts -> update_scorecards -> update_plays -> update_knowledge_base
-> finish_run

Accounts are reviewed in chunks. For each chunk the graphs run first, reading
through an autocommit connection with no transaction open, so approvals and
other writers go on while a model is being asked; their results and new LLM
answers are buffered and then written in one short transaction. A crash loses
at most the chunk in flight and a re-run redoes it; every write is keyed, so
the re-run adds nothing twice. Bad data in one account (a read the graphs
refuse, or a write the database refuses) skips that account alone and the run
ends "partial", naming it in its notes. The run record says how many LLM calls were made, how many answers came from the
cache and how many steps fell back to rules. Plays then open and advance on
the fresh alerts and scorecards (and forecasts refresh), keyed like every other
write, so a re-run of the same date opens nothing twice. Before a run starts it
marks earlier runs whose process died ``abandoned`` (``agents.run_records``),
and while it runs a heartbeat keeps its own record fresh. Last, the knowledge base takes in the texts that
arrived or changed since the last run (only those: ingestion is incremental), for the accounts reviewed; a
knowledge base that cannot be updated (a vector server down) leaves the run degraded, not failed, since
the copilot still answers from what is indexed.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, Literal, TypedDict

from langchain_core.language_models import BaseChatModel
from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph
from langgraph.runtime import Runtime
from langgraph.types import Command
from sqlalchemy import Engine, insert, or_, select, update
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError, StatementError

from agents import financial, market_intel, product_health, sentiment
from agents.configuration import AGENTS, WatchtowerConfig
from agents.persist import Review, write_reviews
from agents.run_records import PROCESS_STARTED, describe, heartbeat, reap_abandoned, this_process
from agents.state import WatchtowerContext, WatchtowerResult
from core.models import Account, AgentRun
from core.settings import Settings
from knowledge_base.ingest import VectorProgress
from knowledge_base.retrieval import KnowledgeBase
from llm.cache import DatabaseLlmCache
from llm.factory import build_reader
from llm.structured import LlmStats
from playbooks.play_engine import PlayEngine
from playbooks.play_store import churned_with_open_runs
from scorecards.weekly import ScoringConfig, score_book

log = logging.getLogger(__name__)
_RUN = AgentRun.__table__  # type: ignore[attr-defined]

#: Skipped accounts named in the run's notes; the count covers the rest.
MAX_FAILURE_NOTES = 20

GRAPHS: dict[str, Callable[..., CompiledStateGraph]] = {
    "product_health": product_health.build_graph,
    "sentiment": sentiment.build_graph,
    "financial": financial.build_graph,
    "market_intel": market_intel.build_graph,
}


class CycleInput(TypedDict, total=False):
    as_of: date
    agents: list[str]
    #: Limit to these account ids (and/or segments); empty means every active account.
    account_ids: list[int]
    segments: list[str]
    trigger: str


class CycleOutput(TypedDict, total=False):
    run_id: int
    status: str
    accounts: int
    counts: dict[str, Any]
    #: Runs found dead before this one started, one line each ("run 7 abandoned: ...").
    abandoned: list[str]


class CycleState(CycleInput, CycleOutput, total=False):
    selected: list[int]


@dataclass
class CycleContext:
    engine: Engine
    settings: Settings
    config: WatchtowerConfig
    #: None skips the scorecard step (e.g. a run of one agent between weekly cycles).
    scoring: ScoringConfig | None
    model: BaseChatModel | None
    #: None skips plays; the command line and the scheduler always pass one.
    plays: PlayEngine | None = None
    #: Opens the knowledge base the run keeps current; None skips that step.
    knowledge_base: Callable[[], KnowledgeBase] | None = None
    #: Print how embedding goes (a first ingest of a large book takes minutes); the command line sets it.
    knowledge_base_progress: VectorProgress | None = None
    chunk_size: int = 100
    progress: Callable[[int], None] | None = None
    stats: LlmStats = field(default_factory=LlmStats)
    started: float = field(default_factory=time.perf_counter)


def start_run(state: CycleState, runtime: Runtime[CycleContext]) -> dict[str, Any]:
    agents = state.get("agents") or list(AGENTS)
    unknown = sorted(set(agents) - set(AGENTS))
    if unknown:
        raise ValueError(f"unknown agent(s) {', '.join(unknown)}; known: {', '.join(AGENTS)}")
    ctx = runtime.context
    now = datetime.now(UTC)
    abandoned = reap_abandoned(ctx.engine, now=now, stale_after=ctx.config.schedule.run_stale_after)
    with ctx.engine.begin() as conn:
        run_id = conn.execute(
            insert(_RUN)
            .values(
                as_of=state["as_of"],
                trigger=state.get("trigger", "cli"),
                agents=agents,
                scope={"account_ids": state.get("account_ids") or [], "segments": state.get("segments") or []},
                status="running",
                started_at=now,
                last_seen_at=now,
                **this_process(),
                notes=[] if ctx.model is not None else ["no LLM configured: every text step used its rule path"],
            )
            .returning(_RUN.c.id)
        ).scalar_one()
    return {"run_id": run_id, "agents": agents, "abandoned": [describe(a) for a in abandoned]}


def select_accounts(
    state: CycleState, runtime: Runtime[CycleContext]
) -> Command[Literal["review_accounts", "finish_run"]]:
    as_of = state["as_of"]
    query = select(Account.id).where(or_(Account.churned_on.is_(None), Account.churned_on > as_of)).order_by(Account.id)
    if state.get("account_ids"):
        query = query.where(Account.id.in_(state["account_ids"]))
    if state.get("segments"):
        query = query.where(Account.segment.in_(state["segments"]))
    with runtime.context.engine.connect() as conn:
        selected = list(conn.execute(query).scalars())
    return Command(goto="review_accounts" if selected else "finish_run", update={"selected": selected})


def review_accounts(state: CycleState, runtime: Runtime[CycleContext]) -> dict[str, Any]:
    ctx = runtime.context
    as_of = state["as_of"]
    graphs = {name: GRAPHS[name]() for name in state["agents"]}
    counts: Counter[str] = Counter()
    ids = state["selected"]
    # The graphs read through an autocommit connection: each read is its own statement and nothing stays
    # open while a model is asked (on Postgres no idle transaction; on SQLite, in rollback-journal mode,
    # no shared lock that would keep a writer such as an approval decision from committing).
    with ctx.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as reads:
        for start in range(0, len(ids), ctx.chunk_size):
            chunk = ids[start : start + ctx.chunk_size]
            cache = DatabaseLlmCache(reads)
            reader = build_reader(ctx.settings, ctx.model, stats=ctx.stats, cache=cache)
            wctx = WatchtowerContext(conn=reads, config=ctx.config, reader=reader)
            reviews: list[Review] = []
            for account_id in chunk:
                try:
                    reviews.append(_review_one(graphs, wctx, account_id, as_of))
                except (ValueError, LookupError, TypeError) as exc:
                    _skipped(ctx, counts, account_id, exc)
            write_chunk(ctx, as_of, reviews, cache, counts)
            if ctx.progress is not None:
                ctx.progress(len(chunk))
    return {"counts": dict(counts), "accounts": len(ids)}


def _review_one(graphs: dict[str, CompiledStateGraph], wctx: WatchtowerContext, account_id: int, as_of: date) -> Review:
    results: dict[str, WatchtowerResult] = {}
    for name, graph in graphs.items():
        results[name] = graph.invoke({"account_id": account_id, "as_of": as_of}, context=wctx)
    return Review(account_id, results)


def write_chunk(
    ctx: CycleContext, as_of: date, reviews: list[Review], cache: DatabaseLlmCache, counts: Counter[str]
) -> None:
    """Write a chunk's reviews and new LLM answers in one short transaction.

    If the chunk is refused, it is written again one account at a time, each in a savepoint, so bad data
    in one account rolls back that account alone; the fast path has no per-account statements.
    """
    written: Counter[str]
    try:
        with ctx.engine.begin() as conn:
            written = write_reviews(conn, as_of=as_of, reviews=reviews)
            cache.flush(conn)
    except (StatementError, ValueError, TypeError) as exc:
        if not _refused_by_data(exc):
            raise  # the database itself failed (unavailable, locked): the run fails and says so
        log.warning("chunk of %d accounts refused (%s); writing them one at a time", len(reviews), exc)
        written = Counter()
        with ctx.engine.begin() as conn:
            cache.flush(conn)
            for review in reviews:
                try:
                    with conn.begin_nested():
                        written.update(write_reviews(conn, as_of=as_of, reviews=[review]))
                except (StatementError, ValueError, TypeError) as one:
                    if not _refused_by_data(one):
                        raise
                    _skipped(ctx, counts, review.account_id, one)
    counts.update(written)


def _refused_by_data(exc: BaseException) -> bool:
    """A write one account's data made fail (a constraint, a value the column or JSON cannot take), as opposed
    to the database failing (unavailable, locked), which fails the run."""
    if isinstance(exc, DBAPIError):
        return isinstance(exc, IntegrityError | DataError)
    return isinstance(exc, StatementError | ValueError | TypeError)


def _skipped(ctx: CycleContext, counts: Counter[str], account_id: int, exc: BaseException) -> None:
    counts["accounts_failed"] += 1
    message = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    log.warning("account %s skipped: %s: %s", account_id, type(exc).__name__, message)
    if counts["accounts_failed"] <= MAX_FAILURE_NOTES:
        ctx.stats.note(f"account {account_id} skipped: {type(exc).__name__}: {message}")


def update_scorecards(state: CycleState, runtime: Runtime[CycleContext]) -> dict[str, Any]:
    ctx = runtime.context
    if ctx.scoring is None:
        return {}
    scored = score_book(ctx.engine, ctx.scoring, state["as_of"], account_ids=state["selected"])
    return {"counts": {**state.get("counts", {}), "scorecards": scored.accounts}}


def update_plays(state: CycleState, runtime: Runtime[CycleContext]) -> dict[str, Any]:
    ctx = runtime.context
    if ctx.plays is None:
        return {}
    with ctx.engine.connect() as conn:
        gone = churned_with_open_runs(conn, state["as_of"])  # not reviewed any more, but their runs must close
    scope = sorted(set(state["selected"]) | set(gone))
    played = ctx.plays.run(ctx.engine, state["as_of"], account_ids=scope)
    for failure in ctx.plays.failures[:MAX_FAILURE_NOTES]:
        ctx.stats.note(failure)
    return {"counts": {**state.get("counts", {}), **{f"plays.{k}": v for k, v in sorted(played.items())}}}


def update_knowledge_base(state: CycleState, runtime: Runtime[CycleContext]) -> dict[str, Any]:
    ctx = runtime.context
    if ctx.knowledge_base is None:
        return {}
    whole_book = not state.get("account_ids") and not state.get("segments")
    try:
        with ctx.knowledge_base() as kb, ctx.engine.connect() as conn:
            report = kb.ingest_book(
                conn, account_ids=None if whole_book else state["selected"], progress=ctx.knowledge_base_progress
            )
    except Exception as error:  # noqa: BLE001 - any store failure degrades the run, it never fails it
        log.warning("knowledge base not updated: %s: %s", type(error).__name__, error)
        ctx.stats.note(f"knowledge base not updated: {type(error).__name__}: {str(error)[:200]}")
        return {"counts": {**state.get("counts", {}), "kb.failed": 1}}
    changed = {
        "kb.sources_changed": sum(t.added + t.updated + t.removed for t in report.tables.values()),
        "kb.chunks_written": sum(t.chunks for t in report.tables.values()),
        "kb.vectors_written": report.embedded,
    }
    return {"counts": {**state.get("counts", {}), **changed}}


def finish_run(state: CycleState, runtime: Runtime[CycleContext]) -> dict[str, Any]:
    ctx = runtime.context
    counts = state.get("counts", {})
    failed = counts.get("accounts_failed", 0) + counts.get("plays.accounts_failed", 0)
    degraded = ctx.stats.fallbacks or counts.get("kb.failed")
    status = "partial" if failed else "degraded" if degraded else "succeeded"
    finish(ctx, state["run_id"], status, counts=state.get("counts", {}), accounts=state.get("accounts", 0))
    return {"status": status}


def finish(ctx: CycleContext, run_id: int, status: str, *, counts: dict[str, Any], accounts: int) -> None:
    with ctx.engine.begin() as conn:
        notes = conn.execute(select(_RUN.c.notes).where(_RUN.c.id == run_id)).scalar_one() or []
        conn.execute(
            update(_RUN)
            .where(_RUN.c.id == run_id)
            .values(
                status=status,
                accounts=accounts,
                counts=counts,
                llm_calls=ctx.stats.calls,
                llm_tokens=ctx.stats.tokens,
                llm_cache_hits=ctx.stats.cache_hits,
                llm_fallbacks=ctx.stats.fallbacks,
                notes=[*notes, *ctx.stats.notes],
                finished_at=datetime.now(UTC),
                duration_ms=round((time.perf_counter() - ctx.started) * 1000),
            )
        )


def builder() -> StateGraph:
    graph = StateGraph(CycleState, context_schema=CycleContext, input_schema=CycleInput, output_schema=CycleOutput)
    graph.add_node("start_run", start_run)
    graph.add_node("select_accounts", select_accounts)
    graph.add_node("review_accounts", review_accounts)
    graph.add_node("update_scorecards", update_scorecards)
    graph.add_node("update_plays", update_plays)
    graph.add_node("update_knowledge_base", update_knowledge_base)
    graph.add_node("finish_run", finish_run)
    graph.add_edge(START, "start_run")
    graph.add_edge("start_run", "select_accounts")
    graph.add_edge("review_accounts", "update_scorecards")
    graph.add_edge("update_scorecards", "update_plays")
    graph.add_edge("update_plays", "update_knowledge_base")
    graph.add_edge("update_knowledge_base", "finish_run")
    graph.add_edge("finish_run", END)
    return graph


def build_graph(checkpointer: Any = None, store: Any = None) -> CompiledStateGraph:
    return builder().compile(checkpointer=checkpointer, store=store)


def run_cycle(ctx: CycleContext, request: CycleInput) -> CycleOutput:
    """Run the cycle graph; if it dies midway, the run record says so before the error goes up."""
    graph = build_graph()
    try:
        with heartbeat(ctx.engine, every=ctx.config.schedule.run_heartbeat):
            return graph.invoke(request, context=ctx)
    except BaseException as exc:  # recorded, then re-raised unchanged
        me = this_process()
        with ctx.engine.begin() as conn:
            running = conn.execute(
                select(_RUN.c.id)
                .where(
                    _RUN.c.status == "running",
                    _RUN.c.as_of == request["as_of"],
                    _RUN.c.host == me["host"],
                    _RUN.c.pid == me["pid"],
                    _RUN.c.started_at >= PROCESS_STARTED,
                )
                .order_by(_RUN.c.id.desc())
                .limit(1)
            ).scalars()
            for run_id in running:
                conn.execute(
                    update(_RUN)
                    .where(_RUN.c.id == run_id)
                    .values(status="failed", notes=[f"{type(exc).__name__}: {exc}"], finished_at=datetime.now(UTC))
                )
        raise
