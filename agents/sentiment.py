"""Sentiment watchtower: calls, emails and survey verbatims in, a stakeholder map and sentiment alerts out.

gather -> read_texts (the LLM step, or its rule path) -> build_map -> raise_alerts.
The model only reads text into statements; the map's numbers (time decay,
detractor share, engagement trend) are computed here.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Literal

from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph
from langgraph.runtime import Runtime
from langgraph.types import Command

from agents.state import (
    AlertCandidate,
    WatchtowerContext,
    WatchtowerInput,
    WatchtowerResult,
    combine_paths,
)
from agents.text_reading import InteractionReading, check_interaction, read_interaction_rules
from prompts.loader import load_prompt, untrusted
from tools.records import ContactRecord, InteractionRecord, SurveyRecord
from tools.registry import tools_for, use

AGENT = "sentiment"


class SentimentState(WatchtowerInput, WatchtowerResult, total=False):
    contacts: list[ContactRecord]
    interactions: list[InteractionRecord]
    surveys: list[SurveyRecord]
    readings: list[tuple[str, date, InteractionReading]]
    paths: list[str]


def gather(state: SentimentState, runtime: Runtime[WatchtowerContext]) -> Command[Literal["read_texts", "build_map"]]:
    tools = tools_for(AGENT, runtime.context.conn, state["account_id"], state["as_of"])
    days = runtime.context.config.sentiment.lookback_days
    update = {
        "contacts": use(tools, "read_contacts"),
        "interactions": use(tools, "read_interactions", days=days),
        "surveys": use(tools, "read_surveys", days=days),
    }
    has_text = any(i.body for i in update["interactions"]) or any(s.verbatim for s in update["surveys"])
    return Command(goto="read_texts" if has_text else "build_map", update=update)


def _texts(state: SentimentState) -> list[tuple[str, date, InteractionRecord]]:
    items = [(f"interaction {i.external_id}", i.occurred_at.date(), i) for i in state["interactions"] if i.body]
    for s in state["surveys"]:
        if s.verbatim:
            record = InteractionRecord(
                id=0,
                external_id=s.external_id,
                kind="survey",
                occurred_at=datetime.combine(s.responded_on, time(), tzinfo=UTC),
                direction="inbound",
                subject=None,
                body=s.verbatim,
                contact_ids=[s.contact_id] if s.contact_id is not None else [],
            )
            items.append((f"survey {s.external_id}", s.responded_on, record))
    return items


def read_texts(state: SentimentState, runtime: Runtime[WatchtowerContext]) -> dict[str, Any]:
    reader = runtime.context.reader
    prompt = load_prompt("read_interaction")
    contacts = state["contacts"]
    by_id = {c.id: c for c in contacts}
    readings, paths = [], []
    for ref, day, item in _texts(state):
        participants = [by_id[i] for i in item.contact_ids if i in by_id]
        listed = "\n".join(f"{c.id}: {c.name}, {c.title}" for c in participants) or "(none listed)"
        body = item.body or ""
        ids = {c.id for c in participants}
        result = reader.read(
            step="read_interaction",
            prompt=prompt,
            variables={
                "participants": listed,
                "kind": item.kind,
                "occurred_on": day.isoformat(),
                "text": untrusted(body, source=ref),
            },
            schema=InteractionReading,
            deterministic=lambda item=item: read_interaction_rules(item, contacts),
            check=lambda reading, body=body, ids=ids: check_interaction(reading, body, ids),
        )
        readings.append((ref, day, result.output))
        paths.append(result.produced_by)
    return {"readings": readings, "paths": paths}


def _nps_sentiment(score: int) -> float:
    """NPS 10 reads as 1.0, 9 as 0.6, 7 as -0.2 and 6 or lower as -0.6 to -1."""
    return max(-1.0, min(1.0, (score - 7.5) / 2.5))


def _decayed(items: list[tuple[float, float]]) -> tuple[float | None, float]:
    """Weighted sentiment that fades toward neutral: sum(w*s) / max(1, sum(w)); and the evidence weight."""
    total = sum(w for w, _ in items)
    return (sum(w * s for w, s in items) / max(1.0, total) if items else None), total


def _stance(score: float | None, detractor_at: float, promoter_at: float) -> str:
    if score is None:
        return "unknown"
    if score <= detractor_at:
        return "detractor"
    return "promoter" if score >= promoter_at else "passive"


def _trend(recent: int, earlier: int) -> str:
    if not recent and not earlier:
        return "none"
    if recent == earlier:
        return "steady"
    return "rising" if recent > earlier else "falling"


def build_map(state: SentimentState, runtime: Runtime[WatchtowerContext]) -> dict[str, Any]:
    config = runtime.context.config.sentiment
    as_of: date = state["as_of"]

    def weight(day: date) -> float:
        return 0.5 ** (max(0, (as_of - day).days) / config.half_life_days)

    # Evidence is weighed per text, not per sentence: a long email is one opinion, not five.
    per_contact: dict[int | None, list[tuple[float, float]]] = defaultdict(list)
    quotes_of: dict[int | None, list[tuple[float, float, str, str]]] = defaultdict(list)
    themes: dict[str, float] = defaultdict(float)
    cancel_refs: list[str] = []
    for ref, day, reading in state.get("readings", []):
        w = weight(day)
        said: dict[int | None, list[float]] = defaultdict(list)
        for s in reading.statements:
            said[s.contact_id].append(s.sentiment)
            quotes_of[s.contact_id].append((w, s.sentiment, s.quote, ref))
            if s.sentiment < 0:
                for theme in set(s.themes):
                    themes[theme] += w
        for contact_id, scores in said.items():
            per_contact[contact_id].append((w, sum(scores) / len(scores)))
        if reading.cancel_intent and (as_of - day).days <= config.engagement_days:
            cancel_refs.append(ref)
    for s in state["surveys"]:
        if s.survey == "nps" and s.contact_id is not None:
            per_contact[s.contact_id].append((weight(s.responded_on), _nps_sentiment(s.score)))

    touches: dict[int, list[date]] = defaultdict(list)
    for i in state["interactions"]:
        for contact_id in i.contact_ids:
            touches[contact_id].append(i.occurred_at.date())
    recent_from = as_of - timedelta(days=config.engagement_days)
    earlier_from = recent_from - timedelta(days=config.engagement_days)

    stakeholders = []
    for c in state["contacts"]:
        score, total = _decayed(per_contact.get(c.id, []))
        quotes = sorted(quotes_of.get(c.id, []), key=lambda q: (-abs(q[0] * q[1]), q[3], q[2]))[:3]
        days = touches.get(c.id, [])
        recent = sum(1 for d in days if d > recent_from)
        earlier = sum(1 for d in days if earlier_from < d <= recent_from)
        stakeholders.append(
            {
                "contact_id": c.id,
                "contact": c.external_id,
                "name": c.name,
                "title": c.title,
                "roles": c.roles,
                "departed": c.status == "departed",
                "departed_on": c.departed_on.isoformat() if c.departed_on else None,
                "sentiment": round(score, 4) if score is not None else None,
                "stance": _stance(score, config.detractor_at, config.promoter_at),
                "evidence_weight": round(total, 4),
                "quotes": [{"quote": q[2], "source": q[3], "sentiment": q[1]} for q in quotes],
                "last_engagement": max(days).isoformat() if days else None,
                "engagement_trend": _trend(recent, earlier),
            }
        )
    active = [s for s in stakeholders if not s["departed"]]
    detractors = [s for s in active if s["stance"] == "detractor"]
    account_score, _ = _decayed([item for items in per_contact.values() for item in items])
    payload = {
        "account_sentiment": round(account_score, 4) if account_score is not None else None,
        "detractor_share": round(len(detractors) / len(active), 4) if active else None,
        "detractors": [s["contact"] for s in detractors],
        "risk_themes": [
            {"theme": t, "weight": round(w, 4)} for t, w in sorted(themes.items(), key=lambda kv: (-kv[1], kv[0]))
        ],
        "cancel_intent": cancel_refs,
        "stakeholders": stakeholders,
    }
    return {"payload": payload, "produced_by": combine_paths(state.get("paths", []))}


def raise_alerts(state: SentimentState, runtime: Runtime[WatchtowerContext]) -> dict[str, Any]:
    config = runtime.context.config.sentiment
    as_of: date = state["as_of"]
    payload = state["payload"]
    contacts = {c.id: c for c in state["contacts"]}
    alerts: list[AlertCandidate] = []
    key_roles = set(config.key_roles)

    recent = [
        s
        for s in state["surveys"]
        if s.survey == "nps"
        and s.score <= config.nps_detractor_max
        and (as_of - s.responded_on).days <= config.nps_recent_days
    ]
    if recent:
        worst = min(recent, key=lambda s: (s.score, s.external_id))
        who = contacts.get(worst.contact_id) if worst.contact_id is not None else None
        key = bool(who and key_roles & set(who.roles))
        alerts.append(
            AlertCandidate(
                kind="risk",
                type="nps_detractor",
                reason="recent_detractor_score",
                severity="high" if key else "medium",
                title=f"NPS {worst.score} from {who.name if who else 'a respondent'}"
                + (f" ({', '.join(who.roles)})" if key and who else ""),
                detail={"score": worst.score, "contact": who.external_id if who else None},
                facts={
                    "nps_score": worst.score,
                    "respondent": who.name if who else None,
                    "roles": who.roles if who else [],
                },
                evidence=[f"survey {s.external_id}" for s in recent],
            )
        )
    share = payload["detractor_share"]
    if share is not None and share * 100 > config.detractor_share_pct:
        alerts.append(
            AlertCandidate(
                kind="risk",
                type="detractors",
                reason="detractor_share",
                severity="high" if share >= 0.4 else "medium",
                title=f"{share * 100:.0f}% of active contacts are detractors",
                detail={"detractor_share": share, "detractors": payload["detractors"]},
                facts={"detractor_share": share},
                evidence=_quote_refs(payload, payload["detractors"]),
            )
        )
    key_detractors = [
        s
        for s in payload["stakeholders"]
        if s["stance"] == "detractor" and not s["departed"] and key_roles & set(s["roles"])
    ]
    if key_detractors:
        alerts.append(
            AlertCandidate(
                kind="risk",
                type="detractors",
                reason="key_stakeholder_detractor",
                severity="high",
                title="Detractor in a key role: "
                + ", ".join(f"{s['name']} ({', '.join(s['roles'])})" for s in key_detractors),
                detail={"contacts": [s["contact"] for s in key_detractors]},
                facts={"people": [{"name": s["name"], "roles": list(s["roles"])} for s in key_detractors]},
                evidence=_quote_refs(payload, [s["contact"] for s in key_detractors]),
            )
        )
    strong = _strong_statements(state, config.escalation_at, config.escalation_recent_days)
    if strong:
        alerts.append(
            AlertCandidate(
                kind="risk",
                type="escalation",
                reason="strongly_negative_statement",
                severity="high",
                title=f"Strongly negative words from {', '.join(sorted({name for name, *_ in strong}))}",
                detail={"quotes": [{"contact": n, "quote": q, "sentiment": v} for n, q, v, _ in strong[:3]]},
                facts={"people": sorted({name for name, *_ in strong})},
                evidence=list(dict.fromkeys(ref for *_, ref in strong))[:5],
            )
        )
    if payload["cancel_intent"]:
        alerts.append(
            AlertCandidate(
                kind="risk",
                type="cancel_intent",
                reason="stated_cancel_intent",
                severity="critical",
                title="A customer said they want to cancel or not renew",
                detail={"sources": payload["cancel_intent"]},
                evidence=payload["cancel_intent"][:5],
            )
        )
    return {"agent": AGENT, "alerts": alerts, "movements": []}


def _strong_statements(state: SentimentState, at: float, days: int) -> list[tuple[str, str, float, str]]:
    """Recent statements at or below ``at`` by active customer contacts: threats, ultimatums, insults."""
    contacts = {c.id: c for c in state["contacts"] if c.status == "active"}
    out = []
    for ref, day, reading in state.get("readings", []):
        if (state["as_of"] - day).days > days:
            continue
        for s in reading.statements:
            who = contacts.get(s.contact_id) if s.contact_id is not None else None
            if who is not None and s.sentiment <= at:
                out.append((who.name or who.external_id, s.quote, s.sentiment, ref))
    return sorted(out, key=lambda item: (item[2], item[3]))


def _quote_refs(payload: dict[str, Any], contacts: list[str]) -> list[str]:
    refs = []
    for s in payload["stakeholders"]:
        if s["contact"] in contacts:
            refs += [q["source"] for q in s["quotes"]]
    return list(dict.fromkeys(refs))[:5] or [f"contact {c}" for c in contacts[:5]]


def builder() -> StateGraph:
    graph = StateGraph(
        SentimentState, context_schema=WatchtowerContext, input_schema=WatchtowerInput, output_schema=WatchtowerResult
    )
    graph.add_node("gather", gather)
    graph.add_node("read_texts", read_texts)
    graph.add_node("build_map", build_map)
    graph.add_node("raise_alerts", raise_alerts)
    graph.add_edge(START, "gather")
    graph.add_edge("read_texts", "build_map")
    graph.add_edge("build_map", "raise_alerts")
    graph.add_edge("raise_alerts", END)
    return graph


def build_graph(checkpointer: Any = None, store: Any = None) -> CompiledStateGraph:
    return builder().compile(checkpointer=checkpointer, store=store)
