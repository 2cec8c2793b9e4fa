"""The source rows one account's signals are computed from, already narrowed to a time window.

Signal functions receive this and an as-of date; they never query the
database, so they are pure and unit-testable with hand-built data.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

PERIOD_DAYS = {"day": 1, "week": 7, "month": 30}


@dataclass(frozen=True)
class Usage:
    period_start: date
    period: str
    logins: int | None
    active_users: int | None
    seats_used: int | None
    features: tuple[str, ...]
    api_calls: int | None
    storage_gb: float | None
    metrics: dict[str, float]
    #: Last day the period covers; windows place periods by it.
    last_day: date = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "last_day", self.period_start + timedelta(days=self.days - 1))

    @property
    def days(self) -> int:
        return PERIOD_DAYS.get(self.period, 7)


@dataclass(frozen=True)
class Ticket:
    external_id: str
    opened_at: datetime
    closed_at: datetime | None
    priority: str
    status: str


@dataclass(frozen=True)
class Survey:
    external_id: str
    contact_id: int | None
    survey: str
    score: int
    responded_on: date


@dataclass(frozen=True)
class Invoice:
    external_id: str
    issued_on: date
    due_on: date
    paid_on: date | None
    status: str


@dataclass(frozen=True)
class Person:
    id: int
    external_id: str
    roles: tuple[str, ...]
    status: str
    departed_on: date | None
    #: Tells a contact's turns in a call transcript from ours.
    name: str | None = None

    def active_on(self, day: date) -> bool:
        if self.status != "departed":
            return True
        return self.departed_on is not None and self.departed_on > day


@dataclass(frozen=True)
class Touch:
    """An interaction and the customer contacts who took part."""

    external_id: str
    occurred_at: datetime
    kind: str
    contact_ids: tuple[int, ...]


@dataclass(frozen=True)
class Text:
    """Something written or said on the customer's side, before we pick out whose words are whose.

    ``table`` and ``external_id`` name the row; ``kind`` and ``direction`` are the interaction's (email, call,
    inbound...), or the table's name for tickets and surveys.
    """

    table: str
    external_id: str
    written_on: date
    kind: str
    direction: str | None
    body: str


@dataclass
class AccountData:
    account_id: int
    external_id: str
    arr: Decimal | None
    seats_purchased: int | None
    plan_limits: dict[str, float]
    segment: str | None
    products: int
    usage: list[Usage] = field(default_factory=list)
    tickets: list[Ticket] = field(default_factory=list)
    surveys: list[Survey] = field(default_factory=list)
    invoices: list[Invoice] = field(default_factory=list)
    contacts: list[Person] = field(default_factory=list)
    touches: list[Touch] = field(default_factory=list)
    metrics: dict[str, list[tuple[date, float]]] = field(default_factory=dict)
    texts: list[Text] = field(default_factory=list)
    #: Memo of usage windows: the same windows are read by several signals.
    windows: dict[tuple[date, int, int], list[Usage]] = field(default_factory=dict, repr=False, compare=False)
