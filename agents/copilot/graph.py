"""The copilot graph: classify -> call_tools -> (propose_offer) -> compose -> verify, or, with a model,
classify -> model_turn, which falls back to call_tools when the model's answer cannot be used.

Without a model (``CopilotContext.model`` None) the graph is the deterministic path alone. With one,
``model_turn`` (``agents.copilot.model_turn``) lets the model read with the same bound tools and answers
with a verified model answer; when the answer fails verification twice or the model cannot be reached, the
deterministic path answers instead, marked ``deterministic_after_model_failed`` and saying so in one line.

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
from langgraph.config import get_stream_writer
from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph
from langgraph.runtime import Runtime
from langgraph.types import Command, interrupt
from pydantic import BaseModel
from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError

from agents.copilot.classifier import IntentClassifier
from agents.copilot.compose import Composition, compose
from agents.copilot.drafts import DraftWriter
from agents.copilot.model_turn import ModelPath, Proposal, TurnScope, read_tools, run_model_turn
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
#: The one line a fallback answer ends with, by why the model's answer was not used.
MODEL_FAILED = {
    "rejected": "(The model's answer could not be verified against the sources, so this is the rule-based answer.)",
    "unavailable": "(The model could not be reached, so this is the rule-based answer.)",
}


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
    #: Why this turn's model answer was not used, and the calls the model made before it failed.
    model_failure: str | None
    model_calls: list[dict[str, Any]]


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
    #: The model path; None answers on the deterministic path alone.
    model: ModelPath | None = None
    #: Stream the model's final answer as ``Draft`` pieces (``Copilot.stream``); otherwise it is read whole.
    drafts: bool = False


def _results(state: CopilotState) -> dict[str, BaseModel]:
    return {name: RESULT_TYPES[name].model_validate(raw) for name, raw in (state.get("results") or {}).items()}


def classify(state: CopilotState, runtime: Runtime[CopilotContext]) -> Command[Literal["model_turn", "call_tools"]]:
    found = runtime.context.classifier.classify(state["question"])
    update = {
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
        "model_failure": None,
        "model_calls": [],
    }
    return Command(goto="model_turn" if runtime.context.model is not None else "call_tools", update=update)


def _check(ctx: CopilotContext, answer: CopilotAnswer, results: list[BaseModel], *, book: bool) -> tuple[str, ...]:
    """The verifier, as both paths run it: this turn's results, the glossary's wording, the book when read."""
    quoted = [ctx.glossary.wording(k) for k in ctx.glossary.terms]
    with ctx.engine.connect() as conn:
        scope = reachable_external_ids(conn, ctx.user) if book else None
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
    return found.problems


def model_turn(
    state: CopilotState, config: RunnableConfig, runtime: Runtime[CopilotContext]
) -> Command[Literal["await_decision", "call_tools", "__end__"]]:
    ctx = runtime.context
    assert ctx.model is not None
    intent = ctx.classifier.loaded.intents.get(state["intent"])
    scope = TurnScope(
        engine=ctx.engine,
        user=ctx.user,
        account=ctx.account,
        as_of=ctx.as_of,
        glossary=ctx.glossary,
        kb=ctx.kb,
        tools=read_tools(intent.tools),
        propose=(lambda: _propose(state, config, ctx)) if _offer_allowed(state, ctx) else None,
    )
    # Draft pieces reach a caller that streams the graph with the "custom" mode.
    drafts = DraftWriter(get_stream_writer()) if ctx.drafts else None
    turn = run_model_turn(
        ctx.model,
        scope,
        state["question"],
        lambda answer, results: list(_check(ctx, answer, list(results), book=_read_book(answer))),
        drafts,
    )
    update: dict[str, Any] = {**turn.offer_update, "model_calls": [c.model_dump() for c in turn.calls]}
    if turn.answer is None:
        return Command(goto="call_tools", update={**update, "model_failure": turn.failure})
    update |= {"answer": turn.answer.model_dump(mode="json"), "problems": [], "tool_calls": update["model_calls"]}
    pending = update.get("pending_approval_id", state.get("pending_approval_id"))
    return Command(goto="await_decision" if pending else END, update=update)


def _read_book(answer: CopilotAnswer) -> bool:
    return any(c.tool == "book" and c.refused is None for c in answer.tool_calls)


def _offer_allowed(state: CopilotState, ctx: CopilotContext) -> bool:
    """The deterministic path's rules: the question asks for a save offer, none from this conversation still
    waits, and the rules size one for the account's band."""
    spec = ctx.classifier.loaded.intents.get(state["intent"]).offer
    if spec is None or state.get("pending_offer_id"):
        return False
    with ctx.engine.connect() as conn:
        band = CopilotTools(conn, ctx.user, ctx.account, ctx.as_of).scorecard().band
    return spec.discount_pct_by_band.get(band or "") is not None


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
    if state.get("offer_id"):
        return {}  # the model proposed it this turn, through the same path; the answer reports that offer
    proposal = _propose(state, config, runtime.context)
    if proposal.result is None:
        return proposal.update
    return {**proposal.update, "results": {**state["results"], "offers": proposal.result.model_dump(mode="json")}}


