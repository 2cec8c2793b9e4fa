"""The documents renewal rituals need, drafted from computed facts: readiness report, value recap, offer sheet
and approvals checklist.

Each is a template in ``prompts/templates/artifact_<kind>.md``. A builder per kind reads the facts into a
typed record of raw values (``ReadinessFacts``, ``ValueRecapFacts``, ``OfferSheetFacts``,
``ChecklistFacts``); a renderer prints the record into the template's values (lists as Markdown lines). The
record is stored with the document as its ``facts``, the one reference its faithfulness is checked
against. A model, when configured, may rewrite the prose under the drafter's check. One artifact per run
and kind: drafting again keeps the first unless asked to refresh it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Connection, delete, insert, select

from actions.deferred_drafts import note_placed
from actions.drafting import AlertFacts, Drafter, alert_facts
from core.models import Artifact, Offer, PlayRun, Scorecard
from playbooks.facts import AccountFacts, ContractTerm
from playbooks.play_config import PlayBook
from prompts.templates import load_template

ARTIFACT = Artifact.__table__  # type: ignore[attr-defined]
TITLES = {
    "readiness_report": "Renewal readiness report",
    "value_recap": "Value recap",
    "offer_sheet": "Offer sheet",
    "approvals_checklist": "Approvals checklist",
}
#: The health model's trend window: a scorecard's trend is its score against this many days before.
TREND_DAYS = 30
#: The scale account sentiment is measured on.
SENTIMENT_LOWEST, SENTIMENT_HIGHEST = -1, 1


class DocumentFacts(BaseModel):
    """What every renewal document states: whose it is, the meeting it is for, when, and the renewal."""

    model_config = ConfigDict(frozen=True)

    account_name: str
    account_id: str
    ritual: str = Field(description="The meeting the document is prepared for (Preview, Value proof ...).")
    as_of: date
    renewal_on: date | None = None
    arr: float | None = None


class ReasonFacts(BaseModel):
    """A scorecard reason: the signal's label (or a cap's configured wording), quoted, and its raw values."""

    quoted: list[str]
    before: float | None = None
    after: float | None = None
    #: The signal's unit: "days" makes ``before`` and ``after`` day counts for the faithfulness check.
    unit: str | None = None


class Stakeholder(BaseModel):
    name: str
    roles: list[str]


class OpenPlay(BaseModel):
    play: str
    started_on: date


class ReadinessFacts(DocumentFacts):
    band: str | None = None
    score: float | None = None
    trend: float | None = None
    trend_days: int = TREND_DAYS
    reasons: list[ReasonFacts] = Field(default_factory=list)
    alerts: list[AlertFacts] = Field(default_factory=list)
    stakeholders: list[Stakeholder] = Field(default_factory=list)
    champion_present: bool = False
    days_since_engagement: int | None = None
    open_plays: list[OpenPlay] = Field(default_factory=list)


class ValueRecapFacts(DocumentFacts):
    usage_now: float | None = None
    usage_before: float | None = None
    seat_usage: float | None = Field(None, description="Share of plan seats in use, as a ratio.")
    feature_breadth: float | None = None
    login_frequency: float | None = None
    departments_now: float | None = None
    account_sentiment: float | None = None
    sentiment_lowest: int = SENTIMENT_LOWEST
    sentiment_highest: int = SENTIMENT_HIGHEST


class ContractFacts(BaseModel):
    external_id: str
    arr: float
    end_date: date
    seats: int | None = None
    products: list[str] = Field(default_factory=list)


class OfferFacts(BaseModel):
    id: int
    kind: str
    terms: dict[str, Any]
    arr_impact: float | None = None
    status: str


class OfferSheetFacts(DocumentFacts):
    contract: ContractFacts | None = None
    offers: list[OfferFacts] = Field(default_factory=list)


class ChecklistFacts(DocumentFacts):
    pending: list[OfferFacts] = Field(default_factory=list)


def ritual_of(playbook: PlayBook, kind: str) -> str:
    """The title of the ritual a document is prepared for; a kind no ritual lists is for the renewal."""
    return next((r.title for r in playbook.rituals.values() if kind in r.artifacts), "renewal")


def _lines(items: list[str], empty: str) -> str:
    return "\n".join(f"- {item}" for item in items) if items else f"- {empty}"


def _reasons(conn: Connection, account_id: int, as_of: date) -> list[tuple[str, ReasonFacts]]:
    """The latest scorecard's reasons: each one's text as the scorecard wrote it, and what it was printed from."""
    row = conn.execute(
        select(Scorecard.reasons)
        .where(Scorecard.account_id == account_id, Scorecard.as_of <= as_of)
        .order_by(Scorecard.as_of.desc())
        .limit(1)
    ).scalar_one_or_none()
    out = []
    for r in (row or [])[:5]:
        if not r.get("text"):
            continue
        # A cap's or floor's text is the health model's own wording; a change names a signal by its label.
        quoted = [r["text"]] if r.get("kind") in ("cap", "floor") else [r["label"]] if r.get("label") else []
        facts = ReasonFacts(quoted=quoted, before=r.get("before"), after=r.get("after"), unit=r.get("unit"))
        out.append((r["text"], facts))
    return out


def _offers(conn: Connection, account_id: int) -> list[OfferFacts]:
    return [
        OfferFacts(
            id=r.id,
            kind=r.kind,
            terms=dict(r.terms or {}),
            arr_impact=float(r.arr_impact) if r.arr_impact is not None else None,
            status=r.status,
        )
        for r in conn.execute(
            select(Offer.id, Offer.kind, Offer.terms, Offer.arr_impact, Offer.status)
            .where(Offer.account_id == account_id, Offer.status.not_in(("withdrawn",)))
            .order_by(Offer.id)
        )
    ]


def _open_plays(conn: Connection, account_id: int) -> list[OpenPlay]:
    rows = conn.execute(
        select(PlayRun.play, PlayRun.started_on).where(
            PlayRun.account_id == account_id, PlayRun.status != "closed", PlayRun.play != "renewal_timeline"
        )
    )
    return [OpenPlay(play=r.play, started_on=r.started_on) for r in rows]


def _offer_line(offer: OfferFacts) -> str:
    terms = ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in sorted(offer.terms.items()))
    impact = f"; ARR impact ${offer.arr_impact:,.2f}" if offer.arr_impact is not None else ""
    return f"Offer {offer.id}: {offer.kind} ({terms}){impact}; status {offer.status}"


def _base(
    account: AccountFacts, facts: dict[str, Any], contract: ContractTerm | None, ritual: str, as_of: date
) -> dict:
    return {
        "account_name": account.name,
        "account_id": account.external_id,
        "ritual": ritual,
        "as_of": as_of,
        "renewal_on": contract.end_date if contract else facts.get("renewal_on"),
        "arr": facts.get("arr"),
    }


def _readiness(
    conn: Connection, account: AccountFacts, facts: dict[str, Any], base: dict, as_of: date
) -> tuple[ReadinessFacts, dict[str, str]]:
    alerts = facts.get("alert") or {}
    reasons = _reasons(conn, account.account_id, as_of)
    record = ReadinessFacts(
        **base,
        band=facts.get("band"),
        score=facts.get("score"),
        trend=facts.get("trend"),
        reasons=[r for _, r in reasons],
        alerts=[alert_facts(kind, a) for kind, a in alerts.items()],
        stakeholders=[
            Stakeholder(name=p.name or p.external_id, roles=list(p.roles))
            for p in account.contacts
            if p.active and set(p.roles) & {"champion", "executive_sponsor", "economic_buyer"}
        ],
        champion_present=bool(facts.get("champion_present")),
        days_since_engagement=facts.get("days_since_engagement"),
        open_plays=_open_plays(conn, account.account_id),
    )
    trend = record.trend
    return record, {
        "health": (
            f"{record.band}, score {record.score:.0f}"
            + (f", {trend:+.0f} points over {record.trend_days} days" if trend is not None else "")
            if record.score is not None
            else "no current scorecard"
        ),
        "reasons": _lines([text for text, _ in reasons], "no change since the previous scorecard"),
        "risks": _lines([a["title"] for a in alerts.values()], "no open alerts"),
        "stakeholders": _lines(
            [f"{p.name} ({', '.join(r.replace('_', ' ') for r in p.roles)})" for p in record.stakeholders],
            "no champion, sponsor or buyer on file: find one",
        ),
        "champion": "present" if record.champion_present else "missing",
        "engagement": (
            f"last customer contact {record.days_since_engagement} days ago"
            if record.days_since_engagement is not None
            else "no customer contact on record"
        ),
        "open_plays": _lines([f"{p.play.replace('_', ' ')} since {p.started_on}" for p in record.open_plays], "none"),
    }


def _value_recap(
    conn: Connection, account: AccountFacts, facts: dict[str, Any], base: dict, as_of: date
) -> tuple[ValueRecapFacts, dict[str, str]]:
    product = facts.get("product_health") or {}
    signals = facts.get("signal") or {}
    r = ValueRecapFacts(
        **base,
        usage_now=product.get("usage_now"),
        usage_before=product.get("usage_before"),
        seat_usage=product.get("plan_seat_usage"),
        feature_breadth=signals.get("feature_breadth"),
        login_frequency=signals.get("login_frequency"),
        departments_now=product.get("departments_now"),
        account_sentiment=(facts.get("sentiment") or {}).get("account_sentiment"),
    )
    items = []
    if r.usage_now is not None:
        before = f" (four weeks before: {r.usage_before:.0f})" if r.usage_before is not None else ""
        items.append(f"Active users a week: {r.usage_now:.0f}{before}")
    if r.seat_usage is not None:
        items.append(f"Plan seats in use: {r.seat_usage * 100:.0f}%")
    if r.feature_breadth is not None:
        items.append(f"Features in regular use: {r.feature_breadth:.0f}")
    if r.login_frequency is not None:
        items.append(f"Logins per user a month: {r.login_frequency:.1f}")
    if r.departments_now is not None:
        items.append(f"Departments using the product: {r.departments_now:.0f}")
    if r.account_sentiment is not None:
        items.append(
            f"Account sentiment: {r.account_sentiment:+.2f} on a scale of {r.sentiment_lowest} to {r.sentiment_highest}"
        )
    return r, {"adoption": _lines(items, "no usage data on record")}


def _offer_sheet(
    conn: Connection, account: AccountFacts, contract: ContractTerm | None, base: dict
) -> tuple[OfferSheetFacts, dict[str, str]]:
    record = OfferSheetFacts(
        **base,
        contract=ContractFacts(
            external_id=contract.external_id,
            arr=contract.arr,
            end_date=contract.end_date,
            seats=contract.seats,
            products=list(contract.products),
        )
        if contract
        else None,
        offers=_offers(conn, account.account_id),
    )
    c = record.contract
    term = (
        f"Contract {c.external_id}: ${c.arr:,.0f} ARR, ends {c.end_date}"
        + (f", {c.seats} seats" if c.seats else "")
        + (f", products {', '.join(c.products)}" if c.products else "")
        if c
        else "no contract on file"
    )
    return record, {
        "current_term": term,
        "offers": _lines([_offer_line(o) for o in record.offers], "no offer proposed yet"),
    }


def _approvals(conn: Connection, account: AccountFacts, base: dict) -> tuple[ChecklistFacts, dict[str, str]]:
    record = ChecklistFacts(**base, pending=[o for o in _offers(conn, account.account_id) if o.status == "proposed"])
    return record, {"pending": _lines([_offer_line(o) for o in record.pending], "nothing awaits approval")}


def document_facts(
    kind: str,
    conn: Connection,
    account: AccountFacts,
    facts: dict[str, Any],
    contract: ContractTerm | None,
    *,
    ritual: str,
    as_of: date,
) -> tuple[DocumentFacts, dict[str, str]]:
    """A document's record and the template values printed from it."""
    base = _base(account, facts, contract, ritual, as_of)
    builders: dict[str, Callable[[], tuple[DocumentFacts, dict[str, str]]]] = {
        "readiness_report": lambda: _readiness(conn, account, facts, base, as_of),
        "value_recap": lambda: _value_recap(conn, account, facts, base, as_of),
        "offer_sheet": lambda: _offer_sheet(conn, account, contract, base),
        "approvals_checklist": lambda: _approvals(conn, account, base),
    }
    record, values = builders[kind]()
    printed = {
        "account_name": record.account_name,
        "account_id": record.account_id,
        "ritual": record.ritual,
        "as_of": record.as_of.isoformat(),
        "renewal_date": record.renewal_on.strftime("%d %B %Y") if record.renewal_on else "not set",
        **({"arr": f"${record.arr:,.0f}"} if record.arr is not None else {}),
    }
    return record, {**printed, **values}


def write_artifacts(
    conn: Connection,
    drafter: Drafter,
    *,
    kinds: list[str],
    run_id: int,
    account: AccountFacts,
    facts: dict[str, Any],
    contract: ContractTerm | None,
    ritual: str,
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
        record, values = document_facts(kind, conn, account, facts, contract, ritual=ritual, as_of=as_of)
        drafted = drafter.draft(
            load_template(f"artifact_{kind}"), values, facts=record, purpose=f"{TITLES[kind]} for a renewal"
        )
        artifact_id = conn.execute(
            insert(ARTIFACT)
            .values(
                account_id=account.account_id,
                contract_id=contract.id if contract else None,
                run_id=run_id,
                kind=kind,
                title=drafted.subject[:255],
                content=drafted.body,
                facts=drafted.facts,
                produced_by=drafted.produced_by,
                generated_on=as_of,
            )
            .returning(ARTIFACT.c.id)
        ).scalar_one()
        note_placed(drafter, drafted, "artifact", artifact_id)
        made.append({"kind": kind, "artifact_id": artifact_id})
    return made
