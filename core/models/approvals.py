"""The approval of one offer: the chain its policy rules require, and each person's decision on it.

``groups`` is the routed chain: each group names the roles that may satisfy
it, how many approvals it needs, the groups that must be satisfied first, its
SLA deadline and any roles added by escalation. ``version`` increases with
every change, so two people deciding at once cannot both act on the same state.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from core.models._types import JSONType


class Approval(SQLModel, table=True):
    __tablename__ = "approval"
    __table_args__ = (Index("ix_approval_status_due", "status", "next_due_at"),)

    id: int | None = Field(default=None, primary_key=True)
    offer_id: int = Field(foreign_key="offer.id", unique=True, ondelete="CASCADE")
    account_id: int = Field(foreign_key="account.id", index=True, ondelete="CASCADE")
    status: str = Field(default="pending", max_length=16)  # pending | approved | rejected
    policy_version: str = Field(max_length=64)
    rules: list[str] = Field(default_factory=list, sa_type=JSONType)
    groups: list[dict] = Field(default_factory=list, sa_type=JSONType)
    version: int = 1
    #: The terms' revision: 1 as proposed, one more with every edit; approvals count for one revision only.
    revision: int = 1
    created_at: datetime
    next_due_at: datetime | None = None
    settled_at: datetime | None = None
    settled_by: str | None = Field(default=None, max_length=255)
    reason: str | None = Field(default=None, sa_type=Text)
    resumed_at: datetime | None = None


class ApprovalDecision(SQLModel, table=True):
    """One person's decision on one group of a chain; a person decides a group once per revision of the terms."""

    __tablename__ = "approval_decision"
    __table_args__ = (
        UniqueConstraint("approval_id", "revision", "group_key", "user_id", name="uq_decision_person_group"),
    )

    id: int | None = Field(default=None, primary_key=True)
    approval_id: int = Field(foreign_key="approval.id", index=True, ondelete="CASCADE")
    revision: int
    group_key: str = Field(max_length=64)
    user_id: int = Field(foreign_key="app_user.id")
    username: str = Field(max_length=64)
    role: str = Field(max_length=16)
    decision: str = Field(max_length=16)  # approve | edit | reject
    reason: str = Field(sa_type=Text)
    edits: dict | None = Field(default=None, sa_type=JSONType)
    decided_at: datetime
