"""The facts play conditions read: one namespace per account (and per contract) as of a date.

Built in a handful of queries per chunk of accounts from what the upstream
stages stored: the latest scorecard, open alerts, the watchtowers' latest
outputs, contracts, contacts and the last customer interaction. Plays never
read source rows for their decisions any other way, so the vocabulary below is
the whole of what a trigger, qualification or branch can look at.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Connection, and_, func, or_, select

from core.models import Account as AccountRow
from core.models import AgentOutput, Alert, Contact, Contract, Interaction, PlayEvent, Scorecard

#: Every flat fact, with what it means; ``watchtower plays facts`` prints this list.
FACTS: dict[str, str] = {
    "arr": "the account's ARR",
    "segment": "the account's segment",
    "plan": "the account's plan",
    "seats_purchased": "seats in the account's plan",
    "churned": "true when the account left on or before the date",
    "days_as_customer": "days since the account became a customer",
    "scored": "true when a scorecard no older than the limit exists",
    "score": "latest health score, 0-100",
    "band": "latest health band (Green, Yellow, Orange, Red by default)",
    "trend": "score change against 30 days before the latest scorecard",
    "previous_score": "the score 30 days before the latest scorecard",
    "completeness": "share of the health model that had data",
    "csm_band": "the CSM's own band, while it is current",
    "days_since_engagement": "days since the last customer call, meeting, QBR or inbound email",
    "engaged": "true when the customer engaged within the engagement window",
    "champion_present": "true when an active contact holds the champion role",
    "days_since_qbr": "days since the last QBR",
    "days_to_renewal": "days until the next contract end (or this contract's, for the renewal timeline)",
    "renewal_on": "the next contract end date",
    "renewal_arr": "ARR of the contract that renews next",
    "renewed": "true when a later contract starts after the renewing one ends",
    "day": "inside a play: the run's day in its current track (the day it opened is day 1)",
    "days_in_run": "inside a play: days since the run opened",
    "responded": "inside a play: the customer replied (inbound email, call, meeting) since the run opened",
    "responded_on": "inside a play: the date of that reply",
}
#: Facts under a prefix: ``alert.<type>`` is the open alert of that type (severity, reason, days_open and its
#: detail fields), ``signal.<name>`` a health-model signal's value, ``<agent>.<field>`` a watchtower measure.
PREFIXES: dict[str, str] = {
    "alert.": "alert.<type> is the open alert of that type, with .severity, .days_open and its detail fields",
    "signal.": "signal.<health model signal> is that signal's value on the latest scorecard",
    "product_health.": "product_health.<measure>, e.g. usage_change, plan_seat_usage, power_users_now",
    "sentiment.": "sentiment.<measure>, e.g. account_sentiment, detractor_share",
    "financial.": "financial.open_amount",
    "market_intel.": "market_intel.signals_read",
}
RESPONSE_KINDS = ("call", "meeting", "qbr")
_SEVERITY_RANK = {"critical": 0, "high": 1, "medium": 2, "low": 3}


@dataclass(frozen=True)
class Person:
    id: int
    external_id: str
    name: str | None
    email: str | None
    roles: tuple[str, ...]
    department: str | None
    active: bool


@dataclass(frozen=True)
class ContractTerm:
    id: int
    external_id: str
    start_date: date
    end_date: date
    arr: float
    status: str
    seats: int | None
    products: tuple[str, ...]


@dataclass
class AccountFacts:
    """One account's facts on one date, plus the people and contracts plays address."""

    account_id: int
    external_id: str
    name: str
    owner_csm: str | None
    values: dict[str, Any]
    contacts: list[Person] = field(default_factory=list)
    contracts: list[ContractTerm] = field(default_factory=list)
    alert_ids: dict[str, list[int]] = field(default_factory=dict)

    def for_contract(self, contract: ContractTerm, as_of: date) -> dict[str, Any]:
        """The account's facts with the renewal facts of this contract in place of the next one's."""
        later = [c for c in self.contracts if c.start_date > contract.start_date and c.id != contract.id]
        return {
            **self.values,
            "days_to_renewal": (contract.end_date - as_of).days,
            "renewal_on": contract.end_date,
            "renewal_arr": contract.arr,
            "renewed": any(c.start_date >= contract.end_date - timedelta(days=31) for c in later)
            or contract.status == "renewed",
        }

    def people_with(self, roles: tuple[str, ...] | list[str]) -> list[Person]:
        """Active contacts with an email holding any of ``roles``, in the order the roles are listed."""
        found: list[Person] = []
        for role in roles:
            found += [p for p in self.contacts if p.active and p.email and role in p.roles and p not in found]
        return found


def _eod(day: date) -> datetime:
    return datetime.combine(day, time.max, tzinfo=UTC)


