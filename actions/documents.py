"""The documents renewal rituals need, drafted from computed facts: readiness report, value recap, offer sheet
and approvals checklist.

Each is a template in ``prompts/templates/artifact_<kind>.md`` filled with
values computed here (lists are rendered as Markdown lines). A model, when
configured, may rewrite the prose under the drafter's faithfulness check.
One artifact per run and kind: drafting again keeps the first unless asked to
refresh it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from sqlalchemy import Connection, delete, insert, select

from actions.deferred_drafts import note_placed
from actions.drafting import Drafter, template_values
from core.models import Artifact, Offer, PlayRun, Scorecard
from playbooks.facts import AccountFacts, ContractTerm
from prompts.templates import load_template

ARTIFACT = Artifact.__table__  # type: ignore[attr-defined]
TITLES = {
    "readiness_report": "Renewal readiness report",
    "value_recap": "Value recap",
    "offer_sheet": "Offer sheet",
    "approvals_checklist": "Approvals checklist",
}


def _lines(items: list[str], empty: str) -> str:
    return "\n".join(f"- {item}" for item in items) if items else f"- {empty}"


def _reasons(conn: Connection, account_id: int, as_of: date) -> list[str]:
    row = conn.execute(
        select(Scorecard.reasons)
        .where(Scorecard.account_id == account_id, Scorecard.as_of <= as_of)
        .order_by(Scorecard.as_of.desc())
        .limit(1)
    ).scalar_one_or_none()
    return [r["text"] for r in (row or [])[:5] if r.get("text")]


def _offers(conn: Connection, account_id: int) -> list[dict[str, Any]]:
    return [
        dict(r)
        for r in conn.execute(
            select(Offer.id, Offer.kind, Offer.terms, Offer.arr_impact, Offer.status, Offer.rationale)
            .where(Offer.account_id == account_id, Offer.status.not_in(("withdrawn",)))
            .order_by(Offer.id)
        ).mappings()
    ]


def _open_plays(conn: Connection, account_id: int) -> list[str]:
    rows = conn.execute(
        select(PlayRun.play, PlayRun.started_on).where(
            PlayRun.account_id == account_id, PlayRun.status != "closed", PlayRun.play != "renewal_timeline"
        )
    )
    return [f"{r.play.replace('_', ' ')} since {r.started_on}" for r in rows]


def _offer_line(offer: dict[str, Any]) -> str:
    terms = ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in sorted(offer["terms"].items()))
    impact = f"; ARR impact ${offer['arr_impact']:,.2f}" if offer["arr_impact"] is not None else ""
    return f"Offer {offer['id']}: {offer['kind']} ({terms}){impact}; status {offer['status']}"


def _readiness(conn: Connection, account: AccountFacts, facts: dict[str, Any], as_of: date) -> dict[str, str]:
    alerts = facts.get("alert") or {}
    people = [
        f"{p.name} ({', '.join(r.replace('_', ' ') for r in p.roles)})"
        for p in account.contacts
        if p.active and set(p.roles) & {"champion", "executive_sponsor", "economic_buyer"}
    ]
    trend = facts.get("trend")
    return {
        "health": (
            f"{facts['band']}, score {facts['score']:.0f}"
            + (f", {trend:+.0f} points over 30 days" if trend is not None else "")
            if facts.get("score") is not None
            else "no current scorecard"
        ),
        "reasons": _lines(_reasons(conn, account.account_id, as_of), "no change since the previous scorecard"),
        "risks": _lines([a["title"] for a in alerts.values()], "no open alerts"),
        "stakeholders": _lines(people, "no champion, sponsor or buyer on file: find one"),
        "champion": "present" if facts.get("champion_present") else "missing",
        "engagement": (
            f"last customer contact {facts['days_since_engagement']} days ago"
            if facts.get("days_since_engagement") is not None
            else "no customer contact on record"
        ),
        "open_plays": _lines(_open_plays(conn, account.account_id), "none"),
    }


def _value_recap(conn: Connection, account: AccountFacts, facts: dict[str, Any], as_of: date) -> dict[str, str]:
    product = facts.get("product_health") or {}
    signals = facts.get("signal") or {}
    items = []
    if product.get("usage_now") is not None:
        items.append(
            f"Active users a week: {product['usage_now']:.0f} (four weeks before: {product['usage_before']:.0f})"
        )
    if product.get("plan_seat_usage") is not None:
        items.append(f"Plan seats in use: {product['plan_seat_usage'] * 100:.0f}%")
    if signals.get("feature_breadth") is not None:
        items.append(f"Features in regular use: {signals['feature_breadth']:.0f}")
    if signals.get("login_frequency") is not None:
        items.append(f"Logins per user a month: {signals['login_frequency']:.1f}")
    if product.get("departments_now") is not None:
        items.append(f"Departments using the product: {product['departments_now']:.0f}")
    sentiment = facts.get("sentiment") or {}
    if sentiment.get("account_sentiment") is not None:
        items.append(f"Account sentiment: {sentiment['account_sentiment']:+.2f} on a scale of -1 to 1")
    return {"adoption": _lines(items, "no usage data on record")}


def _offer_sheet(
    conn: Connection, account: AccountFacts, facts: dict[str, Any], contract: ContractTerm | None
) -> dict[str, str]:
    term = (
        f"Contract {contract.external_id}: ${contract.arr:,.0f} ARR, ends {contract.end_date}"
        + (f", {contract.seats} seats" if contract.seats else "")
        + (f", products {', '.join(contract.products)}" if contract.products else "")
        if contract
        else "no contract on file"
    )
    return {
        "current_term": term,
        "offers": _lines([_offer_line(o) for o in _offers(conn, account.account_id)], "no offer proposed yet"),
    }


def _approvals(conn: Connection, account: AccountFacts) -> dict[str, str]:
    pending = [o for o in _offers(conn, account.account_id) if o["status"] == "proposed"]
    return {"pending": _lines([_offer_line(o) for o in pending], "nothing awaits approval")}


def _values(
    kind: str,
    conn: Connection,
    account: AccountFacts,
    facts: dict[str, Any],
    contract: ContractTerm | None,
    as_of: date,
) -> dict[str, str]:
    builders: dict[str, Callable[[], dict[str, str]]] = {
        "readiness_report": lambda: _readiness(conn, account, facts, as_of),
        "value_recap": lambda: _value_recap(conn, account, facts, as_of),
        "offer_sheet": lambda: _offer_sheet(conn, account, facts, contract),
        "approvals_checklist": lambda: _approvals(conn, account),
    }
    return builders[kind]()


def write_artifacts(
    conn: Connection,
    drafter: Drafter,
    *,
    kinds: list[str],
    run_id: int,
    account: AccountFacts,
    facts: dict[str, Any],
    contract: ContractTerm | None,
    as_of: date,
    refresh: bool = False,
) -> list[dict[str, Any]]:
    """Draft each artifact once per run; ``refresh`` replaces existing ones with a draft from today's facts."""
    made = []
    for kind in kinds:
        found = conn.execute(
            select(ARTIFACT.c.id).where(ARTIFACT.c.run_id == run_id, ARTIFACT.c.kind == kind)
        ).scalar_one_or_none()
        if found is not None and not refresh:
            made.append({"kind": kind, "artifact_id": found})
            continue
        if found is not None:
            conn.execute(delete(ARTIFACT).where(ARTIFACT.c.id == found))
        base = {**template_values(account, facts, play_name="Renewal"), "renewal_date": _renewal_date(contract, facts)}
        values = {**base, **_values(kind, conn, account, facts, contract, as_of), "as_of": as_of.isoformat()}
        drafted = drafter.draft(load_template(f"artifact_{kind}"), values, purpose=f"{TITLES[kind]} for a renewal")
        artifact_id = conn.execute(
            insert(ARTIFACT)
            .values(
                account_id=account.account_id,
                contract_id=contract.id if contract else None,
                run_id=run_id,
                kind=kind,
                title=drafted.subject[:255],
                content=drafted.body,
                facts=values,
                produced_by=drafted.produced_by,
                generated_on=as_of,
            )
            .returning(ARTIFACT.c.id)
        ).scalar_one()
        note_placed(drafter, drafted, "artifact", artifact_id)
        made.append({"kind": kind, "artifact_id": artifact_id})
    return made


def _renewal_date(contract: ContractTerm | None, facts: dict[str, Any]) -> str:
    day = contract.end_date if contract else facts.get("renewal_on")
    return day.strftime("%d %B %Y") if day else "not set"
