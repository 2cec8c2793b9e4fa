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


class BookRows:
    """Write accounts, contracts, scorecards, play runs and risk cases straight into a migrated database:
    the smallest book whose metrics can be computed by hand."""

    def __init__(self, conn) -> None:
        from sqlmodel import Session

        self.session = Session(bind=conn)

    def _add(self, row):
        self.session.add(row)
        self.session.flush()
        return row.id

    def account(self, ext: str, *, segment: str = "Core", owner: str = "csm@example.com", churned_on=None) -> int:
        from core.models import Account

        status = "churned" if churned_on else "active"
        return self._add(
            Account(external_id=ext, name=ext, segment=segment, owner_csm=owner, churned_on=churned_on, status=status)
        )

    def contract(self, account_id: int, ext: str, start: date, end: date | None, arr, currency: str = "USD") -> int:
        from core.models import Contract

        amount = None if arr is None else Decimal(str(arr))
        return self._add(
            Contract(external_id=ext, account_id=account_id, start_date=start, end_date=end, arr=amount,
                     currency=currency)
        )  # fmt: skip

    def scorecard(self, account_id: int, as_of: date, band: str | None) -> int:
        from core.models import Scorecard

        return self._add(
            Scorecard(account_id=account_id, as_of=as_of, band=band, model_version="test", completeness=1.0)
        )

    def play_run(self, account_id: int, play: str, started_on: date, *, arm: str = "treatment", closed_on=None) -> int:
        from core.models import PlayRun

        return self._add(
            PlayRun(account_id=account_id, play=play, play_version="1", arm=arm, started_on=started_on,
                    track_started_on=started_on, closed_on=closed_on, status="closed" if closed_on else "active")
        )  # fmt: skip

    def risk_case(self, account_id: int, opened_on: date, closed_on=None, outcome=None) -> int:
        from core.models import RiskCase

        return self._add(
            RiskCase(account_id=account_id, stage=outcome or "at_risk", stage_since=closed_on or opened_on,
                     opened_on=opened_on, closed_on=closed_on, outcome=outcome)
        )  # fmt: skip
