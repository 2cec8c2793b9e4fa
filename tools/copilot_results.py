"""What the copilot's read tools return: typed results in which every fact carries its source.

A result is also the record a composed answer is checked against (``core.faithfulness``), so what an answer
may state is exactly what these models hold, and every item names the stored row it came from.
"""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict

from tools.copilot_sources import Source


class _Result(BaseModel):
    model_config = ConfigDict(frozen=True)


class AccountSummary(_Result):
    external_id: str
    name: str
    owner_csm: str | None


class Contribution(_Result):
    signal: str
    group: str | None
    value: float | None
    score: float | None
    points: float | None
    #: The signal's weight in points (100 times its share of the score) less the points it earned: how much
    #: it holds the score below full. None when the signal had no score.
    points_lost: float | None = None


class Reason(_Result):
    signal: str | None
    text: str
    delta_points: float | None
    kind: str | None


class ScorecardResult(_Result):
    account: AccountSummary
    as_of: date | None
    band: str | None
    score: float | None
    trend: float | None
    contributions: list[Contribution]
    #: Largest effect first: caps, then the changes that moved the score most.
    reasons: list[Reason]
    source: Source | None


class UsagePoint(_Result):
    period_start: date
    logins: int | None
    active_users: int | None
    seats_used: int | None
    source: Source


class UsageTrendResult(_Result):
    account: AccountSummary
    points: list[UsagePoint]
    weeks: int
    first_active_users: int | None
    last_active_users: int | None
    #: Change of active users from the first to the last point, as a ratio (-0.4 is a 40% fall).
    active_users_change: float | None


class Stakeholder(_Result):
    name: str
    title: str | None
    roles: list[str]
    status: str
    departed_on: date | None
    stance: str | None
    last_engagement: date | None
    engagement_trend: str | None
    source: Source
    engagement_source: Source | None


class StakeholderResult(_Result):
    account: AccountSummary
    stakeholders: list[Stakeholder]


class AlertItem(_Result):
    kind: str
    type: str
    severity: str
    title: str
    opened_on: date
    source: Source


class AlertsResult(_Result):
    account: AccountSummary
    alerts: list[AlertItem]


class TaskItem(_Result):
    title: str
    owner_role: str
    assignee: str | None
    due_on: date
    status: str
    source: Source


class PlayItem(_Result):
    play: str
    status: str
    started_on: date
    tasks: list[TaskItem]
    source: Source


class PlaysResult(_Result):
    account: AccountSummary
    plays: list[PlayItem]


class RenewalItem(_Result):
    contract: str
    renewal_on: date
    days_to_renewal: int
    timeline: str
    category: str
    probability: float
    arr: float
    source: Source


class RenewalResult(_Result):
    account: AccountSummary
    renewals: list[RenewalItem]


class OfferItem(_Result):
    offer_id: int
    kind: str
    terms: dict[str, float | int | str | bool | None]
    status: str
    approval_status: str | None
    waiting_for: list[str]
    created_on: date
    source: Source
    approval_source: Source | None


class OffersResult(_Result):
    account: AccountSummary
    offers: list[OfferItem]


class Passage(_Result):
    """A knowledge-base chunk: a verbatim span of a stored text, with where it sits in its source."""

    chunk_id: str
    source_table: str
    source_id: str
    title: str | None
    occurred_on: date | None
    text: str
    score: float


class SearchResult(_Result):
    account: AccountSummary
    query: str
    passages: list[Passage]


class BookRenewal(_Result):
    account: AccountSummary
    renewal_on: date
    days_to_renewal: int
    timeline: str
    category: str
    source: Source


class BandMove(_Result):
    account: AccountSummary
    band_before: str | None
    band_now: str | None
    as_of_before: date
    as_of_now: date
    source: Source


class BookResult(_Result):
    """Book-level facts over the accounts the person may reach, and nothing else."""

    behind: list[BookRenewal]
    moved: list[BandMove]
    accounts_in_reach: int
