"""Product health watchtower: usage telemetry in, usage alerts and opportunity signals out.

gather -> measure -> raise_alerts. Every number here is computed from usage
rows; no model is involved.
"""

from __future__ import annotations

from datetime import date
from statistics import fmean
from typing import Any

from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph
from langgraph.runtime import Runtime

from agents.state import AlertCandidate, WatchtowerContext, WatchtowerInput, WatchtowerResult, severity_by
from signals.data import AccountData, Usage
from signals.derived import change, field_mean, field_total, plan_seat_usage, usage_ref, usage_window
from tools.records import AccountProfile, UsageRecord
from tools.registry import tools_for, use

AGENT = "product_health"


class ProductHealthState(WatchtowerInput, WatchtowerResult, total=False):
    account: AccountProfile
    usage: list[UsageRecord]
    measures: dict[str, Any]


def gather(state: ProductHealthState, runtime: Runtime[WatchtowerContext]) -> dict[str, Any]:
    tools = tools_for(AGENT, runtime.context.conn, state["account_id"], state["as_of"])
    config = runtime.context.config.product_health
    days = max(
        2 * config.usage_drop.window_days, config.new_department.baseline_days + config.new_department.recent_days
    )
    return {"account": use(tools, "read_account"), "usage": use(tools, "read_usage", days=days + 7)}


def _data(account: AccountProfile, usage: list[UsageRecord]) -> AccountData:
    data = AccountData(
        account.id, account.external_id, None, account.seats_purchased, account.plan_limits, account.segment, 1
    )
    data.usage = [
        Usage(
            u.period_start,
            u.period,
            u.logins,
            u.active_users,
            u.seats_used,
            tuple(u.features),
            u.api_calls,
            u.storage_gb,
            u.metrics,
        )
        for u in usage
    ]
    return data


def _metric(rows: list[Usage], name: str) -> list[float]:
    """A team-named usage metric (``metrics.power_users``) across the rows that carry it."""
    return [u.metrics[name] for u in rows if name in u.metrics]


def measure(state: ProductHealthState, runtime: Runtime[WatchtowerContext]) -> dict[str, Any]:
    config = runtime.context.config.product_health
    as_of: date = state["as_of"]
    data = _data(state["account"], state["usage"])
    drop = config.usage_drop
    now = usage_window(data, as_of, drop.window_days)
    before = usage_window(data, as_of, drop.window_days, offset=drop.window_days)
    total = field_total if drop.metric == "logins" else field_mean  # logins add up; active users average
    usage_now, usage_before = total(now, drop.metric), total(before, drop.metric)
    seats = plan_seat_usage(data, as_of)

    power = config.power_users
    power_now, power_before = _metric(now, power.metric), _metric(before, power.metric)
    dept = config.new_department
    recent = usage_window(data, as_of, dept.recent_days)
    baseline = usage_window(data, as_of, dept.baseline_days, offset=dept.recent_days)
    dept_now, dept_before = _metric(recent, dept.metric), _metric(baseline, dept.metric)
    return {
        "measures": {
            "usage_metric": drop.metric,
            "usage_now": usage_now,
            "usage_before": usage_before,
            "usage_change": change(usage_now, usage_before),
            "usage_evidence": list(usage_ref(before + now)),
            "plan_seat_usage": seats.value,
            "plan_evidence": list(seats.evidence),
            "power_users_now": fmean(power_now) if power_now else None,
            "power_users_before": fmean(power_before) if power_before else None,
            "departments_now": max(dept_now) if dept_now else None,
            "departments_before": max(dept_before) if dept_before else None,
            "department_evidence": list(usage_ref(baseline + recent)),
            "weeks_of_usage": len(data.usage),
        }
    }


def raise_alerts(state: ProductHealthState, runtime: Runtime[WatchtowerContext]) -> dict[str, Any]:
    config = runtime.context.config.product_health
    m = state["measures"]
    alerts: list[AlertCandidate] = []
    drop = m["usage_change"]
    fell = (m["usage_before"] or 0) - (m["usage_now"] or 0)
    if drop is not None and -drop * 100 > config.usage_drop.drop_pct and fell >= config.usage_drop.min_absolute_drop:
        pct = -drop * 100
        facts = {"metric": m["usage_metric"], "change": drop, "window_days": config.usage_drop.window_days}
        alerts.append(
            AlertCandidate(
                kind="risk",
                type="usage_decline",
                reason=f"{m['usage_metric']}_drop",
                severity=severity_by(pct, [(config.usage_drop.critical_drop_pct, "critical"), (25, "high")]),
                title=f"{facts['metric'].replace('_', ' ').capitalize()} down {abs(facts['change']) * 100:.0f}% on "
                f"the {facts['window_days']} days before",
                detail={"change": round(drop, 4), "now": m["usage_now"], "before": m["usage_before"]},
                facts=facts,
                evidence=m["usage_evidence"],
            )
        )
    seats = m["plan_seat_usage"]
    if seats is not None and seats * 100 >= config.plan_limit.usage_pct:
        alerts.append(
            AlertCandidate(
                kind="opportunity",
                type="approaching_plan_limits",
                reason="seats",
                severity=severity_by(seats, [(1.0, "high")]),
                title=f"{seats * 100:.0f}% of plan seats in use",
                detail={"seat_usage": round(seats, 4)},
                facts={"seat_usage": seats},
                evidence=m["plan_evidence"],
            )
        )
    now, before = m["power_users_now"], m["power_users_before"]
    power = config.power_users
    rose = now is not None and before is not None and now - before >= power.min_increase
    if rose and (before == 0 or (now - before) / before * 100 >= power.rise_pct):
        alerts.append(
            AlertCandidate(
                kind="opportunity",
                type="power_users",
                reason="power_users_rise",
                severity="medium",
                title=f"Power users up from {before:.1f} to {now:.1f} a week",
                detail={"now": round(now, 2), "before": round(before, 2)},
                facts={"power_users_before": before, "power_users_now": now},
                evidence=m["usage_evidence"],
            )
        )
    d_now, d_before = m["departments_now"], m["departments_before"]
    if d_now is not None and d_before is not None and d_now > d_before:
        added = d_now - d_before
        alerts.append(
            AlertCandidate(
                kind="opportunity",
                type="new_department",
                reason="departments_active",
                severity="medium",
                title=f"Usage reached {added:.0f} new department(s)",
                detail={"now": d_now, "before": d_before},
                facts={"departments_added": added},
                evidence=m["department_evidence"],
            )
        )
    payload = {k: v for k, v in m.items() if not k.endswith("evidence")}
    return {"agent": AGENT, "payload": payload, "produced_by": "deterministic", "alerts": alerts, "movements": []}


def builder() -> StateGraph:
    graph = StateGraph(
        ProductHealthState,
        context_schema=WatchtowerContext,
        input_schema=WatchtowerInput,
        output_schema=WatchtowerResult,
    )
    graph.add_node("gather", gather)
    graph.add_node("measure", measure)
    graph.add_node("raise_alerts", raise_alerts)
    graph.add_edge(START, "gather")
    graph.add_edge("gather", "measure")
    graph.add_edge("measure", "raise_alerts")
    graph.add_edge("raise_alerts", END)
    return graph


def build_graph(checkpointer: Any = None, store: Any = None) -> CompiledStateGraph:
    return builder().compile(checkpointer=checkpointer, store=store)
