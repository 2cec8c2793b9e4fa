"""The approval policy: YAML rules that route an offer to the roles that must approve it.

A rule has a condition over the offer's routing facts (``approvals.terms``) and
the account's, the approver groups it requires and an SLA. A group is any-of
(one person in one of its roles), all-of (one person from each role) or
minimum-N (N different people from its roles). A rule's groups are either
``parallel`` or ``ordered`` (each after the one before). Every rule that
matches adds its groups; a group required by two rules is one group with the
tighter SLA and the ordering of both. An offer no rule matches is rejected:
the policy never approves anything by itself.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from approvals.pricing import Concession
from approvals.terms import ROUTING_FACTS, OfferTerms
from core.conditions import Condition, checked, parse
from core.config_errors import load_yaml_model
from core.config_files import policy_path
from core.identity import Role


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Group(Strict):
    roles: list[Role] = Field(min_length=1)
    #: ``any``: one approval from any of the roles; ``all``: one from each role; a number: that many people.
    need: Literal["any", "all"] | int = "any"

    @field_validator("need")
    @classmethod
    def _positive(cls, value: str | int) -> str | int:
        if isinstance(value, int) and value < 1:
            raise ValueError("need must be any, all or a number of approvers from 1 up")
        return value

    @property
    def key(self) -> str:
        roles = "+".join(sorted(set(self.roles)))
        return roles if self.need == "any" else f"{roles}/{self.need}"


class Rule(Strict):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    description: str = Field(min_length=1)
    when: str
    approvers: list[Group] = Field(min_length=1)
    order: Literal["parallel", "ordered"] = "parallel"
    sla_hours: float = Field(gt=0)

    @field_validator("when")
    @classmethod
    def _condition(cls, value: str) -> str:
        return checked(value, ROUTING_FACTS)

    @property
    def condition(self) -> Condition:
        return parse(self.when)


EDITABLE = set(OfferTerms.model_fields)


class ApprovalPolicy(Strict):
    version: str = Field(min_length=1)
    #: Who an overdue group escalates to, by role; a role not listed is only reminded.
    escalation: dict[Role, Role] = Field(default_factory=dict)
    #: Where a role's notifications go (an address or channel); without one, to the role's users.
    notify: dict[Role, str] = Field(default_factory=dict)
    #: What each role may change when approving with edits: a number is the highest value it may set,
    #: ``true`` lets it change the field freely. A field not listed cannot be edited by that role.
    edit_limits: dict[Role, dict[str, float | bool]] = Field(default_factory=dict)
    rules: list[Rule] = Field(min_length=1)

    @field_validator("edit_limits")
    @classmethod
    def _editable(cls, value: dict[str, dict[str, float | bool]]) -> dict[str, dict[str, float | bool]]:
        for role, limits in value.items():
            unknown = sorted(set(limits) - EDITABLE)
            if unknown:
                raise ValueError(f"{role}: unknown offer field {', '.join(unknown)}")
        return value

    @model_validator(mode="after")
    def _whole(self) -> ApprovalPolicy:
        ids = [r.id for r in self.rules]
        twice = sorted({i for i in ids if ids.count(i) > 1})
        if twice:
            raise ValueError(f"rule ids must be unique: {', '.join(twice)}")
        # Orderings from every rule together must not loop, or some offer could never settle.
        edges: dict[str, set[str]] = defaultdict(set)
        for rule in self.rules:
            if rule.order == "ordered":
                for before, after in zip(rule.approvers, rule.approvers[1:], strict=False):
                    edges[after.key].add(before.key)
        if (loop := _find_loop(edges)) is not None:
            raise ValueError(f"the rules order approver groups in a loop: {' -> '.join(loop)}")
        return self


def _find_loop(edges: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}

    def visit(node: str, path: list[str]) -> list[str] | None:
        state[node] = 1
        for nxt in sorted(edges.get(node, ())):
            if state.get(nxt) == 1:
                return [*path, node, nxt]
            if state.get(nxt) is None and (found := visit(nxt, [*path, node])) is not None:
                return found
        state[node] = 2
        return None

    for node in sorted(edges):
        if state.get(node) is None and (found := visit(node, [])) is not None:
            return found
    return None


def load_policy(path: Path | None = None, *, directory: Path | None = None) -> ApprovalPolicy:
    """``path`` for one run, else the team's ``approvals.yaml``, else the shipped default."""
    return load_yaml_model(policy_path("approvals.yaml", path, directory=directory), ApprovalPolicy)


class NoRuleMatched(ValueError):
    """An offer no rule covers; it is rejected, never approved by default."""


@dataclass(frozen=True)
class Route:
    rules: list[str]
    groups: list[dict[str, Any]]
    #: The fact values each matched rule read: the reason the offer went where it went.
    evidence: dict[str, dict[str, Any]]


