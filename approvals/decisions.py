"""A person's decision on an approval: the typed resume contract, segregation of duties, and the version check.

Exactly one of three decisions: ``approve``, ``edit`` (approve with changed
terms, within what the approver's role may change) or ``reject``, each with a
reason. The checks run in this order: only people decide, never the offer's
requester nor the person who launched the agent run that proposed it, only a
role of a group that is open now (so an ordered chain settles only in order),
each person once per group. The approval row is locked (Postgres) and its
``version`` must still be the one read (both backends), so of two people
deciding at once exactly one acts and the other gets a conflict.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError
from sqlalchemy import Connection, insert, select, update
from sqlalchemy.exc import IntegrityError

from approvals.policy import (
    ApprovalPolicy,
    NoRuleMatched,
    edit_violations,
    eligible_roles,
    is_satisfied,
    next_due,
    open_ready,
    route,
)
from approvals.queue import APPROVAL, OFFER, Actor, OfferError, priced
from approvals.terms import TermsError, read_terms
from core.audit import record
from core.models import ApprovalDecision

DECISION = ApprovalDecision.__table__  # type: ignore[attr-defined]
DECISIONS = ("approve", "edit", "reject")


class _Decision(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    reason: str = Field(min_length=1, max_length=4000)


class Approve(_Decision):
    decision: Literal["approve"]


class Edit(_Decision):
    """Approve with changed terms: only the fields given change; ``null`` removes a field."""

    decision: Literal["edit"]
    terms: dict[str, Any] = Field(min_length=1)


class Reject(_Decision):
    decision: Literal["reject"]


Decision = Annotated[Approve | Edit | Reject, Field(discriminator="decision")]
_DECISION: TypeAdapter[Approve | Edit | Reject] = TypeAdapter(Decision)


class DecisionError(Exception):
    """Base for refusals; ``status`` is the HTTP status the API answers with."""

    status = 400


class InvalidDecision(DecisionError):
    status = 422


class Refused(DecisionError):
    """Segregation of duties or role policy forbids this person this decision."""

    status = 403


class Conflict(DecisionError):
    """The approval changed (or settled) since it was read, or this step is already decided."""

    status = 409


class NotFound(DecisionError):
    status = 404


def parse_decision(raw: Any) -> Approve | Edit | Reject:
    """The resume value, typed; anything else is refused with the allowed decisions named."""
    if isinstance(raw, Approve | Edit | Reject):
        return raw
    try:
        return _DECISION.validate_python(raw)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        where = ".".join(map(str, first["loc"])) or "decision"
        raise InvalidDecision(
            f"{where}: {first['msg']}; a decision is one of {', '.join(DECISIONS)} with a reason "
            "(edit also takes terms)"
        ) from None


@dataclass(frozen=True)
class Outcome:
    approval_id: int
    offer_id: int
    status: str  # pending | approved | rejected
    group: str
    version: int
    settled: bool
    message: str


def _load(conn: Connection, approval_id: int) -> tuple[dict[str, Any], dict[str, Any]]:
    approval = conn.execute(select(APPROVAL).where(APPROVAL.c.id == approval_id).with_for_update()).mappings().first()
    if approval is None:
        raise NotFound(f"no approval {approval_id}")
    offer = conn.execute(select(OFFER).where(OFFER.c.id == approval["offer_id"])).mappings().one()
    return dict(approval), dict(offer)


def _approvers_by_group(conn: Connection, approval_id: int, revision: int) -> dict[str, list[tuple[int, str]]]:
    """Who approved which group of the terms as they stand: an edit starts a revision and voids the rest."""
    rows = conn.execute(
        select(DECISION.c.group_key, DECISION.c.user_id, DECISION.c.role)
        .where(
            DECISION.c.approval_id == approval_id,
            DECISION.c.revision == revision,
            DECISION.c.decision.in_(("approve", "edit")),
        )
        .order_by(DECISION.c.id)
    )
    out: dict[str, list[tuple[int, str]]] = {}
    for row in rows:
        out.setdefault(row.group_key, []).append((row.user_id, row.role))
    return out


def _pick_group(
    groups: list[dict[str, Any]], actor: Actor, approval_id: int, decided: dict[str, list[tuple[int, str]]]
) -> dict[str, Any]:
    earlier = next((key for key, people in decided.items() if any(uid == actor.user_id for uid, _ in people)), None)
    if earlier is not None:
        raise Conflict(f"you already approved {earlier} on approval {approval_id}; a person counts once per offer")
    mine = [g for g in groups if actor.role in eligible_roles(g)]
    if not mine:
        needed = "; ".join(f"{g['key']} ({', '.join(eligible_roles(g))})" for g in groups) or "nobody"
        raise Refused(f"the {actor.role} role is not an approver of approval {approval_id}; it needs {needed}")
    open_now = [g for g in mine if g["opened_at"] and not g["satisfied_at"]]
    if open_now:
        return open_now[0]
    waiting = [g for g in mine if not g["satisfied_at"]]
    if waiting:
        before = ", ".join(g for g in waiting[0]["after"])
        raise Conflict(f"approval {approval_id} is ordered: {before} must approve before {waiting[0]['key']}")
    raise Conflict(f"{', '.join(g['key'] for g in mine)} already approved approval {approval_id}")


def _reroute(
    policy: ApprovalPolicy,
    facts: dict[str, Any],
    old_groups: list[dict[str, Any]],
    now: datetime,
) -> tuple[list[str], list[dict[str, Any]]]:
    try:
        routed = route(policy, facts, now=now)
    except NoRuleMatched as exc:
        raise InvalidDecision(f"the edited offer matches no approval rule: {exc}") from None
    # People approved the old terms, not these: every group must approve again (the editor's own group is
    # satisfied by the edit). A group keeps its clock and escalations if it was already open.
    previous = {g["key"]: g for g in old_groups}
    for group in routed.groups:
        old = previous.get(group["key"])
        if old is not None and old["opened_at"] and not group["after"]:
            for field in ("opened_at", "due_at", "escalated_roles", "escalations"):
                group[field] = old[field]
        elif old is not None:
            group.update(escalated_roles=old["escalated_roles"], escalations=old["escalations"])
        if group["after"]:
            group.update(opened_at=None, due_at=None)
    return routed.rules, routed.groups


def _settle_groups(groups: list[dict[str, Any]], counted: dict[str, list[tuple[int, str]]], now: datetime) -> None:
    """Mark every open group its approvals satisfy, open the groups that were waiting on them, and repeat:
    an approval given on a group before it opened (an edit by a later approver) counts once it opens."""
    while True:
        changed = False
        for group in groups:
            roles = [role for _, role in counted.get(group["key"], [])]
            if group["opened_at"] and not group["satisfied_at"] and roles and is_satisfied(group, roles):
                group["satisfied_at"] = now.isoformat()
                changed = True
        open_ready(groups, now)
        if not changed:
            return


def decide(
    conn: Connection,
    policy: ApprovalPolicy,
    approval_id: int,
    actor: Actor,
    decision: Any,
    *,
    now: datetime,
    expected_version: int | None = None,
) -> Outcome:
    """Apply one decision in the caller's transaction; raises a ``DecisionError`` subclass when refused."""
    typed = parse_decision(decision)
    if actor.kind != "person" or actor.user_id is None or actor.role is None:
        raise Refused(
            f"{actor.name} is {'an ' + actor.kind if actor.kind == 'agent' else actor.kind}: only people decide"
        )
    approval, offer = _load(conn, approval_id)
    if approval["status"] != "pending":
        raise Conflict(f"approval {approval_id} is already {approval['status']}")
    if expected_version is not None and expected_version != approval["version"]:
        raise Conflict(
            f"approval {approval_id} changed since you read it (version {expected_version}, now "
            f"{approval['version']}); reload it and decide again"
        )
    if offer["requester_kind"] == "person" and offer["requester"] == actor.name:
        raise Refused(f"{actor.name} proposed offer {offer['id']} and cannot decide on it")
    if offer["launched_by"] == actor.name:
        raise Refused(f"{actor.name} launched the agent run that proposed offer {offer['id']} and cannot decide on it")
    groups: list[dict[str, Any]] = [dict(g) for g in approval["groups"]]
    decided = _approvers_by_group(conn, approval_id, approval["revision"])
    revision = approval["revision"] + (1 if isinstance(typed, Edit) else 0)
    group = _pick_group(groups, actor, approval_id, decided)

    rules = approval["rules"]
    old_terms = read_terms(offer["terms"])
    offer_changes: dict[str, Any] = {}
    edits: dict[str, Any] | None = None
    if isinstance(typed, Edit):
        try:
            new_terms = read_terms({**offer["terms"], **typed.terms})
        except TermsError as exc:
            raise InvalidDecision(str(exc)) from None
        try:
            _, cost_before = priced(conn, offer["account_id"], offer["kind"], old_terms, offer["contract_id"])
            facts, cost_after = priced(conn, offer["account_id"], offer["kind"], new_terms, offer["contract_id"])
        except OfferError as exc:
            raise InvalidDecision(str(exc)) from None
        problems = edit_violations(
            policy, actor.role, old_terms, new_terms, cost_before=cost_before, cost_after=cost_after
        )
        if problems:
            raise Refused("; ".join(problems))
        rules, groups = _reroute(policy, facts, groups, now)
        edits = {k: v for k, v in new_terms.stored().items() if offer["terms"].get(k) != v}
        edits.update({k: None for k in offer["terms"] if k not in new_terms.stored()})
        group = next((g for g in groups if g["key"] == group["key"] and not g["satisfied_at"]), None) or group
        offer_changes = {
            "terms": new_terms.stored(),
            "arr_impact": cost_after.arr_change,
            "concession": cost_after.stored(),
        }

    status = "pending"
    counted: dict[str, list[tuple[int, str]]] = {}
    if isinstance(typed, Reject):
        status = "rejected"
    else:
        # An edit voids what was approved before it; this decision counts for the group it was made on.
        counted = {} if isinstance(typed, Edit) else {k: list(v) for k, v in decided.items()}
        counted.setdefault(group["key"], []).append((actor.user_id or 0, actor.role))
        _settle_groups(groups, counted, now)
        if all(g["satisfied_at"] for g in groups):
            status = "approved"

    settled = status != "pending"
    done = conn.execute(
        update(APPROVAL)
        .where(APPROVAL.c.id == approval_id, APPROVAL.c.version == approval["version"])
        .values(
            version=approval["version"] + 1,
            revision=revision,
            status=status,
            rules=rules,
            groups=groups,
            next_due_at=None if settled else next_due(groups),
            settled_at=now if settled else None,
            settled_by=actor.name if settled else None,
            reason=typed.reason if settled else None,
        )
    )
    if done.rowcount != 1:
        raise Conflict(f"approval {approval_id} changed while you decided; reload it and decide again")
    try:
        with conn.begin_nested():
            conn.execute(
                insert(DECISION).values(
                    approval_id=approval_id,
                    revision=revision,
                    group_key=group["key"],
                    user_id=actor.user_id,
                    username=actor.name,
                    role=actor.role,
                    decision=typed.decision,
                    reason=typed.reason,
                    edits=edits,
                    decided_at=now,
                )
            )
    except IntegrityError:
        raise Conflict(f"you have already decided {group['key']} on approval {approval_id}") from None
    if offer_changes or settled:
        conn.execute(
            update(OFFER)
            .where(OFFER.c.id == offer["id"])
            .values(**offer_changes, **({"status": status, "settled_at": now} if settled else {}))
        )

    audit = {"at": now, "actor": actor.name, "actor_kind": "person", "account_id": offer["account_id"]}
    step_before = {"status": approval["status"], "version": approval["version"]}
    step_after = {"status": status, "version": approval["version"] + 1, "group": group["key"], "role": actor.role}
    if edits is not None:
        # One row for an edit: the terms before and after with the approval step it made, so a reader of the
        # trail sees what changed once, not an offer edit and an approval edit side by side.
        record(
            conn,
            **audit,
            action="edit",
            entity="offer",
            entity_id=offer["id"],
            before={
                "terms": offer["terms"],
                "concession": offer["concession"],
                "arr_impact": offer["arr_impact"],
                "rules": approval["rules"],
                **step_before,
            },
            after={**offer_changes, "rules": rules, "groups": [g["key"] for g in groups], **step_after},
            reason=typed.reason,
        )
    else:
        record(
            conn,
            **audit,
            action=typed.decision,
            entity="approval",
            entity_id=approval_id,
            before=step_before,
            after=step_after,
            reason=typed.reason,
        )
    if settled:
        record(
            conn,
            **audit,
            action="settle",
            entity="offer",
            entity_id=offer["id"],
            before={"status": offer["status"]},
            after={"status": status},
            reason=typed.reason,
        )
    # Groups someone still has to act on (a later group approved in this revision only waits for its turn).
    waiting = [
        g["key"]
        for g in groups
        if not g["satisfied_at"] and not is_satisfied(g, [role for _, role in counted.get(g["key"], [])])
    ]
    message = {
        "approved": f"offer {offer['id']} approved",
        "rejected": f"offer {offer['id']} rejected",
    }.get(status, f"{group['key']} recorded; waiting for {', '.join(waiting)}")
    return Outcome(approval_id, offer["id"], status, group["key"], approval["version"] + 1, settled, message)
