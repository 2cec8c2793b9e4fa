"""What the queue shows a person: the approvals they may see, each with its money, health and reasons.

The money is the concession the offer was priced at and routed by (percent
and amount of the ARR, the ARR change, what each term gives away), so an
approver reads what the offer costs, not only the terms as typed.

A CSM sees only the offers on accounts they own; every other role sees the
whole queue (finance and legal work it; managers and the CRO oversee it). The
role filter keeps approvals with an open group that role may decide now.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal, get_args

from sqlalchemy import Connection, func, select

from approvals.decisions import DECISION
from approvals.policy import eligible_roles
from approvals.queue import ACCOUNT, APPROVAL, OFFER, SCORECARD, account_facts
from approvals.queue_filters import QueueFilter, by_concession, filtered, ordered
from core.audit import history
from core.identity import User
from core.models import Alert, Contract

ALERT = Alert.__table__  # type: ignore[attr-defined]
CONTRACT = Contract.__table__  # type: ignore[attr-defined]
ApprovalStatus = Literal["pending", "approved", "rejected"]
OfferStatus = Literal["proposed", "approved", "rejected"]
STATUSES: tuple[str, ...] = get_args(ApprovalStatus)


def waiting_for(groups: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {"group": g["key"], "roles": eligible_roles(g), "need": g["need"], "due_at": g["due_at"]}
        for g in groups
        if g["opened_at"] and not g["satisfied_at"]
    ]


def _queue_query() -> Any:
    return (
        select(
            APPROVAL,
            OFFER.c.kind,
            OFFER.c.terms,
            OFFER.c.arr_impact,
            OFFER.c.rationale,
            OFFER.c.evidence,
            OFFER.c.requester,
            OFFER.c.requester_kind,
            OFFER.c.launched_by,
            OFFER.c.concession,
            ACCOUNT.c.external_id.label("account_external_id"),
            ACCOUNT.c.name.label("account_name"),
        )
        .join(OFFER, OFFER.c.id == APPROVAL.c.offer_id)
        .join(ACCOUNT, ACCOUNT.c.id == APPROVAL.c.account_id)
    )


def _visible(query: Any, user: User) -> Any:
    if user.role == "csm":
        return query.where(ACCOUNT.c.owner_csm == user.email)
    return query


def list_approvals(
    conn: Connection,
    user: User,
    *,
    status: str | None = None,
    role: str | None = None,
    owner: str | None = None,
    limit: int = 50,
    offset: int = 0,
    filters: QueueFilter | None = None,
    now: datetime | None = None,
) -> tuple[list[dict[str, Any]], int]:
    """A page of the queue and the total. Who a group waits for lives in the chain's JSON, and the
    concession's amount in the offer's, so the role filter (only ever over pending approvals) and that
    order run here; otherwise the database pages and counts. ``now`` says when an SLA is overdue."""
    wanted = filters or QueueFilter()
    query = _visible(_queue_query(), user)
    if status:
        query = query.where(APPROVAL.c.status == status)
    if role:
        query = query.where(APPROVAL.c.status == "pending")
    if owner:
        query = query.where(ACCOUNT.c.owner_csm == owner)
    query = ordered(filtered(query, wanted, now), wanted.sort)
    if role or wanted.sort == "concession":
        rows = [dict(r) for r in conn.execute(query).mappings()]
        if role:
            rows = [r for r in rows if any(role in w["roles"] for w in waiting_for(r["groups"]))]
        if wanted.sort == "concession":
            rows = by_concession(rows)
        total, page = len(rows), rows[offset : offset + limit]
    else:
        total = conn.execute(select(func.count()).select_from(query.order_by(None).subquery())).scalar_one()
        page = [dict(r) for r in conn.execute(query.limit(limit).offset(offset)).mappings()]
    ids = {r["account_id"] for r in page}
    health: dict[int, dict[str, Any]] = {}
    if ids:
        found = conn.execute(  # newest first; the first per account is its latest
            select(SCORECARD.c.account_id, SCORECARD.c.band, SCORECARD.c.score, SCORECARD.c.trend)
            .where(SCORECARD.c.account_id.in_(ids))
            .order_by(SCORECARD.c.account_id, SCORECARD.c.as_of.desc())
        ).mappings()
        for card in found:
            health.setdefault(card["account_id"], dict(card))
    return [_item(r, health.get(r["account_id"])) for r in page], total


def _item(row: dict[str, Any], card: dict[str, Any] | None) -> dict[str, Any]:
    terms = row["terms"]
    return {
        "id": row["id"],
        "offer_id": row["offer_id"],
        "status": row["status"],
        "version": row["version"],
        "account": {"id": row["account_id"], "external_id": row["account_external_id"], "name": row["account_name"]},
        "kind": row["kind"],
        "terms": terms,
        "discount_pct": terms.get("discount_pct"),
        "amount": terms.get("discount_amount") or terms.get("service_credit_amount"),
        "arr_impact": str(row["arr_impact"]) if row["arr_impact"] is not None else None,
        "concession": row["concession"],
        "health": {"band": card["band"], "score": card["score"], "trend": card["trend"]} if card else None,
        "rationale": row["rationale"],
        "evidence": row["evidence"],
        "requester": _requester(row),
        "rules": row["rules"],
        "waiting_for": waiting_for(row["groups"]) if row["status"] == "pending" else [],
        "created_at": row["created_at"].isoformat(),
        "next_due_at": row["next_due_at"].isoformat() if row["next_due_at"] else None,
        "settled_at": row["settled_at"].isoformat() if row["settled_at"] else None,
        "settled_by": row["settled_by"],
        "reason": row["reason"],
    }


def _requester(row: Any) -> dict[str, Any]:
    return {"name": row["requester"], "kind": row["requester_kind"], "launched_by": row["launched_by"]}


def list_offers(
    conn: Connection, user: User, *, status: str | None = None, limit: int = 50, offset: int = 0
) -> tuple[list[dict[str, Any]], int]:
    """A page of the offers this person may see, newest first, and the total; the database pages and counts."""
    query = _visible(_offers_query(), user)
    if status:
        query = query.where(OFFER.c.status == status)
    total = conn.execute(select(func.count()).select_from(query.subquery())).scalar_one()
    rows = conn.execute(query.order_by(OFFER.c.id.desc()).limit(limit).offset(offset)).mappings()
    return [_offer(r) for r in rows], total


def offer_detail(conn: Connection, user: User, offer_id: int) -> dict[str, Any] | None:
    row = conn.execute(_visible(_offers_query(), user).where(OFFER.c.id == offer_id)).mappings().first()
    return _offer(row) if row else None


def _offers_query() -> Any:
    return (
        select(
            OFFER,
            APPROVAL.c.id.label("approval_id"),
            ACCOUNT.c.external_id.label("account_external_id"),
            ACCOUNT.c.name.label("account_name"),
        )
        .join(ACCOUNT, ACCOUNT.c.id == OFFER.c.account_id)
        .outerjoin(APPROVAL, APPROVAL.c.offer_id == OFFER.c.id)
    )


def _offer(row: Any) -> dict[str, Any]:
    return {
        "id": row["id"],
        "account": {"id": row["account_id"], "external_id": row["account_external_id"], "name": row["account_name"]},
        "contract_id": row["contract_id"],
        "kind": row["kind"],
        "terms": row["terms"],
        "arr_impact": str(row["arr_impact"]) if row["arr_impact"] is not None else None,
        "concession": row["concession"],
        "status": row["status"],
        "requester": _requester(row),
        "rationale": row["rationale"],
        "evidence": row["evidence"],
        "created_on": row["created_on"].isoformat(),
        "settled_at": row["settled_at"].isoformat() if row["settled_at"] else None,
        "approval_id": row["approval_id"],
    }


def is_visible(conn: Connection, user: User, approval_id: int) -> bool:
    query = (
        select(APPROVAL.c.id).join(ACCOUNT, ACCOUNT.c.id == APPROVAL.c.account_id).where(APPROVAL.c.id == approval_id)
    )
    return conn.execute(_visible(query, user)).first() is not None


def approval_detail(conn: Connection, user: User, approval_id: int) -> dict[str, Any] | None:
    """One approval with its chain, decisions, audit trail and the account around it; None when not visible."""
    items, _ = _one(conn, user, approval_id)
    if not items:
        return None
    item = items[0]
    row = conn.execute(select(APPROVAL).where(APPROVAL.c.id == approval_id)).mappings().one()
    offer = conn.execute(select(OFFER).where(OFFER.c.id == row["offer_id"])).mappings().one()
    account = account_facts(conn, row["account_id"])
    renewal = conn.execute(
        select(CONTRACT.c.end_date, CONTRACT.c.arr, CONTRACT.c.plan)
        .where(CONTRACT.c.account_id == row["account_id"], CONTRACT.c.status == "active")
        .order_by(CONTRACT.c.end_date)
        .limit(1)
    ).first()
    alerts = conn.execute(
        select(ALERT.c.id, ALERT.c.title, ALERT.c.severity, ALERT.c.opened_on)
        .where(ALERT.c.account_id == row["account_id"], ALERT.c.status == "open")
        .order_by(ALERT.c.opened_on.desc())
        .limit(10)
    ).mappings()
    reasons = conn.execute(
        select(SCORECARD.c.reasons)
        .where(SCORECARD.c.account_id == row["account_id"])
        .order_by(SCORECARD.c.as_of.desc())
        .limit(1)
    ).scalar()
    decisions = conn.execute(
        select(DECISION).where(DECISION.c.approval_id == approval_id).order_by(DECISION.c.id)
    ).mappings()
    item.update(
        chain=row["groups"],
        revision=row["revision"],
        contract_id=offer["contract_id"],
        account_context={
            **{k: v for k, v in account.items() if k != "scored_on"},
            "scored_on": account["scored_on"].isoformat() if account["scored_on"] else None,
            "renewal": (
                {
                    "end_date": renewal.end_date.isoformat() if renewal.end_date else None,
                    "arr": str(renewal.arr) if renewal.arr is not None else None,
                    "plan": renewal.plan,
                }
                if renewal
                else None
            ),
            "open_alerts": [{**dict(a), "opened_on": a["opened_on"].isoformat()} for a in alerts],
            "score_reasons": (reasons or [])[:5],
        },
        decisions=[
            {
                "group": d["group_key"],
                "revision": d["revision"],
                "by": d["username"],
                "role": d["role"],
                "decision": d["decision"],
                "reason": d["reason"],
                "edits": d["edits"],
                "at": d["decided_at"].isoformat(),
            }
            for d in decisions
        ],
        audit=[
            {
                **{k: e[k] for k in ("id", "action", "actor", "actor_kind", "before", "after", "reason")},
                "at": e["at"].isoformat(),
            }
            for e in history(conn, "approval", approval_id) + history(conn, "offer", row["offer_id"])
        ],
    )
    item["audit"].sort(key=lambda e: e["id"])
    return item


def _one(conn: Connection, user: User, approval_id: int) -> tuple[list[dict[str, Any]], int]:
    query = _queue_query().where(APPROVAL.c.id == approval_id)
    row = conn.execute(_visible(query, user)).mappings().first()
    if row is None:
        return [], 0
    card = (
        conn.execute(
            select(SCORECARD.c.band, SCORECARD.c.score, SCORECARD.c.trend)
            .where(SCORECARD.c.account_id == row["account_id"])
            .order_by(SCORECARD.c.as_of.desc())
            .limit(1)
        )
        .mappings()
        .first()
    )
    return [_item(dict(row), dict(card) if card else None)], 1
