"""SQLModel tables; importing this package registers them all."""

from core.models.accounts import Account, Contact, Contract
from core.models.approvals import Approval, ApprovalDecision
from core.models.audit import AuditEvent
from core.models.billing import Invoice
from core.models.briefings import Briefing
from core.models.imports import ImportRun
from core.models.interactions import Interaction, InteractionParticipant
from core.models.market import MarketSignal
from core.models.model_versions import HealthModelVersion
from core.models.offers import Offer
from core.models.outbox import OutboxMessage
from core.models.plays import PlayEvent, PlayRun, PlayStep, RiskCase, RiskCaseStage, Task
from core.models.renewals import Artifact, RenewalCall, RenewalForecast
from core.models.scorecards import CsmAssessment, Scorecard
from core.models.support import SupportTicket, SurveyResponse
from core.models.telemetry import AccountMetric, UsageSnapshot
from core.models.users import ApiToken, AppUser, LoginThrottle, WebSession
from core.models.watchtower import (
    AgentOutput,
    AgentRun,
    Alert,
    LlmCacheEntry,
    SchedulerTick,
    StakeholderMovement,
)

__all__ = [
    "Account",
    "AccountMetric",
    "AgentOutput",
    "AgentRun",
    "Alert",
    "ApiToken",
    "AppUser",
    "Approval",
    "ApprovalDecision",
    "Artifact",
    "AuditEvent",
    "Briefing",
    "Contact",
    "Contract",
    "CsmAssessment",
    "HealthModelVersion",
    "ImportRun",
    "Interaction",
    "InteractionParticipant",
    "Invoice",
    "LlmCacheEntry",
    "LoginThrottle",
    "MarketSignal",
    "Offer",
    "OutboxMessage",
    "PlayEvent",
    "PlayRun",
    "PlayStep",
    "RenewalCall",
    "RenewalForecast",
    "RiskCase",
    "RiskCaseStage",
    "SchedulerTick",
    "Scorecard",
    "StakeholderMovement",
    "SupportTicket",
    "SurveyResponse",
    "Task",
    "UsageSnapshot",
    "WebSession",
]