def route(policy: ApprovalPolicy, facts: dict[str, Any], *, now: datetime) -> Route:
    """The chain for an offer with these facts; groups with nothing before them open (and start their SLA) now."""
    matched = [rule for rule in policy.rules if rule.condition.evaluate(facts)]
    if not matched:
        described = ", ".join(f"{k}={facts[k]}" for k in ("kind", "discount_pct", "arr_impact") if k in facts)
        raise NoRuleMatched(
            f"no approval rule matches this offer ({described}); it cannot be approved until "
            f"the policy ({policy.version}) has a rule for it"
        )
    groups: dict[str, dict[str, Any]] = {}
    for rule in matched:
        previous: str | None = None
        for group in rule.approvers:
            entry = groups.setdefault(
                group.key,
                {
                    "key": group.key,
                    "roles": list(dict.fromkeys(group.roles)),
                    "need": group.need,
                    "after": [],
                    "rules": [],
                    "sla_hours": rule.sla_hours,
                },
            )
            entry["rules"].append(rule.id)
            entry["sla_hours"] = min(entry["sla_hours"], rule.sla_hours)
            if rule.order == "ordered" and previous is not None and previous not in entry["after"]:
                entry["after"].append(previous)
            previous = group.key
    chain = list(groups.values())
    for group in chain:
        group.update(escalated_roles=[], escalations=0, opened_at=None, due_at=None, satisfied_at=None)
    open_ready(chain, now)
    return Route(
        rules=[r.id for r in matched],
        groups=chain,
        evidence={r.id: r.condition.evidence(facts) for r in matched},
    )


def open_ready(groups: list[dict[str, Any]], now: datetime) -> list[str]:
    """Start the SLA clock on groups whose predecessors are all satisfied; returns the keys opened."""
    satisfied = {g["key"] for g in groups if g["satisfied_at"]}
    opened = []
    for group in groups:
        if group["opened_at"] is None and not group["satisfied_at"] and set(group["after"]) <= satisfied:
            group["opened_at"] = now.isoformat()
            group["due_at"] = (now + timedelta(hours=group["sla_hours"])).isoformat()
            opened.append(group["key"])
    return opened


def next_due(groups: list[dict[str, Any]]) -> datetime | None:
    dues = [datetime.fromisoformat(g["due_at"]) for g in groups if g["opened_at"] and not g["satisfied_at"]]
    return min(dues) if dues else None


def eligible_roles(group: dict[str, Any]) -> list[str]:
    return [*group["roles"], *(r for r in group["escalated_roles"] if r not in group["roles"])]


def is_satisfied(group: dict[str, Any], approver_roles: list[str]) -> bool:
    """``approver_roles``: the role of each distinct person who approved this group, in order."""
    need = group["need"]
    escalated = [r for r in approver_roles if r not in group["roles"] and r in group["escalated_roles"]]
    if need == "any":
        return len(approver_roles) >= 1
    if need == "all":
        covered = {r for r in approver_roles if r in group["roles"]}
        return len(covered) + len(escalated) >= len(group["roles"])
    return len(approver_roles) >= int(need)


#: Edit limits that bound the priced concession of the edited offer rather than the field as typed.
CONCESSION_LIMITS = {"discount_pct": "pct", "discount_amount": "amount"}


def edit_violations(
    policy: ApprovalPolicy,
    role: str,
    before: OfferTerms,
    after: OfferTerms,
    *,
    cost_before: Concession,
    cost_after: Concession,
) -> list[str]:
    """Why this role may not make these edits; empty when it may.

    A field the role may not change is refused by name. The numbers under ``discount_pct`` and
    ``discount_amount`` bound the concession the edited offer makes, whichever term carries it, so an
    amount typed inside the amount limit cannot give away more than the percent limit allows.
    """
    limits = policy.edit_limits.get(role, {})  # type: ignore[call-overload]
    problems = []
    for name in OfferTerms.model_fields:
        old, new = getattr(before, name), getattr(after, name)
        if old == new:
            continue
        if name not in limits:
            allowed = ", ".join(sorted(limits)) or "nothing"
            problems.append(f"{role} may not change {name} (may change: {allowed})")
            continue
        limit = limits[name]
        if isinstance(limit, bool):
            if not limit:
                problems.append(f"{role} may not change {name}")
            continue
        if name in CONCESSION_LIMITS:
            continue
        if isinstance(new, int | float | Decimal) and not isinstance(new, bool) and float(new) > float(limit):
            problems.append(f"{role} may set {name} up to {limit:g}, not {float(new):g}")
    if problems or (cost_after.pct, cost_after.amount) == (cost_before.pct, cost_before.amount):
        return problems
    bounds = {name: limits[name] for name in CONCESSION_LIMITS if name in limits}
    if not bounds:
        return [f"{role} may not change what the offer gives away"]
    for name, limit in bounds.items():
        if limit is True:
            continue
        if limit is False:
            problems.append(f"{role} may not change what the offer gives away ({name})")
            continue
        value = getattr(cost_after, CONCESSION_LIMITS[name])
        if value is None:
            problems.append(f"{role} may set {name} up to {limit:g}, but the account has no ARR to price the edit")
        elif float(value) > float(limit):
            problems.append(
                f"{role} may set {name} up to {limit:g}, not {round(float(value), 2):g} "
                "(the concession all the terms add up to)"
            )
    return problems
