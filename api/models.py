"""The JSON API's request and response bodies, and the typed values of the web forms.

Every route takes and returns one of these, so ``/api/openapi.json`` is the
whole contract: a client generator or a schema-driven fuzzer can rely on it.
Families follow one pattern per resource: ``...Create`` comes in,
``...Public`` goes out, ``...sPublic`` is one page of a list. Statuses are
literals, so a new status is a schema change a client can see. The views in
``approvals.views`` still return plain dicts (the web templates and the CLI read
those); these models validate them on the way out.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model, field_validator, model_validator

from api.bounds import (
    MAX_EVIDENCE_ITEM,
    MAX_EVIDENCE_ITEMS,
    MAX_ID,
    MAX_TEXT,
    PlainText,
    first_not_text,
    ledger_problem,
)
from approvals.decisions import Approve, Edit, InvalidDecision, Reject, parse_decision
from approvals.terms import OfferKind, OfferTerms
from approvals.views import ApprovalStatus, OfferStatus
from core.identity import Role

ActorKind = Literal["person", "agent", "play", "system"]
Need = Literal["any", "all"] | int
#: The largest page a list returns, and an offset beyond any real list that still fits an SQL integer.
MAX_LIMIT = 200
MAX_OFFSET = 2**31 - 1


class PageParams(BaseModel):
    """Where a page of a list starts and how long it is; every list answers with its ``total`` beside it."""

    limit: int = Field(50, ge=1, le=MAX_LIMIT, description="How many items to return.")
    offset: int = Field(0, ge=0, le=MAX_OFFSET, description="How many items to skip.")


class _TextOnly(BaseModel):
    """A request body every string of which, at any depth, is text (no NUL byte, no lone surrogate).

    Checked on what was sent, before the fields are read, so the domain models nested in a body (offer
    terms, a decision) are covered without each carrying the check.
    """

    @model_validator(mode="before")
    @classmethod
    def _only_text(cls, data: Any) -> Any:
        found = first_not_text(data)
        if found:
            where, reason = found
            raise ValueError(f"{'.'.join(map(str, where)) or 'body'}: {reason}")
        return data


def _within_ledger(terms: BaseModel) -> BaseModel:
    problem = ledger_problem(terms)
    if problem:
        raise ValueError(problem)
    return terms


class Problem(BaseModel):
    """A refusal: what failed, for which resource, and what to do about it."""

    detail: str


#: The refusals every JSON route may answer with, for the schema.
SIGNED_IN = {401: {"model": Problem, "description": "No token, or an unknown, expired or revoked one."}}


class Page(BaseModel):
    total: int = Field(description="Items in the whole list, not only this page.")
    limit: int
    offset: int


class ServiceStatus(BaseModel):
    status: Literal["ok"]


# Shared pieces


class AccountRef(BaseModel):
    id: int
    external_id: str
    name: str


class Requester(BaseModel):
    name: str
    kind: ActorKind
    launched_by: str | None = Field(
        None, description="For an agent's offer: the person or job that launched the run; they may not decide it."
    )


class ConcessionPublic(BaseModel):
    """What the offer gives away, priced by code before routing; the approval policy reads these numbers."""

    pct: Decimal = Field(description="The concession as a percent of base_arr.")
    amount: Decimal | None = Field(description="In money; null only for a percent on an account with no ARR.")
    base_arr: Decimal | None = Field(description="The contract's ARR, else the account's, that the offer is priced on.")
    arr_change: Decimal = Field(description="The change to ARR the offer makes.")
    parts: dict[str, Decimal] = Field(description="What each term gives away.")


class AccountHealth(BaseModel):
    """The account's latest scorecard."""

    band: str | None
    score: float | None
    trend: float | None = Field(description="Score change against the trend window, in points.")


# Approvals


class WaitingFor(BaseModel):
    group: str
    roles: list[Role] = Field(description="Roles that may satisfy the group now, escalations included.")
    need: Need
    due_at: datetime | None


class ApprovalPublic(BaseModel):
    """One approval in the queue: the offer, its money, the account's health and who it waits for."""

    id: int
    offer_id: int
    status: ApprovalStatus
    version: int = Field(description="Send it back with a decision to be refused (409) if someone decided since.")
    account: AccountRef
    kind: OfferKind
    terms: OfferTerms
    discount_pct: float | None
    amount: Decimal | None = Field(description="The discount or service credit amount, when the terms give one.")
    arr_impact: Decimal | None
    concession: ConcessionPublic | None = Field(description="Null for an offer stored before offers were priced.")
    health: AccountHealth | None
    rationale: str
    evidence: list[str]
    requester: Requester
    rules: list[str] = Field(description="The approval policy's rules that routed this offer.")
    waiting_for: list[WaitingFor]
    created_at: datetime
    next_due_at: datetime | None
    settled_at: datetime | None
    settled_by: str | None
    reason: str | None


