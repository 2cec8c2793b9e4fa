"""The registry of importable entities: file format, table, identity and references.

One table drives import, export and the CLI, so adding an entity is one entry
here plus its row model and table; no per-entity importer code.
"""

from __future__ import annotations

import types
import typing
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from sqlmodel import SQLModel

from core import models
from sources import schemas
from sources.errors import UnknownEntity


@dataclass(frozen=True)
class Reference:
    """A field holding another row's external id, stored as that row's database id."""

    field: str
    column: str
    target: str
    required: bool = True
    #: The referenced row must belong to the same account as this row (contacts, contracts).
    same_account: bool = False


@dataclass(frozen=True)
class EntitySpec:
    name: str
    table: type[SQLModel]
    row: type[schemas.ImportRow]
    key: tuple[str, ...]
    references: tuple[Reference, ...] = ()
    aliases: tuple[str, ...] = ()
    #: A list of contact external ids stored in the participant link table.
    participants_field: str | None = None
    description: str = ""

    @cached_property
    def list_fields(self) -> frozenset[str]:
        return frozenset(n for n, f in self.row.model_fields.items() if _outer(f.annotation) is list)

    @cached_property
    def dict_fields(self) -> frozenset[str]:
        return frozenset(n for n, f in self.row.model_fields.items() if _outer(f.annotation) is dict)

    @cached_property
    def row_fields(self) -> tuple[str, ...]:
        return tuple(self.row.model_fields)

    @cached_property
    def required_fields(self) -> tuple[str, ...]:
        return tuple(n for n, f in self.row.model_fields.items() if f.is_required())

    @cached_property
    def reference_by_field(self) -> dict[str, Reference]:
        return {r.field: r for r in self.references}

    @property
    def uses_external_id(self) -> bool:
        return self.key == ("external_id",)


def _outer(annotation: Any) -> Any:
    """The container type of an annotation, looking through Optional."""
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        inner = [a for a in typing.get_args(annotation) if a is not type(None)]
        return _outer(inner[0]) if len(inner) == 1 else None
    if origin is typing.Annotated:
        return _outer(typing.get_args(annotation)[0])
    return origin or annotation


ACCOUNT_REF = Reference("account_external_id", "account_id", "account")

ENTITIES: dict[str, EntitySpec] = {
    spec.name: spec
    for spec in (
        EntitySpec(
            "account",
            models.Account,
            schemas.AccountRow,
            ("external_id",),
            (Reference("parent_external_id", "parent_id", "account", required=False),),
            aliases=("accounts",),
            description="Customer companies.",
        ),
        EntitySpec(
            "contract",
            models.Contract,
            schemas.ContractRow,
            ("external_id",),
            (ACCOUNT_REF,),
            aliases=("contracts", "subscription", "subscriptions"),
            description="Subscriptions and their terms; end_date anchors renewals.",
        ),
        EntitySpec(
            "contact",
            models.Contact,
            schemas.ContactRow,
            ("external_id",),
            (ACCOUNT_REF,),
            aliases=("contacts", "people"),
            description="People at the customer and their roles.",
        ),
        EntitySpec(
            "usage_snapshot",
            models.UsageSnapshot,
            schemas.UsageSnapshotRow,
            ("account_id", "period_start", "period"),
            (ACCOUNT_REF,),
            aliases=("usage", "usage_snapshots"),
            description="Product usage per account per day, week or month.",
        ),
        EntitySpec(
            "support_ticket",
            models.SupportTicket,
            schemas.SupportTicketRow,
            ("external_id",),
            (ACCOUNT_REF, Reference("contact_external_id", "contact_id", "contact", False, True)),
            aliases=("ticket", "tickets", "support_tickets"),
            description="Support tickets.",
        ),
        EntitySpec(
            "survey_response",
            models.SurveyResponse,
            schemas.SurveyResponseRow,
            ("external_id",),
            (ACCOUNT_REF, Reference("contact_external_id", "contact_id", "contact", False, True)),
            aliases=("survey", "surveys", "survey_responses", "nps"),
            description="NPS, CSAT and CES answers with verbatims.",
        ),
        EntitySpec(
            "invoice",
            models.Invoice,
            schemas.InvoiceRow,
            ("external_id",),
            (ACCOUNT_REF, Reference("contract_external_id", "contract_id", "contract", False, True)),
            aliases=("invoices",),
            description="Invoices, due and paid dates.",
        ),
        EntitySpec(
            "interaction",
            models.Interaction,
            schemas.InteractionRow,
            ("external_id",),
            (ACCOUNT_REF,),
            aliases=("interactions", "transcripts", "emails", "meetings"),
            participants_field="participants",
            description="Calls, emails, meetings and QBRs with their participants.",
        ),
        EntitySpec(
            "market_signal",
            models.MarketSignal,
            schemas.MarketSignalRow,
            ("external_id",),
            (
                Reference("account_external_id", "account_id", "account", required=False),
                Reference("contact_external_id", "contact_id", "contact", False, True),
            ),
            aliases=("market_signals", "news", "signals"),
            description="News, job changes, funding and layoffs.",
        ),
        EntitySpec(
            "account_metric",
            models.AccountMetric,
            schemas.AccountMetricRow,
            ("account_id", "date", "name"),
            (ACCOUNT_REF,),
            aliases=("account_metrics", "metrics", "metric"),
            description="Any dated numeric metric; the health model can reference it by name.",
        ),
        EntitySpec(
            "csm_assessment",
            models.CsmAssessment,
            schemas.CsmAssessmentRow,
            ("account_id", "assessed_on"),
            (ACCOUNT_REF,),
            aliases=("csm_assessments", "assessments", "assessment"),
            description="A CSM's own health call on a date; shown beside the score until it expires.",
        ),
    )
}

#: Import order that satisfies every reference (parents before children).
IMPORT_ORDER: tuple[str, ...] = tuple(ENTITIES)

_ALIASES = {alias: spec.name for spec in ENTITIES.values() for alias in (spec.name, *spec.aliases)}
_ALIASES.update({name.replace("_", "-"): target for name, target in list(_ALIASES.items())})


def get_entity(name: str) -> EntitySpec:
    key = name.strip().lower()
    if key not in _ALIASES:
        raise UnknownEntity(f"unknown entity '{name}'; choose one of: {', '.join(ENTITIES)}")
    return ENTITIES[_ALIASES[key]]
