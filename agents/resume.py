"""Start agent offer runs and resume the paused ones once people have settled their offers.

Resuming is safe to repeat and to run in several processes: a thread that is
no longer paused is only marked, the agent's effects carry dedupe keys, and
the ``resume`` audit event is written by whichever process marks the approval
first. A crash between the decision and the resume loses nothing: the next
``resume_settled`` (every ``watchtower serve`` tick, every decision through
the API, ``watchtower approvals resume``) finds the settled approval unmarked.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from langgraph.types import Command
from sqlalchemy import Engine, select, update

from agents.checkpoints import open_checkpointer
from agents.copilot.graph import THREAD_PREFIX as COPILOT_THREAD
from agents.copilot.graph import build_graph as build_copilot_graph
from agents.offer_agent import OfferAgentContext, OfferRequest, build_graph, thread_config
from approvals.decisions import parse_decision
from approvals.policy import ApprovalPolicy
from approvals.queue import APPROVAL, OFFER
from core.audit import record
from core.models import ApprovalDecision

DECISION = ApprovalDecision.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Paused:
    thread_id: str
    offer_id: int
    approval_id: int
    status: str  # pending: paused for people; rejected: the policy covered nothing, the run finished


def start_offer_run(
    engine: Engine, database_url: str, policy: ApprovalPolicy, request: OfferRequest, *, clock: Any = None
) -> Paused:
    thread_id = f"offer-{uuid.uuid4().hex}"
    context = OfferAgentContext(engine, policy, **({"clock": clock} if clock else {}))
    with open_checkpointer(database_url) as saver:
        graph = build_graph(saver)
        state = graph.invoke(request, thread_config(thread_id), context=context)
    return Paused(thread_id, state["offer_id"], state["approval_id"], state["routed"])


def _decision_of(approval: dict[str, Any], decisions: list[dict[str, Any]]) -> dict[str, Any]:
    """What settled the approval, as the typed resume value (validated before it reaches the graph)."""
    last = decisions[-1] if decisions else {}
    value: dict[str, Any] = {"decision": "reject" if approval["status"] == "rejected" else "approve"}
    if approval["status"] == "approved" and last.get("decision") == "edit":
        value = {"decision": "edit", "terms": last.get("edits") or {}}
    value["reason"] = approval["reason"] or approval["status"]
    return parse_decision(value).model_dump()


def resume_settled(
    engine: Engine,
    database_url: str,
    policy: ApprovalPolicy,
    *,
    now: datetime,
    approval_ids: list[int] | None = None,
    clock: Any = None,
) -> list[int]:
    """Resume every paused run whose offer is settled; returns the approvals resumed by this call."""
    decision_table = DECISION
    query = (
        select(APPROVAL, OFFER.c.thread_id)
        .join(OFFER, OFFER.c.id == APPROVAL.c.offer_id)
        .where(
            APPROVAL.c.status.in_(("approved", "rejected")),
            APPROVAL.c.resumed_at.is_(None),
            OFFER.c.thread_id.is_not(None),
        )
        .order_by(APPROVAL.c.id)
    )
    if approval_ids is not None:
        query = query.where(APPROVAL.c.id.in_(approval_ids))
    with engine.connect() as conn:
        waiting = [dict(r) for r in conn.execute(query).mappings()]
        decisions = {
            a["id"]: [
                dict(d)
                for d in conn.execute(
                    select(decision_table).where(decision_table.c.approval_id == a["id"]).order_by(decision_table.c.id)
                ).mappings()
            ]
            for a in waiting
        }
    if not waiting:
        return []
    resumed: list[int] = []
    context = OfferAgentContext(engine, policy, **({"clock": clock} if clock else {}))
    with open_checkpointer(database_url) as saver:
        offer_graph, copilot_graph = build_graph(saver), build_copilot_graph(saver)
        for approval in waiting:
            config = thread_config(approval["thread_id"])
            value = _decision_of(approval, decisions[approval["id"]])
            # A copilot conversation that proposed the offer waits in its own graph; its pause needs no context.
            copilot = approval["thread_id"].startswith(f"{COPILOT_THREAD}:")
            graph = copilot_graph if copilot else offer_graph
            if graph.get_state(config).next:
                graph.invoke(Command(resume=value), config, context=None if copilot else context)
            with engine.begin() as conn:
                marked = conn.execute(
                    update(APPROVAL)
                    .where(APPROVAL.c.id == approval["id"], APPROVAL.c.resumed_at.is_(None))
                    .values(resumed_at=now)
                )
                if marked.rowcount == 1:
                    record(
                        conn,
                        at=now,
                        actor="approvals",
                        actor_kind="system",
                        action="resume",
                        entity="approval",
                        entity_id=approval["id"],
                        account_id=approval["account_id"],
                        after={"thread_id": approval["thread_id"], "decision": value["decision"]},
                    )
                    resumed.append(approval["id"])
    return resumed
