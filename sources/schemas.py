"""Import/export row formats, one pydantic model per entity.

These are the file formats a team writes. References to other rows use
external ids (``account_external_id``), never database ids, so files from a
CRM or billing system can be loaded as they are. Field descriptions are shown
by ``watchtower formats`` and in the README.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, model_validator

ExternalId = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=128)]
ShortText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=255)]
Currency = Annotated[str, StringConstraints(strip_whitespace=True, to_upper=True, pattern=r"^[A-Za-z]{3}$")]
NonNegativeMoney = Annotated[Decimal, Field(ge=0, max_digits=14, decimal_places=2)]
#: The largest value an integer column holds on every backend (PostgreSQL ``integer``).
INT_MAX = 2_147_483_647
Count = Annotated[int, Field(ge=0, le=INT_MAX)]


def _to_utc(value: datetime) -> datetime:
    """Timestamps are stored in UTC; a timestamp without an offset is read as UTC."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


UtcDatetime = Annotated[datetime, AfterValidator(_to_utc)]

CONTACT_ROLES = ("champion", "executive_sponsor", "economic_buyer", "user", "detractor", "admin", "technical_buyer")
ContactRole = Literal[
    "champion", "executive_sponsor", "economic_buyer", "user", "detractor", "admin", "technical_buyer"
]


class ImportRow(BaseModel):
    """Base for every import format: unknown fields are errors, so a typo never drops data silently.

    Numbers must be finite (``nan`` and ``inf`` would be stored differently by each backend, or not at all).
    """

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=True, allow_inf_nan=False)


class AccountRow(ImportRow):
    external_id: ExternalId = Field(description="Stable id from your CRM; re-importing updates the row.")
    name: ShortText = Field(min_length=1, description="Company name.")
    segment: ShortText | None = Field(None, description="Segment name; derived from segment rules when empty.")
    industry: ShortText | None = None
    country: ShortText | None = None
    arr: NonNegativeMoney | None = Field(None, description="Annual recurring revenue.")
    currency: Currency = "USD"
    plan: ShortText | None = None
    plan_limits: dict[str, float] = Field(
        default_factory=dict,
        description="Plan limits by metric, e.g. plan_limits.api_calls, plan_limits.storage_gb (CSV: one column each).",
    )
    seats_purchased: Count | None = None
    owner_csm: ShortText | None = Field(None, description="Email of the owning CSM.")
    parent_external_id: ExternalId | None = Field(None, description="Parent account, for hierarchies.")
    customer_since: date | None = None
    status: Literal["active", "churned", "prospect"] = "active"
    churned_on: date | None = None

    @model_validator(mode="after")
    def _self_parent(self) -> AccountRow:
        if self.parent_external_id == self.external_id:
            raise ValueError("parent_external_id: an account cannot be its own parent")
        return self


class ContractRow(ImportRow):
    external_id: ExternalId
    account_external_id: ExternalId
    start_date: date
    end_date: date | None = Field(None, description="Empty for an open-ended subscription.")
    notice_days: int = Field(30, ge=0, le=730)
    auto_renew: bool = False
    arr: NonNegativeMoney | None = None
    currency: Currency = "USD"
    plan: ShortText | None = None
    seats: Count | None = None
    products: list[ShortText] = Field(default_factory=list, description="CSV: separated by ';'.")
    billing_frequency: Literal["monthly", "quarterly", "annual", "multi_year"] | None = None
    status: Literal["active", "renewed", "churned", "expired", "cancelled"] = "active"

    @model_validator(mode="after")
    def _dates_in_order(self) -> ContractRow:
        if self.end_date is not None and self.end_date < self.start_date:
            raise ValueError("end_date: must not be before start_date")
        return self


class ContactRow(ImportRow):
    external_id: ExternalId
    account_external_id: ExternalId
    name: ShortText | None = None
    email: ShortText | None = None
    title: ShortText | None = None
    department: ShortText | None = None
    roles: list[ContactRole] = Field(
        default_factory=list, description=f"CSV: ';'-separated, of {', '.join(CONTACT_ROLES)}."
    )
    status: Literal["active", "departed"] = "active"
    departed_on: date | None = None


class UsageSnapshotRow(ImportRow):
    account_external_id: ExternalId
    period_start: date = Field(description="First day of the period.")
    period: Literal["day", "week", "month"] = "week"
    logins: Count | None = None
    active_users: Count | None = None
    seats_used: Count | None = None
    features_used: Count | None = Field(None, description="Distinct features used; counted from 'features' when empty.")
    features: list[ShortText] = Field(default_factory=list, description="Names of features used (CSV: ';'-separated).")
    api_calls: Count | None = None
    storage_gb: float | None = Field(None, ge=0)
    metrics: dict[str, float] = Field(
        default_factory=dict, description="Any other named metric: metrics.<name> columns."
    )

    @model_validator(mode="after")
    def _count_features(self) -> UsageSnapshotRow:
        if self.features_used is None and self.features:
            object.__setattr__(self, "features_used", len(set(self.features)))
            # Derived from a given field, so a re-import writes it as if given.
            self.model_fields_set.add("features_used")
        return self