def _propose(state: CopilotState, config: RunnableConfig, ctx: CopilotContext) -> Proposal:
    """Submit the rule-sized save offer into the approvals queue, as the offer agent does; never settle it."""
    spec = ctx.classifier.loaded.intents.get(state["intent"]).offer
    assert spec is not None
    if state.get("pending_offer_id"):
        why = f"offer {state['pending_offer_id']} from this conversation still waits for a decision"
        return Proposal({"why_no_offer": why}, None, why)
    with ctx.engine.connect() as conn:
        card = CopilotTools(conn, ctx.user, ctx.account, ctx.as_of).scorecard()
    pct = spec.discount_pct_by_band.get(card.band or "")
    if pct is None:
        why = f"the offer rules size no save offer for an account in the {card.band} band"
        return Proposal({"why_no_offer": why}, None, why)
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
        return Proposal({"why_no_offer": str(exc)}, None, str(exc))
    with ctx.engine.connect() as conn:
        offers = CopilotTools(conn, ctx.user, ctx.account, ctx.as_of, ctx.kb).offers()
    pending = submitted.status == "pending"
    update = {
        "offer_id": submitted.offer_id,
        "approval_id": submitted.approval_id,
        "offer_status": submitted.status,
        "pending_offer_id": submitted.offer_id if pending else None,
        "pending_approval_id": submitted.approval_id if pending else None,
    }
    return Proposal(update, offers, None)


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
    calls = [*(state.get("model_calls") or []), *(state.get("tool_calls") or [])]
    answer = CopilotAnswer(
        answer=text,
        citations=composition.citations,
        produced_by="deterministic_after_model_failed" if state.get("model_failure") else "deterministic",
        tool_calls=[ToolCallMade.model_validate(c) for c in calls],
        intent=state["intent"],
    )
    return {"answer": answer.model_dump(mode="json")}


def verify_answer(
    state: CopilotState, runtime: Runtime[CopilotContext]
) -> Command[Literal["await_decision", "__end__"]]:
    ctx = runtime.context
    answer = CopilotAnswer.model_validate(state["answer"])
    problems = _check(ctx, answer, list(_results(state).values()), book="book" in (state.get("results") or {}))
    update: dict[str, Any] = {"problems": list(problems)}
    if problems:
        answer = answer.model_copy(update={"answer": UNVERIFIED, "citations": []})
    if failure := state.get("model_failure"):
        # Added after verification: the line is ours, not a claim about the account.
        line = MODEL_FAILED["unavailable" if failure.startswith("model unavailable") else "rejected"]
        answer = answer.model_copy(update={"answer": f"{answer.answer.rstrip()}\n{line}"})
    if problems or failure:
        update["answer"] = answer.model_dump(mode="json")
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
    graph.add_node("model_turn", model_turn)
    graph.add_node("call_tools", call_tools)
    graph.add_node("propose_offer", propose_offer)
    graph.add_node("compose", compose_answer)
    graph.add_node("verify", verify_answer)
    graph.add_node("await_decision", await_decision)
    graph.add_edge(START, "classify")
    graph.add_edge("propose_offer", "compose")
    graph.add_edge("compose", "verify")
    graph.add_edge("await_decision", END)
    return graph


def build_graph(checkpointer: Any) -> CompiledStateGraph:
    return builder().compile(checkpointer=checkpointer)