class ApprovalsPublic(Page):
    items: list[ApprovalPublic]


class ChainGroup(BaseModel):
    key: str
    roles: list[Role]
    need: Need
    after: list[str] = Field(description="Groups that must be satisfied before this one opens.")
    rules: list[str]
    sla_hours: float
    escalated_roles: list[Role]
    escalations: int
    opened_at: datetime | None
    due_at: datetime | None
    satisfied_at: datetime | None


class Renewal(BaseModel):
    end_date: date | None
    arr: Decimal | None
    plan: str | None


class OpenAlert(BaseModel):
    id: int
    title: str
    severity: str
    opened_on: date


class ScoreReason(BaseModel):
    signal: str
    delta_points: float
    text: str
    evidence: list[str]
    #: "cap" or "floor": the health model's limit that set the band, its text naming the values that fired it.
    kind: Literal["change", "weak", "cap", "floor"] = "change"


class AccountContext(BaseModel):
    id: int
    external_id: str
    name: str
    owner_csm: str | None
    arr: float | None
    segment: str | None
    band: str | None
    score: float | None
    trend: float | None
    scored_on: date | None
    renewal: Renewal | None
    open_alerts: list[OpenAlert]
    score_reasons: list[ScoreReason]


class DecisionRecord(BaseModel):
    group: str
    revision: int
    by: str
    role: Role
    decision: Literal["approve", "edit", "reject"]
    reason: str
    edits: dict[str, Any] | None = Field(description="Terms the edit changed (null: removed).")
    at: datetime


class AuditEventPublic(BaseModel):
    id: int
    action: str
    actor: str
    actor_kind: ActorKind
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    reason: str | None
    at: datetime


class ApprovalDetail(ApprovalPublic):
    """One approval with its chain, the decisions so far, the audit trail and the account around it."""

    chain: list[ChainGroup]
    contract_id: int | None
    account_context: AccountContext
    decisions: list[DecisionRecord]
    audit: list[AuditEventPublic]


def _all_optional(model: type[BaseModel], name: str, doc: str) -> type[BaseModel]:
    """``model``'s fields, each optional with its type and bounds kept: one source for a partial update.

    A field that may be null in ``model`` may be sent as null (to remove it); a flag may not.
    """
    fields: dict[str, Any] = {
        field: (
            Annotated[(info.annotation, *info.metadata)] if info.metadata else info.annotation,
            Field(None, description=info.description),
        )
        for field, info in model.model_fields.items()
    }
    return create_model(name, __config__=ConfigDict(extra="forbid"), __doc__=doc, **fields)


TermsEdit = _all_optional(
    OfferTerms,
    "TermsEdit",
    "Terms to change: only the fields given change, and null removes a field that may be empty. The merged "
    "terms are checked again, and the edit re-routes the offer.",
)


class _Versioned(_TextOnly):
    version: int | None = Field(
        None,
        ge=1,
        le=MAX_ID,
        description="The approval's version you read; a decision on a changed approval is refused (409).",
    )

    def to_decision(self) -> Approve | Edit | Reject:
        """The domain's decision, without the version (which only the HTTP contract carries)."""
        return parse_decision(self.model_dump(mode="json", exclude_unset=True, exclude={"version"}))


class ApproveRequest(Approve, _Versioned):
    pass


class EditRequest(Edit, _Versioned):
    terms: TermsEdit  # type: ignore[valid-type]

    @field_validator("terms")
    @classmethod
    def _something(cls, value: BaseModel) -> BaseModel:
        if not value.model_fields_set:
            raise ValueError("name at least one term to change")
        return _within_ledger(value)


class RejectRequest(Reject, _Versioned):
    pass


#: The decision body: ``approve | edit | reject`` (``approvals.decisions.Decision``) plus the version read.
DecisionRequest = Annotated[ApproveRequest | EditRequest | RejectRequest, Field(discriminator="decision")]


class DecisionOutcome(BaseModel):
    approval_id: int
    offer_id: int
    status: ApprovalStatus
    group: str = Field(description="The group of the chain this decision counted for.")
    version: int
    settled: bool
    message: str
    resumed: bool = Field(description="Whether the agent run paused on this approval was resumed.")


# Offers


