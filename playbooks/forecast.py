"""Renewal forecast: a category per renewal from health, timeline status and engagement, with the CSM's call beside it.

The system's category comes from ``forecast.yaml`` (first rule that
holds wins), each with a probability; weighted ARR is ARR times probability.
The CSM's latest call (``watchtower renewals call``) stands beside it. When the
two disagree inside the checkpoint (T-90 by default) the renewal is flagged for
leadership, once per disagreement, with a notification.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from functools import cached_property
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from sqlalchemy import Connection, delete, insert, select

from core.conditions import Condition, checked, parse
from core.config_errors import load_yaml_model
from core.models import RenewalCall, RenewalForecast
from playbooks.facts import FACTS, PREFIXES, AccountFacts, ContractTerm
from playbooks.timeline import Milestone, worst

Category = Literal["commit", "upside", "at_risk", "churn"]
CATEGORIES: tuple[str, ...] = ("commit", "upside", "at_risk", "churn")
FORECAST = RenewalForecast.__table__  # type: ignore[attr-defined]
CALL = RenewalCall.__table__  # type: ignore[attr-defined]
#: Facts only the forecast has: the contract's timeline status and how many milestones are late.
FORECAST_FACTS = {"timeline": "on_track, behind or stuck", "milestones_late": "milestones behind or stuck"}


class CategoryRule(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    name: Category
    if_: str = Field(alias="if")
    probability: float = Field(ge=0, le=1)

    @field_validator("if_")
    @classmethod
    def _check(cls, value: str) -> str:
        return checked(value, {*FACTS, *FORECAST_FACTS}, PREFIXES)

    @cached_property
    def condition(self) -> Condition:
        return parse(self.if_)


class ForecastConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    version: str = Field(min_length=1)
    stuck_after_days: int = Field(14, ge=1)
    checkpoint_days: int = Field(90, ge=1, description="Inside this many days, a disagreement is flagged.")
    #: Customer contact within this many days counts as engaged, by segment name; ``default`` for the rest.
    engagement_days: dict[str, int] = Field(default_factory=lambda: {"default": 45})
    categories: list[CategoryRule] = Field(min_length=1)

    @field_validator("engagement_days")
    @classmethod
    def _windows(cls, value: dict[str, int]) -> dict[str, int]:
        if "default" not in value:
            raise ValueError("give a 'default' window for segments not named")
        short = [name for name, days in value.items() if days < 1]
        if short:
            raise ValueError(f"windows must be at least one day: {', '.join(short)}")
        return value

    def engagement_window(self, segment: str | None) -> int:
        return self.engagement_days.get(segment or "default", self.engagement_days["default"])

    @model_validator(mode="after")
    def _catch_all(self) -> ForecastConfig:
        if self.categories[-1].if_.strip().lower() != "true":
            raise ValueError('categories: the last rule must be `if: "true"` so every renewal gets a category')
        return self


def load_forecast_config(path: Path) -> ForecastConfig:
    return load_yaml_model(path, ForecastConfig)


def categorise(config: ForecastConfig, facts: dict[str, Any]) -> tuple[CategoryRule, dict[str, Any]]:
    rule = next(r for r in config.categories if r.condition.evaluate(facts))
    return rule, rule.condition.evidence(facts)


#: Facts stored with every forecast beside the deciding rule's own, so its label can say why with values.
EXPLAINED_BY = (
    "timeline",
    "milestones_late",
    "band",
    "score",
    "days_to_renewal",
    "days_since_engagement",
    "engagement_days",
)


def contract_facts(
    config: ForecastConfig, facts: dict[str, Any], timeline: str, milestones: list[Milestone]
) -> dict[str, Any]:
    """A contract's facts for the forecast rules: engagement measured over its segment's window, the timeline."""
    window = config.engagement_window(facts.get("segment"))
    since = facts.get("days_since_engagement")
    return {
        **facts,
        "engaged": since is not None and since <= window,
        "engagement_days": window,
        "timeline": timeline,
        "milestones_late": sum(m.status in ("behind", "stuck") for m in milestones),
    }


def latest_calls(conn: Connection, contract_ids: list[int], as_of: date) -> dict[int, tuple[str, date]]:
    found: dict[int, tuple[str, date]] = {}
    for r in conn.execute(
        select(CALL.c.contract_id, CALL.c.category, CALL.c.called_on)
        .where(CALL.c.contract_id.in_(contract_ids), CALL.c.called_on <= as_of)
        .order_by(CALL.c.contract_id, CALL.c.called_on)
    ):
        found[r.contract_id] = (r.category, r.called_on)
    return found


def forecast_row(
    config: ForecastConfig,
    account: AccountFacts,
    contract: ContractTerm,
    milestones: list[Milestone],
    as_of: date,
    call: tuple[str, date] | None,
) -> dict[str, Any]:
    facts = contract_facts(config, account.for_contract(contract, as_of), worst(milestones), milestones)
    rule, evidence = categorise(config, facts)
    arr = Decimal(str(contract.arr)).quantize(Decimal("0.01"))
    csm = call[0] if call else None
    disagreement = csm is not None and csm != rule.name
    days = (contract.end_date - as_of).days
    return {
        "contract_id": contract.id,
        "account_id": account.account_id,
        "as_of": as_of,
        "renewal_on": contract.end_date,
        "days_to_renewal": days,
        "band": facts.get("band"),
        "timeline": facts["timeline"],
        "engaged": bool(facts.get("engaged")),
        "category": rule.name,
        "probability": rule.probability,
        "arr": arr,
        "weighted_arr": (arr * Decimal(str(rule.probability))).quantize(Decimal("0.01")),
        "rule": rule.if_,
        "facts": evidence | {k: facts.get(k) for k in EXPLAINED_BY},
        "csm_category": csm,
        "csm_called_on": call[1] if call else None,
        "disagreement": disagreement,
        "flagged": disagreement and days <= config.checkpoint_days,
    }


def store(conn: Connection, rows: list[dict[str, Any]], as_of: date) -> None:
    """Replace the forecasts of these contracts for this date."""
    if not rows:
        return
    conn.execute(
        delete(FORECAST).where(FORECAST.c.as_of == as_of, FORECAST.c.contract_id.in_([r["contract_id"] for r in rows]))
    )
    conn.execute(insert(FORECAST), rows)


def record_call(conn: Connection, contract_id: int, on: date, category: str, *, by: str, note: str | None) -> None:
    """The CSM's own call; a second call the same day replaces the first."""
    if category not in CATEGORIES:
        raise ValueError(f"category must be one of {', '.join(CATEGORIES)}, got {category!r}")
    if not by or not by.strip():
        raise ValueError("say who makes the call (--by)")
    conn.execute(delete(CALL).where(CALL.c.contract_id == contract_id, CALL.c.called_on == on))
    conn.execute(
        insert(CALL).values(contract_id=contract_id, called_on=on, category=category, note=note, called_by=by.strip())
    )


def latest_forecasts(conn: Connection, contract_ids: list[int], as_of: date) -> dict[int, dict[str, Any]]:
    """Each contract's newest forecast made on or before ``as_of``: a contract forecast on an earlier run (one
    scoped to some accounts, say) still shows, with its own date."""
    latest: dict[int, dict[str, Any]] = {}
    for start in range(0, len(contract_ids), 500):
        for r in conn.execute(
            select(FORECAST)
            .where(FORECAST.c.contract_id.in_(contract_ids[start : start + 500]), FORECAST.c.as_of <= as_of)
            .order_by(FORECAST.c.contract_id, FORECAST.c.as_of.desc())
        ).mappings():
            latest.setdefault(r["contract_id"], dict(r))
    return latest
