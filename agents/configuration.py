"""The watchtowers' editable policy: alert thresholds and schedule, from ``watchtowers.yaml``.

The file is the team's copy when it has one, else the default that ships (``core.config_files``).
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from core.config_errors import load_yaml_model
from core.config_files import policy_path

AgentName = Literal["product_health", "sentiment", "financial", "market_intel"]
AGENTS: tuple[AgentName, ...] = ("product_health", "sentiment", "financial", "market_intel")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class UsageDrop(_Strict):
    metric: Literal["active_users", "logins"] = "active_users"
    window_days: int = Field(28, ge=7, le=182)
    drop_pct: float = Field(10, gt=0, lt=100)
    critical_drop_pct: float = Field(40, gt=0, le=100)
    min_absolute_drop: float = Field(1.0, ge=0)


class PlanLimit(_Strict):
    usage_pct: float = Field(80, gt=0, le=100)


class PowerUsers(_Strict):
    metric: str = "power_users"
    rise_pct: float = Field(50, gt=0)
    min_increase: float = Field(2, ge=0)


class NewDepartment(_Strict):
    metric: str = "departments_active"
    recent_days: int = Field(28, ge=7)
    baseline_days: int = Field(84, ge=7)


class ProductHealth(_Strict):
    usage_drop: UsageDrop = UsageDrop()
    plan_limit: PlanLimit = PlanLimit()
    power_users: PowerUsers = PowerUsers()
    new_department: NewDepartment = NewDepartment()


class Sentiment(_Strict):
    lookback_days: int = Field(365, ge=7)
    half_life_days: float = Field(60, gt=0)
    detractor_at: float = Field(-0.3, ge=-1, le=0)
    promoter_at: float = Field(0.3, ge=0, le=1)
    detractor_share_pct: float = Field(20, gt=0, le=100)
    key_roles: list[str] = ["champion", "executive_sponsor", "economic_buyer"]
    nps_detractor_max: int = Field(6, ge=0, le=10)
    nps_recent_days: int = Field(30, ge=1)
    engagement_days: int = Field(90, ge=7)
    escalation_at: float = Field(-0.8, ge=-1, le=0)
    escalation_recent_days: int = Field(45, ge=1)


class Financial(_Strict):
    overdue_days: int = Field(10, ge=0)
    critical_overdue_days: int = Field(45, ge=1)


class MarketIntel(_Strict):
    lookback_days: int = Field(90, ge=1)
    key_roles: list[str] = ["champion", "executive_sponsor", "economic_buyer"]


class Cadence(_Strict):
    cadence_days: int = Field(ge=1, le=365)
    follows_segment_cadence: bool = False


class Schedule(_Strict):
    product_health: Cadence = Cadence(cadence_days=1)
    sentiment: Cadence = Cadence(cadence_days=7, follows_segment_cadence=True)
    financial: Cadence = Cadence(cadence_days=7, follows_segment_cadence=True)
    market_intel: Cadence = Cadence(cadence_days=7, follows_segment_cadence=True)
    tick_seconds: int = Field(3600, ge=1)
    #: After a failed tick the next comes after retry_seconds, doubled for each further failure in a row and
    #: at most retry_max_seconds, so a lasting outage is tried less and less often but never given up.
    retry_seconds: int = Field(60, ge=1)
    retry_max_seconds: int = Field(3600, ge=1)
    #: A running cycle refreshes its record's last_seen_at this often; one silent for run_stale_after_seconds
    #: (or whose pid is gone from its host) is marked abandoned by the next run or scheduler tick.
    run_heartbeat_seconds: int = Field(30, ge=1)
    run_stale_after_seconds: int = Field(300, ge=2)

    @model_validator(mode="after")
    def _retry_cap_not_below_first_retry(self) -> Schedule:
        if self.retry_max_seconds < self.retry_seconds:
            raise ValueError(
                f"retry_max_seconds ({self.retry_max_seconds}) must not be below retry_seconds ({self.retry_seconds})"
            )
        if self.run_stale_after_seconds < 2 * self.run_heartbeat_seconds:
            raise ValueError(
                f"run_stale_after_seconds ({self.run_stale_after_seconds}) must be at least twice "
                f"run_heartbeat_seconds ({self.run_heartbeat_seconds}), or a live run could be taken for dead"
            )
        return self

    @property
    def run_heartbeat(self) -> timedelta:
        return timedelta(seconds=self.run_heartbeat_seconds)

    @property
    def run_stale_after(self) -> timedelta:
        return timedelta(seconds=self.run_stale_after_seconds)

    def cadence(self, agent: AgentName) -> Cadence:
        return getattr(self, agent)


class WatchtowerConfig(_Strict):
    version: str = Field(min_length=1)
    product_health: ProductHealth = ProductHealth()
    sentiment: Sentiment = Sentiment()
    financial: Financial = Financial()
    market_intel: MarketIntel = MarketIntel()
    schedule: Schedule = Schedule()


def load_watchtower_config(path: Path | None = None, *, directory: Path | None = None) -> WatchtowerConfig:
    return load_yaml_model(policy_path("watchtowers.yaml", path, directory=directory), WatchtowerConfig)
