"""The copilot's deterministic graph: classify -> call_tools -> (propose_offer) -> compose -> verify.

One thread per person and account (``thread_id_for``), kept in the durable checkpointer, so a conversation
carries on across processes. ``propose_offer`` writes an offer into the approvals queue the way
``agents.offer_agent`` does (``approvals.queue.submit``, the person who asked recorded as ``launched_by`` so
they cannot decide it, a dedupe key so a replay finds the offer it made) and, once the answer is verified,
``await_decision`` pauses the thread with ``interrupt()`` until the approvals queue resumes it with the
people's decision. The copilot never settles anything: the resume value is only recorded.

The question is the only thing a person types in; it chooses an intent and, for knowledge-base search, is
the query. The account, the person and the date are the context the graph was invoked with, so text in a
question or in a transcript ("approve this discount", "read account X") cannot change what is read or done.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, Literal, TypedDict

from langchain_core.runnables import RunnableConfig
from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph
from langgraph.runtime import Runtime
from langgraph.types import Command, interrupt
from pydantic import BaseModel
from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError

from agents.copilot.classifier import IntentClassifier
from agents.copilot.compose import Composition, compose
from agents.copilot.schema import CopilotAnswer, ToolCallMade
from agents.copilot.verify import verify
from approvals.decisions import InvalidDecision, parse_decision
from approvals.policy import ApprovalPolicy
from approvals.queue import Actor, OfferError, Submitted, submit
from core.faithfulness import Directory
from core.glossary import Glossary
from core.identity import User
from tools.access import AccountRef, reachable_external_ids
from tools.copilot_results import (
    AlertsResult,
    BookResult,
    OffersResult,
    PlaysResult,
    RenewalResult,
    ScorecardResult,
    SearchResult,
    StakeholderResult,
    UsageTrendResult,
)
from tools.copilot_tools import MAX_QUERY, CopilotTools, KnowledgeSearch, NoKnowledgeBase

THREAD_PREFIX = "copilot"
#: What each tool's result is, to read it back from the checkpointed state.
RESULT_TYPES: dict[str, type[BaseModel]] = {
    "scorecard": ScorecardResult,
    "usage_trend": UsageTrendResult,
    "stakeholders": StakeholderResult,
    "open_alerts": AlertsResult,
    "open_plays": PlaysResult,
    "renewals": RenewalResult,
    "offers": OffersResult,
    "search_knowledge": SearchResult,
    "book": BookResult,
}
UNVERIFIED = (
    "I could not give an answer I can back with sources for this question, so I give none. "
    "Try asking it another way, or open the account's page."
)


def thread_id_for(user_id: int, account_id: int) -> str:
    return f"{THREAD_PREFIX}:{user_id}:{account_id}"


class CopilotInput(TypedDict):
    question: str


class CopilotState(CopilotInput, total=False):
    turn: int
    intent: str
    score: float
    #: The question was below the threshold and went to the fallback intent.
    fell_back: bool
    tool_calls: list[dict[str, Any]]
    results: dict[str, dict[str, Any]]
    offer_id: int | None
    approval_id: int | None
    offer_status: str | None
    why_no_offer: str | None
    #: The offer this thread proposed that still waits for people; the thread pauses on it after every turn.
    pending_offer_id: int | None
    pending_approval_id: int | None
    answer: dict[str, Any]
    problems: list[str]
    decision: dict[str, Any]


class CopilotOutput(TypedDict, total=False):
    answer: dict[str, Any]
    problems: list[str]
    offer_id: int | None
    approval_id: int | None
    pending_approval_id: int | None


@dataclass
class CopilotContext:
    """Everything a turn is bound to; none of it comes from the question."""

    engine: Engine
    user: User
    account: AccountRef
    as_of: date
    classifier: IntentClassifier
    glossary: Glossary
    policy: ApprovalPolicy
    kb: KnowledgeSearch | None = None
    directory: Directory | None = None
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))


def _results(state: CopilotState) -> dict[str, BaseModel]:
    return {name: RESULT_TYPES[name].model_validate(raw) for name, raw in (state.get("results") or {}).items()}


def classify(state: CopilotState, runtime: Runtime[CopilotContext]) -> dict[str, Any]:
    found = runtime.context.classifier.classify(state["question"])
    return {
        "turn": state.get("turn", 0) + 1,
        "intent": found.intent,
        "score": found.score,
        "fell_back": found.fell_back,
        # A new turn starts clean: nothing of the previous answer or offer is carried into this one.
        "offer_id": None,
        "approval_id": None,
        "offer_status": None,
        "why_no_offer": None,
        "problems": [],
        "decision": {},
    }


def call_tools(state: CopilotState, runtime: Runtime[CopilotContext]) -> Command[Literal["propose_offer", "compose"]]:
    ctx = runtime.context
    intent = ctx.classifier.loaded.intents.get(state["intent"])
    results: dict[str, dict[str, Any]] = {}
    with ctx.engine.connect() as conn:
        tools = CopilotTools(conn, ctx.user, ctx.account, ctx.as_of, ctx.kb)
        for name in intent.tools:
            # Ten passages, so a question about one person still finds their words among the best matches; a
            # question longer than a search takes (up to 2,000 characters may be asked) is searched by its start.
            query = state["question"][:MAX_QUERY]
            arguments = {"query": query, "k": 10} if name == "search_knowledge" else {}
            try:
                results[name] = tools.call(name, **arguments).model_dump(mode="json")
            except NoKnowledgeBase:
                results[name] = SearchResult(account=tools.scorecard().account, query=query, passages=[]).model_dump(
                    mode="json"
                )
        calls = [c.model_dump() for c in tools.calls]
    update = {"results": results, "tool_calls": calls}
    return Command(goto="propose_offer" if intent.offer is not None else "compose", update=update)


def propose_offer(state: CopilotState, config: RunnableConfig, runtime: Runtime[CopilotContext]) -> dict[str, Any]:
    ctx = runtime.context
    spec = ctx.classifier.loaded.intents.get(state["intent"]).offer
    assert spec is not None
    if state.get("pending_offer_id"):
        return {"why_no_offer": f"offer {state['pending_offer_id']} from this conversation still waits for a decision"}
    card = ScorecardResult.model_validate(state["results"]["scorecard"])
    pct = spec.discount_pct_by_band.get(card.band or "")
    if pct is None:
        return {"why_no_offer": f"the offer rules size no save offer for an account in the {card.band} band"}
    thread_id = config["configurable"]["thread_id"]

    def proposed() -> Submitted:
        with ctx.engine.begin() as conn:
            return submit(
                conn,
                ctx.policy,
                account_id=ctx.account.id,
                kind=spec.kind,
                terms={"discount_pct": pct},
                requester=Actor(f"agent:{THREAD_PREFIX}", "agent"),
                launched_by=ctx.user.username,
                rationale=spec.rationale.replace("{band}", card.band or "unscored"),
                evidence=[f"scorecard {card.source.id}"] if card.source else [],
                now=ctx.clock(),
                thread_id=thread_id,
                # Replaying this node after a crash finds the offer it already made this turn.
                dedupe_key=f"{thread_id}:turn:{state['turn']}",
                created_on=ctx.as_of,
            )

    try:
        try:
            submitted = proposed()
        except IntegrityError:
            # Another request on this conversation proposed this turn's offer between our look and our insert
            # (two questions at once): the dedupe key kept it to one, and a second look finds that one.
            submitted = proposed()
    except OfferError as exc:
        return {"why_no_offer": str(exc)}
    with ctx.engine.connect() as conn:
        offers = CopilotTools(conn, ctx.user, ctx.account, ctx.as_of, ctx.kb).offers()
    pending = submitted.status == "pending"
    return {
        "offer_id": submitted.offer_id,
        "approval_id": submitted.approval_id,
        "offer_status": submitted.status,
        "pending_offer_id": submitted.offer_id if pending else None,
        "pending_approval_id": submitted.approval_id if pending else None,
        "results": {**state["results"], "offers": offers.model_dump(mode="json")},
    }


def compose_answer(state: CopilotState, runtime: Runtime[CopilotContext]) -> dict[str, Any]:
    ctx = runtime.context
    intents = ctx.classifier.loaded.intents
    composition = Composition(
        account=ctx.account,
        as_of=ctx.as_of,
        glossary=ctx.glossary,
        intents=intents,
        intent=intents.get(state["intent"]),
        results=_results(state),
        offer_id=state.get("offer_id"),
        why_no_offer=state.get("why_no_offer"),
        fell_back=bool(state.get("fell_back")),
    )
    text = compose(composition)
    answer = CopilotAnswer(
        answer=text,
        citations=composition.citations,
        produced_by="deterministic",
        tool_calls=[ToolCallMade.model_validate(c) for c in state.get("tool_calls") or []],
        intent=state["intent"],
    )
    return {"answer": answer.model_dump(mode="json")}


def verify_answer(
    state: CopilotState, runtime: Runtime[CopilotContext]
) -> Command[Literal["await_decision", "__end__"]]:
    ctx = runtime.context
    answer = CopilotAnswer.model_validate(state["answer"])
    results = list(_results(state).values())
    quoted = [ctx.glossary.wording(k) for k in ctx.glossary.terms]
    with ctx.engine.connect() as conn:
        scope = reachable_external_ids(conn, ctx.user) if "book" in (state.get("results") or {}) else None
        found = verify(
            conn,
            answer,
            account=ctx.account,
            results=results,
            kb=ctx.kb,
            directory=ctx.directory,
            quoted=quoted,
            as_of=ctx.as_of,
            scope=scope,
        )
    update: dict[str, Any] = {"problems": list(found.problems)}
    if not found.ok:
        update["answer"] = answer.model_copy(update={"answer": UNVERIFIED, "citations": []}).model_dump(mode="json")
    # A new question dropped the pause the last turn ended in; while the offer waits, every turn ends in it.
    return Command(goto="await_decision" if state.get("pending_approval_id") else END, update=update)


def await_decision(state: CopilotState) -> dict[str, Any]:
    """Pause until the approvals queue resumes the thread with the people's decision; a value that is not a
    decision is refused and the thread pauses again, so nothing can advance it but a decision."""
    payload: dict[str, Any] = {"approval_id": state["pending_approval_id"], "offer_id": state["pending_offer_id"]}
    while True:
        raw = interrupt(payload)
        try:
            decision = parse_decision(raw)
        except InvalidDecision as exc:
            payload = {**payload, "refused": str(exc)}
            continue
        return {"decision": decision.model_dump(), "pending_offer_id": None, "pending_approval_id": None}


def builder() -> StateGraph:
    graph = StateGraph(
        CopilotState, context_schema=CopilotContext, input_schema=CopilotInput, output_schema=CopilotOutput
    )
    graph.add_node("classify", classify)
    graph.add_node("call_tools", call_tools)
    graph.add_node("propose_offer", propose_offer)
    graph.add_node("compose", compose_answer)
    graph.add_node("verify", verify_answer)
    graph.add_node("await_decision", await_decision)
    graph.add_edge(START, "classify")
    graph.add_edge("classify", "call_tools")
    graph.add_edge("propose_offer", "compose")
    graph.add_edge("compose", "verify")
    graph.add_edge("await_decision", END)
    return graph


def build_graph(checkpointer: Any) -> CompiledStateGraph:
    return builder().compile(checkpointer=checkpointer)
