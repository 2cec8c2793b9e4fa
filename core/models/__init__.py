"""SQLModel tables for the sources stage; importing this package registers them all."""

from core.models.accounts import Account, Contact, Contract
from core.models.billing import Invoice
from core.models.imports import ImportRun
from core.models.interactions import Interaction, InteractionParticipant
from core.models.market import MarketSignal
from core.models.model_versions import HealthModelVersion
from core.models.scorecards import CsmAssessment, Scorecard
from core.models.support import SupportTicket, SurveyResponse
from core.models.telemetry import AccountMetric, UsageSnapshot

__all__ = [
    "Account",
    "AccountMetric",
    "Contact",
    "Contract",
    "CsmAssessment",
    "HealthModelVersion",
    "ImportRun",
    "Interaction",
    "InteractionParticipant",
    "Invoice",
    "MarketSignal",
    "Scorecard",
    "SupportTicket",
    "SurveyResponse",
    "UsageSnapshot",
]