class SupportTicketRow(ImportRow):
    external_id: ExternalId
    account_external_id: ExternalId
    contact_external_id: ExternalId | None = None
    subject: Annotated[str, StringConstraints(strip_whitespace=True, max_length=512)] | None = None
    category: ShortText | None = None
    priority: Literal["low", "medium", "high", "urgent"] = "medium"
    status: Literal["new", "open", "pending", "solved", "closed"] = "open"
    opened_at: UtcDatetime
    first_response_minutes: Count | None = None
    closed_at: UtcDatetime | None = None
    satisfaction: int | None = Field(None, ge=1, le=5, description="CSAT 1-5.")
    escalated: bool = False

    @model_validator(mode="after")
    def _closed_after_opened(self) -> SupportTicketRow:
        if self.closed_at is not None and self.closed_at < self.opened_at:
            raise ValueError("closed_at: must not be before opened_at")
        return self


SURVEY_RANGES = {"nps": (0, 10), "csat": (1, 5), "ces": (1, 7)}


class SurveyResponseRow(ImportRow):
    external_id: ExternalId
    account_external_id: ExternalId
    contact_external_id: ExternalId | None = None
    survey: Literal["nps", "csat", "ces"] = "nps"
    score: int
    verbatim: str | None = Field(None, max_length=20000)
    responded_on: date

    @model_validator(mode="after")
    def _score_in_range(self) -> SurveyResponseRow:
        low, high = SURVEY_RANGES[self.survey]
        if not low <= self.score <= high:
            raise ValueError(f"score: {self.survey} scores run from {low} to {high}, got {self.score}")
        return self


class InvoiceRow(ImportRow):
    external_id: ExternalId
    account_external_id: ExternalId
    contract_external_id: ExternalId | None = None
    amount: NonNegativeMoney
    currency: Currency = "USD"
    issued_on: date
    due_on: date
    paid_on: date | None = None
    amount_paid: NonNegativeMoney | None = None
    status: Literal["open", "paid", "partially_paid", "void"] = "open"

    @model_validator(mode="after")
    def _consistent(self) -> InvoiceRow:
        if self.due_on < self.issued_on:
            raise ValueError("due_on: must not be before issued_on")
        if self.status == "paid" and self.paid_on is None:
            raise ValueError("paid_on: a paid invoice needs the date it was paid")
        return self


class InteractionRow(ImportRow):
    external_id: ExternalId
    account_external_id: ExternalId
    kind: Literal["call", "email", "meeting", "qbr", "note", "chat"]
    occurred_at: UtcDatetime
    direction: Literal["inbound", "outbound", "internal"] | None = None
    subject: Annotated[str, StringConstraints(strip_whitespace=True, max_length=512)] | None = None
    body: str | None = Field(None, max_length=200_000, description="Transcript or message text (untrusted).")
    participants: list[ExternalId] = Field(
        default_factory=list, description="Contact external ids who took part (CSV: ';'-separated)."
    )
    internal_participants: list[ShortText] = Field(default_factory=list, description="Our people (emails).")


class MarketSignalRow(ImportRow):
    external_id: ExternalId
    account_external_id: ExternalId | None = Field(None, description="Empty when not yet matched to an account.")
    contact_external_id: ExternalId | None = None
    kind: Literal["news", "job_change", "funding", "layoff", "acquisition", "leadership_change", "other"]
    title: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=512)]
    body: str | None = Field(None, max_length=200_000)
    source_url: (
        Annotated[str, StringConstraints(strip_whitespace=True, max_length=2048, pattern=r"^https?://")] | None
    ) = None
    published_on: date
    company_name: ShortText | None = None
    person_name: ShortText | None = None


class AccountMetricRow(ImportRow):
    account_external_id: ExternalId
    date: date
    name: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=128, pattern=r"^[A-Za-z0-9_.:-]+$")
    ]
    value: float


class CsmAssessmentRow(ImportRow):
    account_external_id: ExternalId
    assessed_on: date
    band: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=32)] = Field(
        description="The CSM's band, named as in the health model (Green, Yellow, Orange, Red by default)."
    )
    note: str | None = Field(None, max_length=20000)
    assessed_by: ShortText | None = None
