"""An agent run that proposes an offer, pauses for the people who must approve it, and acts on their decision.

propose -> await_approval -> act. ``propose`` writes the offer into the
approvals queue (no side effect outside it); ``await_approval`` calls
LangGraph ``interrupt()`` and the run stops there, its state in the durable
checkpointer. The approvals queue settles the offer and resumes the thread with
``Command(resume=decision)``; only then does ``act`` do anything the customer
or the team sees. ``act`` trusts the database, not the resume value: it acts on
the decision the approval row records, and every effect carries a dedupe key,
so a resume delivered twice, or after a crash, acts once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypedDict

from langchain_core.runnables import RunnableConfig
from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph
from langgraph.runtime import Runtime
from langgraph.types import interrupt
from pydantic import BaseModel
from sqlalchemy import Engine, select

from actions.outbox import notify_internal
from approvals.decisions import InvalidDecision, parse_decision
from approvals.policy import ApprovalPolicy
from approvals.queue import APPROVAL, OFFER, Actor, submit
from core.models import Account

ACCOUNT = Account.__table__  # type: ignore[attr-defined]


class OfferRequest(TypedDict, total=False):
    account_id: int
    contract_id: int | None
    kind: str
    terms: dict[str, Any]
    rationale: str
    evidence: list[str]
    agent: str
    #: Who started this run: a username, or ``job:<name>`` for a scheduled job; they cannot decide its offer.
    launched_by: str


class OfferRunState(OfferRequest, total=False):
    offer_id: int
    approval_id: int
    routed: str  # pending | rejected (by the policy, before anyone decided)
    decision: dict[str, Any]
    effects: list[str]


@dataclass
class OfferAgentContext:
    engine: Engine
    policy: ApprovalPolicy
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))


class OfferOutcomeFacts(BaseModel):
    """What the message about a settled offer is written from; the approver's reason is their own words, quoted."""

    offer_id: int
    account_name: str
    status: str
    kind: str
    terms: dict[str, Any]
    settled_by: str | None
    quoted: list[str]


def thread_config(thread_id: str) -> dict[str, Any]:
    return {"configurable": {"thread_id": thread_id}}


def propose(state: OfferRunState, config: RunnableConfig, runtime: Runtime[OfferAgentContext]) -> dict[str, Any]:
    ctx = runtime.context
    thread_id = config["configurable"]["thread_id"]
    with ctx.engine.begin() as conn:
        submitted = submit(
            conn,
            ctx.policy,
            account_id=state["account_id"],
            contract_id=state.get("contract_id"),
            kind=state["kind"],
            terms=state.get("terms") or {},
            requester=Actor(f"agent:{state['agent']}", "agent"),
            launched_by=state.get("launched_by"),
            rationale=state["rationale"],
            evidence=state.get("evidence") or [],
            now=ctx.clock(),
            thread_id=thread_id,
            # Replaying this node after a crash finds the offer it already made.
            dedupe_key=f"thread:{thread_id}",
        )
    return {"offer_id": submitted.offer_id, "approval_id": submitted.approval_id, "routed": submitted.status}


def await_approval(state: OfferRunState, runtime: Runtime[OfferAgentContext]) -> dict[str, Any]:
    """Pause until a decision arrives. A resume value that is not a decision is refused and the run pauses
    again, its refusal in the new interrupt, so a bad value can never wedge or advance the run."""
    if state["routed"] == "rejected":
        return {"decision": {"decision": "reject", "reason": "no approval rule covers this offer"}}
    payload: dict[str, Any] = {"approval_id": state["approval_id"], "offer_id": state["offer_id"]}
    while True:
        raw = interrupt(payload)
        try:
            decision = parse_decision(raw)
        except InvalidDecision as exc:
            payload = {**payload, "refused": str(exc)}
            continue
        return {"decision": decision.model_dump()}


def act(state: OfferRunState, runtime: Runtime[OfferAgentContext]) -> dict[str, Any]:
    ctx = runtime.context
    now = ctx.clock()
    with ctx.engine.begin() as conn:
        offer = conn.execute(select(OFFER).where(OFFER.c.id == state["offer_id"])).mappings().one()
        approval = conn.execute(select(APPROVAL).where(APPROVAL.c.id == state["approval_id"])).mappings().one()
        if approval["status"] == "pending":
            raise RuntimeError(f"approval {approval['id']} is still pending; the run resumes only once it is settled")
        account = conn.execute(select(ACCOUNT).where(ACCOUNT.c.id == offer["account_id"])).mappings().one()
        approved = approval["status"] == "approved"
        key = f"offer:{offer['id']}:{approval['status']}"
        facts = OfferOutcomeFacts(
            offer_id=offer["id"],
            account_name=account["name"],
            status=approval["status"],
            kind=offer["kind"],
            terms=dict(offer["terms"] or {}),
            settled_by=approval["settled_by"],
            quoted=[approval["reason"]] if approval["reason"] else [],
        )
        terms = ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in sorted(facts.terms.items())) or "as proposed"
        notify_internal(
            conn,
            key=key,
            account_id=offer["account_id"],
            channel="email",
            recipient=account["owner_csm"] or "cs-managers@watchtower.example",
            recipient_name="csm",
            subject=(
                f"Offer {facts.offer_id} for {facts.account_name} is {facts.status}"
                + ("" if approved else f": {approval['reason']}")
            ),
            body=(
                f"{facts.kind.replace('_', ' ').capitalize()} offer: {terms}.\n"
                f"Decided by {facts.settled_by}: {approval['reason']}\n"
                + (
                    "Prepare the order form with these terms; the customer email goes through the outbox."
                    if approved
                    else "Nothing goes to the customer."
                )
            ),
            facts=facts.model_dump(mode="json"),
            now=now,
            created_on=now.date(),
        )
    return {"effects": [key]}


def builder() -> StateGraph:
    graph = StateGraph(OfferRunState, context_schema=OfferAgentContext, input_schema=OfferRequest)
    graph.add_node("propose", propose)
    graph.add_node("await_approval", await_approval)
    graph.add_node("act", act)
    graph.add_edge(START, "propose")
    graph.add_edge("propose", "await_approval")
    graph.add_edge("await_approval", "act")
    graph.add_edge("act", END)
    return graph


def build_graph(checkpointer: Any) -> CompiledStateGraph:
    return builder().compile(checkpointer=checkpointer)