class OfferCreate(_TextOnly):
    model_config = ConfigDict(extra="forbid")

    account: PlainText = Field(
        min_length=1, max_length=128, description="The account's external id.", examples=["ACC-00001"]
    )
    contract_id: int | None = Field(None, ge=1, le=MAX_ID)
    kind: OfferKind
    terms: OfferTerms = Field(default_factory=OfferTerms)
    rationale: PlainText = Field(min_length=1, max_length=MAX_TEXT)
    evidence: list[Annotated[PlainText, Field(min_length=1, max_length=MAX_EVIDENCE_ITEM)]] = Field(
        default_factory=list,
        max_length=MAX_EVIDENCE_ITEMS,
        description="References to what supports the offer (an alert, a scorecard reason): each shown to every "
        "approver, so each is short.",
    )

    @field_validator("terms")
    @classmethod
    def _fits(cls, value: OfferTerms) -> OfferTerms:
        return _within_ledger(value)  # type: ignore[return-value]


class OfferSubmitted(BaseModel):
    offer_id: int
    approval_id: int
    status: Literal["pending", "rejected"] = Field(description="rejected: no approval rule covers the offer.")
    message: str


class OfferPublic(BaseModel):
    id: int
    account: AccountRef
    contract_id: int | None
    kind: OfferKind
    terms: OfferTerms
    arr_impact: Decimal | None
    concession: ConcessionPublic | None = Field(description="Null for an offer stored before offers were priced.")
    status: OfferStatus
    requester: Requester
    rationale: str
    evidence: list[str]
    created_on: date
    settled_at: datetime | None
    approval_id: int | None


class OffersPublic(Page):
    items: list[OfferPublic]


# Events


class EventBatch(_TextOnly):
    model_config = ConfigDict(extra="forbid")

    type: Literal["usage", "market_signal"]
    events: list[dict[str, Any]] = Field(
        min_length=1,
        max_length=10_000,
        description="Rows in the import format of the type (watchtower formats usage_snapshot | market_signal); "
        "the importer checks them, so its flattened keys (metrics.<name>) and ';'-separated lists work as in files.",
    )


class EventsAccepted(BaseModel):
    rows: int
    inserted: int
    updated: int
    unchanged: int


# Web forms


class _Blank(BaseModel):
    @field_validator("*", mode="before")
    @classmethod
    def _blank_is_none(cls, value: Any) -> Any:
        return None if isinstance(value, str) and not value.strip() else value


class EditedTerms(_Blank):
    """The numbers the web edit form may change; blank keeps the term as it is. Bounds are the terms' own."""

    model_config = ConfigDict(extra="forbid")

    discount_pct: float | None = Field(None, allow_inf_nan=False)
    term_months: int | None = None
    payment_terms_days: int | None = None


class _Version(BaseModel):
    version: int | None = Field(None, ge=1, le=MAX_ID)


class DecisionForm(_Blank):
    """What the web approval forms post (besides the CSRF token), as the browser sends it: all text."""

    decision: str | None = None
    reason: str | None = None
    version: str | None = None
    discount_pct: str | None = None
    term_months: str | None = None
    payment_terms_days: str | None = None
    back: str | None = Field(None, description="The page the form was on, to go back to (a path on this site).")

    def entered(self) -> dict[str, str]:
        """What the person typed, to show again beside an error so nothing has to be typed twice."""
        return {
            k: v for k, v in self.model_dump(include={"reason", *EditedTerms.model_fields}).items() if v is not None
        }

    def typed(self) -> tuple[Approve | Edit | Reject, int | None]:
        """The decision and the version read; ``InvalidDecision`` names the field that is wrong."""
        found = first_not_text(self.model_dump(exclude_none=True))
        if found:
            where, reason = found
            raise InvalidDecision(f"{'.'.join(map(str, where))}: {reason}")
        try:
            version = _Version.model_validate({"version": self.version}).version
            raw: dict[str, Any] = {"decision": self.decision, "reason": (self.reason or "").strip()}
            if self.decision == "edit":
                numbers = {k: getattr(self, k) for k in EditedTerms.model_fields}
                raw["terms"] = EditedTerms.model_validate(numbers).model_dump(exclude_none=True)
        except ValidationError as exc:
            first = exc.errors(include_url=False)[0]
            field = ".".join(map(str, first["loc"]))
            shown = f" (got {first['input']!r})" if isinstance(first.get("input"), str) else ""
            raise InvalidDecision(f"{field}: {first['msg']}{shown}") from None
        return parse_decision(raw), version