def load_facts(
    conn: Connection,
    account_ids: list[int],
    as_of: date,
    *,
    scorecard_max_age_days: int = 35,
    engagement_days: int = 45,
) -> dict[int, AccountFacts]:
    """Facts for a chunk of accounts; queries are bounded by ``as_of`` except open alerts, which are current."""
    if not account_ids:
        return {}
    out: dict[int, AccountFacts] = {}
    for r in conn.execute(select(AccountRow).where(AccountRow.id.in_(account_ids))).mappings():
        churned = r["churned_on"] is not None and r["churned_on"] <= as_of
        out[r["id"]] = AccountFacts(
            account_id=r["id"],
            external_id=r["external_id"],
            name=r["name"],
            owner_csm=r["owner_csm"],
            values={
                "arr": float(r["arr"]) if r["arr"] is not None else None,
                "segment": r["segment"],
                "plan": r["plan"],
                "seats_purchased": r["seats_purchased"],
                "churned": churned,
                "days_as_customer": (as_of - r["customer_since"]).days if r["customer_since"] else None,
            },
        )
    ids = list(out)
    _add_scorecards(conn, out, ids, as_of, scorecard_max_age_days)
    _add_alerts(conn, out, ids, as_of)
    _add_outputs(conn, out, ids, as_of)
    _add_contacts(conn, out, ids, as_of)
    _add_contracts(conn, out, ids, as_of)
    _add_engagement(conn, out, ids, as_of, engagement_days)
    return out


def _add_scorecards(conn: Connection, out: dict[int, AccountFacts], ids: list[int], as_of: date, max_age: int) -> None:
    latest = (
        select(Scorecard.account_id, func.max(Scorecard.as_of).label("as_of"))
        .where(
            Scorecard.account_id.in_(ids),
            Scorecard.as_of <= as_of,
            Scorecard.as_of > as_of - timedelta(days=max_age),
        )
        .group_by(Scorecard.account_id)
        .subquery()
    )
    rows = conn.execute(
        select(Scorecard).join(
            latest, and_(Scorecard.account_id == latest.c.account_id, Scorecard.as_of == latest.c.as_of)
        )
    ).mappings()
    for facts in out.values():
        facts.values.update(dict.fromkeys(("score", "band", "trend", "previous_score", "completeness", "csm_band")))
        facts.values.update(scored=False, signal={})
    for r in rows:
        values = out[r["account_id"]].values
        values.update(
            scored=True,
            score=r["score"],
            band=r["band"],
            trend=r["trend"],
            previous_score=r["previous_score"],
            completeness=r["completeness"],
            csm_band=r["csm_band"],
            scored_on=r["as_of"],
            signal={c["signal"]: c["value"] for c in r["contributions"] or []},
        )


def _add_alerts(conn: Connection, out: dict[int, AccountFacts], ids: list[int], as_of: date) -> None:
    rows = conn.execute(
        select(Alert).where(Alert.account_id.in_(ids), Alert.status == "open", Alert.opened_on <= as_of)
    ).mappings()
    alerts: dict[int, dict[str, dict[str, Any]]] = defaultdict(dict)
    for r in sorted(rows, key=lambda r: (_SEVERITY_RANK.get(r["severity"], 9), r["id"])):
        facts = out[r["account_id"]]
        facts.alert_ids.setdefault(r["type"], []).append(r["id"])
        current = alerts[r["account_id"]].get(r["type"])
        if current is not None:  # the most severe alert of a type speaks for it; the others add their reasons
            current["reasons"].append(r["reason"])
            continue
        alerts[r["account_id"]][r["type"]] = {
            **(r["detail"] or {}),
            "severity": r["severity"],
            "reason": r["reason"],
            "reasons": [r["reason"]],
            "title": r["title"],
            "facts": r["facts"] or {},
            "opened_on": r["opened_on"],
            "days_open": (as_of - r["opened_on"]).days,
            "evidence": list(r["evidence"] or []),
        }
    for account_id, facts in out.items():
        facts.values["alert"] = alerts.get(account_id, {})


def _add_outputs(conn: Connection, out: dict[int, AccountFacts], ids: list[int], as_of: date) -> None:
    latest = (
        select(AgentOutput.account_id, AgentOutput.agent, func.max(AgentOutput.as_of).label("as_of"))
        .where(AgentOutput.account_id.in_(ids), AgentOutput.as_of <= as_of)
        .group_by(AgentOutput.account_id, AgentOutput.agent)
        .subquery()
    )
    rows = conn.execute(
        select(AgentOutput.account_id, AgentOutput.agent, AgentOutput.payload).join(
            latest,
            and_(
                AgentOutput.account_id == latest.c.account_id,
                AgentOutput.agent == latest.c.agent,
                AgentOutput.as_of == latest.c.as_of,
            ),
        )
    )
    for r in rows:
        scalars = {k: v for k, v in (r.payload or {}).items() if v is None or isinstance(v, bool | int | float | str)}
        out[r.account_id].values[r.agent] = scalars


