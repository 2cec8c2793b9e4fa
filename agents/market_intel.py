"""Market-intel watchtower: news, job changes and CRM changes in, a stakeholder movement log and alerts out.

gather -> read_news (the LLM step, or its rule path) -> log_movements -> raise_alerts.
People are matched to the account's contacts by name; a departure of someone
in a key role within the look-back raises an alert (champion left feeds the
champion-departure play).
"""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph
from langgraph.runtime import Runtime
from langgraph.types import Command

from agents.state import AlertCandidate, Movement, WatchtowerContext, WatchtowerInput, WatchtowerResult, combine_paths
from agents.text_reading import NewsReading, check_news, read_news_rules
from prompts.loader import load_prompt, untrusted
from signals.departures import read_movement
from tools.records import AccountProfile, ContactRecord, InteractionRecord, MarketSignalRecord
from tools.registry import tools_for, use

AGENT = "market_intel"
#: Market signal kinds that can name a person moving; funding and office news are not read for movements.
PEOPLE_KINDS = frozenset({"job_change", "news", "people", "leadership"})


class MarketIntelState(WatchtowerInput, WatchtowerResult, total=False):
    account: AccountProfile
    contacts: list[ContactRecord]
    signals: list[MarketSignalRecord]
    emails: list[InteractionRecord]
    news: list[tuple[MarketSignalRecord, NewsReading]]
    paths: list[str]


def gather(
    state: MarketIntelState, runtime: Runtime[WatchtowerContext]
) -> Command[Literal["read_news", "log_movements"]]:
    tools = tools_for(AGENT, runtime.context.conn, state["account_id"], state["as_of"])
    days = runtime.context.config.market_intel.lookback_days
    signals = use(tools, "read_market_signals", days=365)
    update = {
        "account": use(tools, "read_account"),
        "contacts": use(tools, "read_contacts"),
        "signals": signals,
        "emails": [i for i in use(tools, "read_interactions", days=days) if i.kind == "email" and i.body],
    }
    people_news = any(s.kind in PEOPLE_KINDS for s in signals)
    return Command(goto="read_news" if people_news else "log_movements", update=update)


def read_news(state: MarketIntelState, runtime: Runtime[WatchtowerContext]) -> dict[str, Any]:
    reader = runtime.context.reader
    prompt = load_prompt("read_news")
    company = state["account"].name
    news, paths = [], []
    for item in state["signals"]:
        if item.kind not in PEOPLE_KINDS:
            continue
        text = f"{item.title}. {item.body or ''}"
        result = reader.read(
            step="read_news",
            prompt=prompt,
            variables={
                "company": company,
                "published_on": item.published_on.isoformat(),
                "text": untrusted(text, source=f"market_signal {item.external_id}"),
            },
            schema=NewsReading,
            deterministic=lambda item=item: read_news_rules(item, company),
            check=lambda reading, text=text: check_news(reading, text),
        )
        news.append((item, result.output))
        paths.append(result.produced_by)
    return {"news": news, "paths": paths}


def log_movements(state: MarketIntelState) -> dict[str, Any]:
    contacts = state["contacts"]
    by_name = {c.name.lower(): c for c in contacts if c.name}
    by_id = {c.id: c for c in contacts}
    movements: list[Movement] = []
    for c in contacts:
        if c.status == "departed" and c.departed_on is not None:
            movements.append(
                Movement(
                    contact_id=c.id,
                    person=c.name or c.external_id,
                    roles=c.roles,
                    movement="departed",
                    occurred_on=c.departed_on,
                    source=f"contact:{c.external_id}",
                )
            )
    for item, reading in state.get("news", []):
        if reading.movement == "none" or not reading.person:
            continue
        who = by_name.get(reading.person.lower()) or (by_id.get(item.contact_id) if item.contact_id else None)
        movements.append(
            Movement(
                contact_id=who.id if who else None,
                person=reading.person,
                roles=who.roles if who else [],
                movement=reading.movement,
                occurred_on=item.published_on,
                new_company=reading.new_company,
                source=f"market_signal:{item.external_id}",
                quote=reading.quote or None,
            )
        )
    for email in state["emails"]:
        reading = read_movement(email.body or "")
        if reading.movement != "departed" or len(email.contact_ids) != 1:
            continue  # a farewell is only placed when exactly one customer is on the thread
        who = by_id.get(email.contact_ids[0])
        if who is None:
            continue
        movements.append(
            Movement(
                contact_id=who.id,
                person=who.name or who.external_id,
                roles=who.roles,
                movement="departed",
                occurred_on=email.occurred_at.date(),
                source=f"interaction:{email.external_id}",
                quote=reading.quote,
            )
        )
    return {"movements": movements, "produced_by": combine_paths(state.get("paths", []))}


def raise_alerts(state: MarketIntelState, runtime: Runtime[WatchtowerContext]) -> dict[str, Any]:
    config = runtime.context.config.market_intel
    as_of: date = state["as_of"]
    key_roles = set(config.key_roles)
    recent = [
        m
        for m in state["movements"]
        if m.movement == "departed"
        and 0 <= (as_of - m.occurred_on).days <= config.lookback_days
        and key_roles & set(m.roles)
    ]
    alerts = []
    for kind, reason, roles in (
        ("champion_departure", "champion_left", {"champion"}),
        ("stakeholder_departure", "sponsor_left", key_roles - {"champion"}),
    ):
        gone = [m for m in recent if roles & set(m.roles)]
        if not gone:
            continue
        people = sorted({m.person for m in gone})
        alerts.append(
            AlertCandidate(
                kind="risk",
                type=kind,
                reason=reason,
                severity="critical" if kind == "champion_departure" else "high",
                title=f"{', '.join(people)} left ({', '.join(sorted({r for m in gone for r in m.roles}))})",
                detail={"people": people, "departed_on": min(m.occurred_on for m in gone).isoformat()},
                facts={"people": people, "roles": sorted({r for m in gone for r in m.roles})},
                evidence=sorted({m.source.replace(":", " ", 1) for m in gone}),
            )
        )
    payload = {
        "movements": [m.model_dump(mode="json") for m in state["movements"]],
        "signals_read": len(state.get("news", [])),
    }
    return {"agent": AGENT, "payload": payload, "alerts": alerts}


def builder() -> StateGraph:
    graph = StateGraph(
        MarketIntelState, context_schema=WatchtowerContext, input_schema=WatchtowerInput, output_schema=WatchtowerResult
    )
    graph.add_node("gather", gather)
    graph.add_node("read_news", read_news)
    graph.add_node("log_movements", log_movements)
    graph.add_node("raise_alerts", raise_alerts)
    graph.add_edge(START, "gather")
    graph.add_edge("read_news", "log_movements")
    graph.add_edge("log_movements", "raise_alerts")
    graph.add_edge("raise_alerts", END)
    return graph


def build_graph(checkpointer: Any = None, store: Any = None) -> CompiledStateGraph:
    return builder().compile(checkpointer=checkpointer, store=store)
