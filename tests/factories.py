"""Build signal inputs by hand: the smallest data that shows one behaviour."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from signals.data import AccountData, Invoice, Person, Survey, Text, Ticket, Touch, Usage

AS_OF = date(2026, 11, 23)  # a Monday: the week before it is complete


def account(**overrides) -> AccountData:
    base = dict(
        account_id=1,
        external_id="A1",
        arr=Decimal("20000"),
        seats_purchased=20,
        plan_limits={},
        segment=None,
        products=1,
    )
    base.update(overrides)
    return AccountData(**base)


def weekly_usage(
    logins: list[int], *, active: int | list[int] = 10, end: date = AS_OF, features: tuple[str, ...] = ("a", "b")
) -> list[Usage]:
    """One weekly snapshot per value, the last one ending the day before ``end``."""
    first = end - timedelta(weeks=len(logins))
    actives = active if isinstance(active, list) else [active] * len(logins)
    return [
        Usage(first + timedelta(weeks=i), "week", n, actives[i], actives[i], features, None, None, {"power_users": 2.0})
        for i, n in enumerate(logins)
    ]


def at(day: date, hour: int = 12) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


def ticket(ext: str, opened: date, closed: date | None = None, priority: str = "high", status: str = "open") -> Ticket:
    return Ticket(ext, at(opened), at(closed) if closed else None, priority, status)


def person(
    pid: int,
    roles: tuple[str, ...] = ("user",),
    status: str = "active",
    departed_on: date | None = None,
    name: str | None = None,
) -> Person:
    return Person(pid, f"P{pid}", roles, status, departed_on, name)


def survey(ext: str, score: int, day: date, contact: int | None = None) -> Survey:
    return Survey(ext, contact, "nps", score, day)


def invoice(ext: str, due: date, paid: date | None = None, status: str = "open") -> Invoice:
    return Invoice(ext, due - timedelta(days=30), due, paid, status)


def text(
    ext: str,
    day: date,
    body: str,
    *,
    table: str = "interaction",
    kind: str = "email",
    direction: str | None = "inbound",
) -> Text:
    return Text(table, ext, day, kind, direction, body)


def touch(ext: str, day: date, *contacts: int) -> Touch:
    return Touch(ext, at(day), "call", tuple(contacts))