def _add_contacts(conn: Connection, out: dict[int, AccountFacts], ids: list[int], as_of: date) -> None:
    rows = conn.execute(select(Contact).where(Contact.account_id.in_(ids)).order_by(Contact.id)).mappings()
    for r in rows:
        left = r["status"] == "departed" and (r["departed_on"] is None or r["departed_on"] <= as_of)
        out[r["account_id"]].contacts.append(
            Person(
                r["id"],
                r["external_id"],
                r["name"],
                r["email"],
                tuple(r["roles"] or ()),
                r["department"],
                not left,
            )
        )
    for facts in out.values():
        facts.values["champion_present"] = any(p.active and "champion" in p.roles for p in facts.contacts)


def _add_contracts(conn: Connection, out: dict[int, AccountFacts], ids: list[int], as_of: date) -> None:
    rows = conn.execute(
        select(Contract)
        .where(Contract.account_id.in_(ids), Contract.end_date.is_not(None))
        .order_by(Contract.account_id, Contract.end_date, Contract.id)
    ).mappings()
    for r in rows:
        out[r["account_id"]].contracts.append(
            ContractTerm(
                r["id"],
                r["external_id"],
                r["start_date"],
                r["end_date"],
                float(r["arr"] or 0),
                r["status"],
                r["seats"],
                tuple(r["products"] or ()),
            )
        )
    for facts in out.values():
        upcoming = [c for c in facts.contracts if c.status == "active" and c.end_date >= as_of]
        nxt = upcoming[0] if upcoming else None
        facts.values.update(
            days_to_renewal=(nxt.end_date - as_of).days if nxt else None,
            renewal_on=nxt.end_date if nxt else None,
            renewal_arr=nxt.arr if nxt else None,
            renewed=False,
        )


def _add_engagement(conn: Connection, out: dict[int, AccountFacts], ids: list[int], as_of: date, days: int) -> None:
    rows = conn.execute(
        select(Interaction.account_id, func.max(Interaction.occurred_at))
        .where(Interaction.account_id.in_(ids), Interaction.occurred_at <= _eod(as_of), _is_response())
        .group_by(Interaction.account_id)
    ).all()
    last = {account_id: when for account_id, when in rows}
    qbrs = dict(
        conn.execute(
            select(Interaction.account_id, func.max(Interaction.occurred_at))
            .where(Interaction.account_id.in_(ids), Interaction.occurred_at <= _eod(as_of), Interaction.kind == "qbr")
            .group_by(Interaction.account_id)
        ).all()
    )
    for account_id, facts in out.items():
        when = last.get(account_id)
        since = (as_of - _as_date(when)).days if when is not None else None
        qbr = qbrs.get(account_id)
        facts.values.update(
            days_since_engagement=since,
            engaged=since is not None and since <= days,
            days_since_qbr=(as_of - _as_date(qbr)).days if qbr is not None else None,
        )


def _is_response() -> Any:
    """A customer's own move: an inbound email (or message), or a call, meeting or QBR they took part in."""
    return or_(Interaction.direction == "inbound", Interaction.kind.in_(RESPONSE_KINDS))


def _as_date(value: datetime | date) -> date:
    return value.date() if isinstance(value, datetime) else value


def response_dates(conn: Connection, account_ids: list[int], since: date, as_of: date) -> dict[int, list[date]]:
    """Each account's customer replies (inbound emails, calls, meetings, QBRs) from ``since`` to ``as_of``."""
    rows = conn.execute(
        select(Interaction.account_id, Interaction.occurred_at).where(
            Interaction.account_id.in_(account_ids),
            Interaction.occurred_at >= datetime.combine(since, time.min, tzinfo=UTC),
            Interaction.occurred_at <= _eod(as_of),
            _is_response(),
        )
    )
    found: dict[int, list[date]] = defaultdict(list)
    for account_id, when in rows:
        found[account_id].append(_as_date(when))
    return dict(found)


def recorded_responses(conn: Connection, run_ids: list[int], as_of: date) -> dict[int, list[date]]:
    """Replies people recorded on runs (``watchtower plays respond``), up to ``as_of``."""
    rows = conn.execute(
        select(PlayEvent.run_id, PlayEvent.occurred_on).where(
            PlayEvent.run_id.in_(run_ids), PlayEvent.kind == "response", PlayEvent.occurred_on <= as_of
        )
    )
    found: dict[int, list[date]] = defaultdict(list)
    for run_id, on in rows:
        found[run_id].append(on)
    return dict(found)


def latest_between(dates: list[date], since: date, as_of: date) -> date | None:
    inside = [d for d in dates if since <= d <= as_of]
    return max(inside) if inside else None
