"""Offers enter the queue here: typed, priced, routed by the policy, audited, in the proposer's transaction.

Whoever proposes (a person, an agent run, a play step) gets the same path: the
terms are validated, priced into one concession against the contract's or the
account's ARR, the chain routed from the computed facts, and the offer (with
its concession), its approval and the audit events are written together. What
the offer does to ARR is computed here too, never taken from the proposer. An
offer the policy does not cover is recorded as rejected with the reason, so
the proposer sees why, and nothing is ever approved by default. An agent's
offer records who launched the run, so that person cannot decide on it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, func, insert, select

from approvals.policy import ApprovalPolicy, NoRuleMatched, next_due, route
from approvals.pricing import Basis, Concession, facts_of, price
from approvals.terms import OfferTerms, TermsError, read_terms
from core.audit import record
from core.models import Account, Approval, Contract, Offer, Scorecard

OFFER = Offer.__table__  # type: ignore[attr-defined]
APPROVAL = Approval.__table__  # type: ignore[attr-defined]
ACCOUNT = Account.__table__  # type: ignore[attr-defined]
CONTRACT = Contract.__table__  # type: ignore[attr-defined]
SCORECARD = Scorecard.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Actor:
    """Who acts: a signed-in person with a role, or an agent, play or the system (which can never decide)."""

    name: str
    kind: str = "person"  # person | agent | play | system
    role: str | None = None
    user_id: int | None = None


class OfferError(ValueError):
    """An offer that cannot be proposed as given; the message says which field and why."""


@dataclass(frozen=True)
class Submitted:
    offer_id: int
    approval_id: int
    status: str  # pending | rejected
    message: str


def account_facts(conn: Connection, account_id: int) -> dict[str, Any]:
    account = conn.execute(select(ACCOUNT).where(ACCOUNT.c.id == account_id)).mappings().first()
    if account is None:
        raise OfferError(f"no account {account_id}")
    card = (
        conn.execute(
            select(SCORECARD.c.band, SCORECARD.c.score, SCORECARD.c.trend, SCORECARD.c.as_of)
            .where(SCORECARD.c.account_id == account_id)
            .order_by(SCORECARD.c.as_of.desc())
            .limit(1)
        )
        .mappings()
        .first()
    )
    return {
        "id": account["id"],
        "external_id": account["external_id"],
        "name": account["name"],
        "owner_csm": account["owner_csm"],
        "arr": float(account["arr"]) if account["arr"] is not None else None,
        "segment": account["segment"],
        "band": card["band"] if card else None,
        "score": card["score"] if card else None,
        "trend": card["trend"] if card else None,
        "scored_on": card["as_of"] if card else None,
    }


def _basis(conn: Connection, account_id: int, contract_id: int | None) -> Basis:
    """The contract's ARR and seats where the offer names an active one that has an ARR, else the account's."""
    account = conn.execute(
        select(ACCOUNT.c.external_id, ACCOUNT.c.arr, ACCOUNT.c.seats_purchased).where(ACCOUNT.c.id == account_id)
    ).first()
    if account is None:
        raise OfferError(f"no account {account_id}")
    if contract_id is not None:
        row = conn.execute(
            select(CONTRACT.c.arr, CONTRACT.c.seats, CONTRACT.c.account_id, CONTRACT.c.status).where(
                CONTRACT.c.id == contract_id
            )
        ).first()
        if row is None or row.account_id != account_id:
            raise OfferError(f"contract {contract_id} is not a contract of account {account.external_id}")
        # An expired or superseded contract's ARR is not what the customer pays: priced on it, 9,000 off an
        # account paying 10,000 reads as 0.9% of an old 1,000,000 contract.
        if row.status != "active":
            raise OfferError(
                f"contract_id: contract {contract_id} is {row.status}; an offer is priced on an active contract "
                "or, without one, on the account"
            )
        if row.arr is not None:
            return Basis(Decimal(row.arr), row.seats or account.seats_purchased)
    return Basis(Decimal(account.arr) if account.arr is not None else None, account.seats_purchased)


def priced(
    conn: Connection, account_id: int, kind: str, terms: OfferTerms, contract_id: int | None
) -> tuple[dict[str, Any], Concession]:
    """The routing facts and the concession they were computed from; ``OfferError`` when it cannot be priced."""
    account = account_facts(conn, account_id)
    try:
        cost = price(kind, terms, _basis(conn, account_id, contract_id))
    except TermsError as exc:
        raise OfferError(str(exc)) from None
    facts = facts_of(kind, terms, cost)
    facts["account"] = {k: account[k] for k in ("arr", "segment", "band")}
    return facts, cost


def submit(
    conn: Connection,
    policy: ApprovalPolicy,
    *,
    account_id: int,
    kind: str,
    terms: dict[str, Any] | OfferTerms,
    requester: Actor,
    rationale: str,
    evidence: list[str],
    now: datetime,
    contract_id: int | None = None,
    launched_by: str | None = None,
    run_id: int | None = None,
    thread_id: str | None = None,
    dedupe_key: str | None = None,
    created_on: date | None = None,
) -> Submitted:
    if not rationale or not rationale.strip():
        raise OfferError("rationale: say why this offer is worth making")
    if dedupe_key is not None:
        found = conn.execute(
            select(OFFER.c.id, APPROVAL.c.id.label("approval_id"), APPROVAL.c.status)
            .join(APPROVAL, APPROVAL.c.offer_id == OFFER.c.id)
            .where(OFFER.c.dedupe_key == dedupe_key)
        ).first()
        if found is not None:
            return Submitted(found.id, found.approval_id, found.status, "already proposed")
    try:
        typed = terms if isinstance(terms, OfferTerms) else read_terms(terms)
    except TermsError as exc:
        raise OfferError(str(exc)) from None
    facts, cost = priced(conn, account_id, kind, typed, contract_id)
    try:
        routed = route(policy, facts, now=now)
        status, message = "pending", "routed to " + ", ".join(g["key"] for g in routed.groups)
    except NoRuleMatched as exc:
        routed, status, message = None, "rejected", str(exc)
    impact = cost.arr_change
    offer_id = conn.execute(
        insert(OFFER)
        .values(
            account_id=account_id,
            contract_id=contract_id,
            kind=kind,
            terms=typed.stored(),
            arr_impact=impact,
            concession=cost.stored(),
            requester_kind=requester.kind,
            requester=requester.name,
            launched_by=launched_by,
            run_id=run_id,
            rationale=rationale.strip(),
            evidence=list(evidence),
            status="proposed" if routed else "rejected",
            created_on=created_on or now.date(),
            dedupe_key=dedupe_key,
            thread_id=thread_id,
            settled_at=None if routed else now,
        )
        .returning(OFFER.c.id)
    ).scalar_one()
    approval_id = conn.execute(
        insert(APPROVAL)
        .values(
            offer_id=offer_id,
            account_id=account_id,
            status=status,
            policy_version=policy.version,
            rules=routed.rules if routed else [],
            groups=routed.groups if routed else [],
            version=1,
            revision=1,
            created_at=now,
            next_due_at=next_due(routed.groups) if routed else None,
            settled_at=None if routed else now,
            settled_by=None if routed else "policy",
            reason=None if routed else message,
        )
        .returning(APPROVAL.c.id)
    ).scalar_one()
    audit = {"actor": requester.name, "actor_kind": requester.kind, "account_id": account_id, "at": now}
    record(
        conn,
        **audit,
        action="create",
        entity="offer",
        entity_id=offer_id,
        after={
            "kind": kind,
            "terms": typed.stored(),
            "concession": cost.stored(),
            "arr_impact": impact,
            "rationale": rationale.strip(),
            **({"launched_by": launched_by} if launched_by else {}),
        },
    )
    record(
        conn,
        at=now,
        actor="policy",
        actor_kind="system",
        account_id=account_id,
        action="route" if routed else "reject",
        entity="approval",
        entity_id=approval_id,
        after={
            "policy": policy.version,
            "rules": routed.rules if routed else [],
            "groups": [g["key"] for g in routed.groups] if routed else [],
            "facts": routed.evidence if routed else {k: v for k, v in facts.items() if k != "account"},
        },
        reason=None if routed else message,
    )
    return Submitted(offer_id, approval_id, status, message)


def pending_count(conn: Connection) -> int:
    return conn.execute(select(func.count()).select_from(APPROVAL).where(APPROVAL.c.status == "pending")).scalar_one()
