"""SQLModel tables; importing this package registers them all."""

from core.models.accounts import Account, Contact, Contract
from core.models.billing import Invoice
from core.models.imports import ImportRun
from core.models.interactions import Interaction, InteractionParticipant
from core.models.market import MarketSignal
from core.models.model_versions import HealthModelVersion
from core.models.scorecards import CsmAssessment, Scorecard
from core.models.support import SupportTicket, SurveyResponse
from core.models.telemetry import AccountMetric, UsageSnapshot
from core.models.watchtower import AgentOutput, AgentRun, Alert, LlmCacheEntry, StakeholderMovement

__all__ = [
    "Account",
    "AccountMetric",
    "AgentOutput",
    "AgentRun",
    "Alert",
    "Contact",
    "Contract",
    "CsmAssessment",
    "HealthModelVersion",
    "ImportRun",
    "Interaction",
    "InteractionParticipant",
    "Invoice",
    "LlmCacheEntry",
    "MarketSignal",
    "Scorecard",
    "StakeholderMovement",
    "SupportTicket",
    "SurveyResponse",
    "UsageSnapshot",
]
