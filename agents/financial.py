"""Financial watchtower: invoices in, an invoice status feed and overdue alerts out."""

from __future__ import annotations

from typing import Any

from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph
from langgraph.runtime import Runtime

from agents.state import AlertCandidate, WatchtowerContext, WatchtowerInput, WatchtowerResult, severity_by
from tools.records import InvoiceRecord
from tools.registry import tools_for, use

AGENT = "financial"


class FinancialState(WatchtowerInput, WatchtowerResult, total=False):
    invoices: list[InvoiceRecord]
    feed: list[dict[str, Any]]


def gather(state: FinancialState, runtime: Runtime[WatchtowerContext]) -> dict[str, Any]:
    tools = tools_for(AGENT, runtime.context.conn, state["account_id"], state["as_of"])
    return {"invoices": use(tools, "read_invoices", days=365)}


def build_feed(state: FinancialState) -> dict[str, Any]:
    """Every invoice unpaid on the as-of date, with its days overdue."""
    as_of = state["as_of"]
    feed = [
        {
            "invoice": i.external_id,
            "amount": i.amount,
            "currency": i.currency,
            "due_on": i.due_on.isoformat(),
            "days_overdue": max(0, (as_of - i.due_on).days),
        }
        for i in state["invoices"]
        if i.paid_on is None and i.status not in ("void", "written_off")
    ]
    return {"feed": feed}


def raise_alerts(state: FinancialState, runtime: Runtime[WatchtowerContext]) -> dict[str, Any]:
    config = runtime.context.config.financial
    overdue = [f for f in state["feed"] if f["days_overdue"] > config.overdue_days]
    alerts = []
    if overdue:
        worst = max(f["days_overdue"] for f in overdue)
        amount = round(sum(f["amount"] for f in overdue), 2)
        alerts.append(
            AlertCandidate(
                kind="risk",
                type="overdue_invoice",
                reason="days_overdue",
                severity=severity_by(worst, [(config.critical_overdue_days, "critical"), (30, "high")]),
                title=f"{len(overdue)} invoice(s) overdue, the oldest by {worst} days ({amount:,.2f} open)",
                detail={"days_overdue": worst, "amount_overdue": amount, "invoices": len(overdue)},
                facts={"invoices": len(overdue), "days_overdue": worst, "amount_overdue": amount},
                evidence=[f"invoice {f['invoice']}" for f in overdue[:5]],
            )
        )
    open_amount = round(sum(f["amount"] for f in state["feed"]), 2)
    payload = {"open_invoices": state["feed"], "open_amount": open_amount}
    return {"agent": AGENT, "payload": payload, "produced_by": "deterministic", "alerts": alerts, "movements": []}


def builder() -> StateGraph:
    graph = StateGraph(
        FinancialState, context_schema=WatchtowerContext, input_schema=WatchtowerInput, output_schema=WatchtowerResult
    )
    graph.add_node("gather", gather)
    graph.add_node("build_feed", build_feed)
    graph.add_node("raise_alerts", raise_alerts)
    graph.add_edge(START, "gather")
    graph.add_edge("gather", "build_feed")
    graph.add_edge("build_feed", "raise_alerts")
    graph.add_edge("raise_alerts", END)
    return graph


def build_graph(checkpointer: Any = None, store: Any = None) -> CompiledStateGraph:
    return builder().compile(checkpointer=checkpointer, store=store)
