"""Derived signals: one small named function each, point-in-time correct for any as-of date.

Every function reads only rows dated on or before ``as_of`` and returns a
value (``None`` when the account has no data for it, so the health model can
redistribute its weight) plus references to the rows that produced it; those
references become the evidence behind a scorecard's reasons.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from statistics import fmean

from signals.customer_texts import cancel_reading, customer_words
from signals.data import AccountData, Invoice, Text, Usage

MONTH = 28  # four whole weeks, so weekly snapshots compare like with like
QUARTER = 91
#: An account's own level: weeks 13-26 before as-of, far enough back that a slow fade still shows against it.
BASELINE_OFFSET = 12 * 7
BASELINE_DAYS = 14 * 7
INTENT_DAYS = 90
OPEN_STATUSES = frozenset({"new", "open", "pending"})
CRITICAL = frozenset({"high", "urgent"})


@dataclass(frozen=True)
class SignalValue:
    value: float | None
    evidence: tuple[str, ...] = ()
    #: The figures behind a ratio ("30.5 vs 83.5"), for a reason that must show what fired it.
    detail: str = ""


@dataclass(frozen=True)
class SignalDef:
    name: str
    label: str
    #: How to print the value in a reason: number, percent (a ratio shown x100), change (a ratio of change), days, flag
    unit: str
    higher_is_better: bool
    fn: Callable[[AccountData, date], SignalValue]


REGISTRY: dict[str, SignalDef] = {}


def derived(name: str, label: str, unit: str, *, higher_is_better: bool) -> Callable:
    def register(fn: Callable[[AccountData, date], SignalValue]) -> Callable[[AccountData, date], SignalValue]:
        REGISTRY[name] = SignalDef(name, label, unit, higher_is_better, fn)
        return fn

    return register


# --- helpers ---------------------------------------------------------------------------------


def usage_window(data: AccountData, as_of: date, days: int, *, offset: int = 0) -> list[Usage]:
    """Complete periods that ended in the ``days`` before ``as_of - offset``.

    Periods are placed by their last day, so four weekly snapshots always fill
    a 28-day window and two windows compare like with like; the period still
    running on ``as_of`` is left out until it is complete.
    """
    key = (as_of, days, offset)
    found = data.windows.get(key)
    if found is None:
        last = as_of - timedelta(days=offset + 1)
        first = last - timedelta(days=days - 1)
        found = data.windows[key] = [u for u in data.usage if first <= u.last_day <= last]
    return found


def usage_ref(rows: list[Usage]) -> tuple[str, ...]:
    if not rows:
        return ()
    return (f"usage_snapshot {rows[0].period_start}..{rows[-1].period_start} ({len(rows)} {rows[0].period}s)",)


def field_total(rows: list[Usage], field: str) -> float | None:
    values = [getattr(u, field) for u in rows if getattr(u, field) is not None]
    return float(sum(values)) if values else None


def field_mean(rows: list[Usage], field: str) -> float | None:
    values = [getattr(u, field) for u in rows if getattr(u, field) is not None]
    return fmean(values) if values else None


def change(current: float | None, previous: float | None) -> float | None:
    if current is None or previous is None or previous == 0:
        return None
    return (current - previous) / previous


def _end_of_day(day: date) -> datetime:
    return datetime.combine(day, time.max, tzinfo=UTC)


def _refs(kind: str, ids: list[str], limit: int = 5) -> tuple[str, ...]:
    if not ids:
        return ()
    more = f" and {len(ids) - limit} more" if len(ids) > limit else ""
    return (f"{kind} {', '.join(ids[:limit])}{more}",)


# --- product usage ---------------------------------------------------------------------------


@derived("logins_per_user_month", "logins per active user per month", "number", higher_is_better=True)
def logins_per_user_month(data: AccountData, as_of: date) -> SignalValue:
    rows = usage_window(data, as_of, MONTH)
    logins, users = field_total(rows, "logins"), field_mean(rows, "active_users")
    if logins is None or users is None:
        return SignalValue(None)
    return SignalValue(0.0 if users == 0 else logins / users * 30 / MONTH, usage_ref(rows))


def period_change(data: AccountData, as_of: date, days: int, field: str, total: Callable) -> SignalValue:
    """Relative change of ``total(field)`` between the last ``days`` and the ``days`` before them."""
    now, before = usage_window(data, as_of, days), usage_window(data, as_of, days, offset=days)
    return SignalValue(change(total(now, field), total(before, field)), usage_ref(before + now))


@derived("logins_mom_change", "logins month over month", "change", higher_is_better=True)
def logins_mom_change(data: AccountData, as_of: date) -> SignalValue:
    return period_change(data, as_of, MONTH, "logins", field_total)


@derived("active_users_trend", "active users month over month", "change", higher_is_better=True)
def active_users_trend(data: AccountData, as_of: date) -> SignalValue:
    return period_change(data, as_of, MONTH, "active_users", field_mean)


def baseline_change(data: AccountData, as_of: date, field: str) -> SignalValue:
    """Mean of the last 4 complete weeks against the mean of weeks 13-26 before; None without 4 weeks of baseline.

    A month-over-month change misses a fade spread over months; against the account's own earlier
    level, a 10%-a-month slide still reads as the collapse it adds up to.
    """
    now = usage_window(data, as_of, MONTH)
    before = usage_window(data, as_of, BASELINE_DAYS, offset=BASELINE_OFFSET)
    covered = sum(u.days for u in before if getattr(u, field) is not None)
    recent, base = field_mean(now, field), field_mean(before, field)
    if recent is None or base is None or covered < MONTH:
        return SignalValue(None)
    ratio = change(recent, base)
    if ratio is None:
        return SignalValue(None)
    return SignalValue(ratio, usage_ref(before + now), f"{recent:.1f} vs {base:.1f}")


@derived("active_users_vs_baseline", "active users vs own level", "change", higher_is_better=True)
def active_users_vs_baseline(data: AccountData, as_of: date) -> SignalValue:
    return baseline_change(data, as_of, "active_users")


@derived("logins_vs_baseline", "logins vs own level", "change", higher_is_better=True)
def logins_vs_baseline(data: AccountData, as_of: date) -> SignalValue:
    return baseline_change(data, as_of, "logins")


@derived("seat_utilisation", "active users per purchased seat", "percent", higher_is_better=True)
def seat_utilisation(data: AccountData, as_of: date) -> SignalValue:
    rows = usage_window(data, as_of, MONTH)
    users = field_mean(rows, "active_users")
    if users is None or not data.seats_purchased:
        return SignalValue(None)
    return SignalValue(users / data.seats_purchased, usage_ref(rows))


@derived("plan_seat_usage", "seats used of the plan limit", "percent", higher_is_better=True)
def plan_seat_usage(data: AccountData, as_of: date) -> SignalValue:
    rows = [u for u in usage_window(data, as_of, MONTH) if u.seats_used is not None]
    limit = data.plan_limits.get("seats") or data.seats_purchased
    if not rows or not limit:
        return SignalValue(None)
    return SignalValue(rows[-1].seats_used / limit, usage_ref(rows[-1:]))  # type: ignore[operator]


@derived("feature_breadth", "distinct features used in 4 weeks", "number", higher_is_better=True)
def feature_breadth(data: AccountData, as_of: date) -> SignalValue:
    rows = usage_window(data, as_of, MONTH)
    if not rows:
        return SignalValue(None)
    return SignalValue(float(len({f for u in rows for f in u.features})), usage_ref(rows))


@derived("usage_trend_quarter", "logins quarter over quarter", "change", higher_is_better=True)
def usage_trend_quarter(data: AccountData, as_of: date) -> SignalValue:
    return period_change(data, as_of, QUARTER, "logins", field_total)


@derived("days_since_last_use", "days since anyone last used the product", "days", higher_is_better=False)
def days_since_last_use(data: AccountData, as_of: date) -> SignalValue:
    used = [u for u in data.usage if u.period_start < as_of and ((u.logins or 0) > 0 or (u.active_users or 0) > 0)]
    if not data.usage:
        return SignalValue(None)
    if not used:
        return SignalValue(float((as_of - data.usage[0].period_start).days), usage_ref(data.usage[:1]))
    last = used[-1]
    end = last.period_start + timedelta(days=last.days)
    return SignalValue(float(max(0, (as_of - end).days)), usage_ref([last]))


# --- support ---------------------------------------------------------------------------------


@derived("ticket_volume_90d", "tickets opened in 90 days", "number", higher_is_better=False)
def ticket_volume_90d(data: AccountData, as_of: date) -> SignalValue:
    start, end = _end_of_day(as_of - timedelta(days=90)), _end_of_day(as_of)
    ids = [t.external_id for t in data.tickets if start < t.opened_at <= end]
    return SignalValue(float(len(ids)), _refs("support_ticket", ids))


@derived("open_critical_tickets", "open high or urgent tickets", "number", higher_is_better=False)
def open_critical_tickets(data: AccountData, as_of: date) -> SignalValue:
    end = _end_of_day(as_of)
    ids = []
    for t in data.tickets:
        if t.priority not in CRITICAL or t.opened_at > end:
            continue
        still_open = t.closed_at > end if t.closed_at is not None else t.status in OPEN_STATUSES
        if still_open:
            ids.append(t.external_id)
    return SignalValue(float(len(ids)), _refs("support_ticket", ids))


# --- relationship ----------------------------------------------------------------------------


def _nps(data: AccountData, as_of: date, days: int) -> list:
    start = as_of - timedelta(days=days)
    return sorted(
        (s for s in data.surveys if s.survey == "nps" and start < s.responded_on <= as_of),
        key=lambda s: (s.responded_on, s.external_id),
    )


@derived("latest_nps", "latest NPS answer", "number", higher_is_better=True)
def latest_nps(data: AccountData, as_of: date) -> SignalValue:
    answers = _nps(data, as_of, 365)
    if not answers:
        return SignalValue(None)
    return SignalValue(float(answers[-1].score), _refs("survey_response", [answers[-1].external_id]))


@derived("nps_score", "NPS over 180 days", "number", higher_is_better=True)
def nps_score(data: AccountData, as_of: date) -> SignalValue:
    answers = _nps(data, as_of, 180)
    if not answers:
        return SignalValue(None)
    promoters = sum(s.score >= 9 for s in answers)
    detractors = sum(s.score <= 6 for s in answers)
    return SignalValue(
        100.0 * (promoters - detractors) / len(answers), _refs("survey_response", [s.external_id for s in answers])
    )


@derived("detractor_share", "share of contacts who are detractors", "percent", higher_is_better=False)
def detractor_share(data: AccountData, as_of: date) -> SignalValue:
    people = [p for p in data.contacts if p.active_on(as_of)]
    if not people:
        return SignalValue(None)
    latest: dict[int, int] = {}
    for answer in _nps(data, as_of, 365):
        if answer.contact_id is not None:
            latest[answer.contact_id] = answer.score
    detractors = [p.external_id for p in people if latest.get(p.id, 10) <= 6 or "detractor" in p.roles]
    return SignalValue(len(detractors) / len(people), _refs("contact", detractors))


def _engaged(data: AccountData, as_of: date, days: int = 90) -> tuple[set[int], list[str]]:
    start, end = _end_of_day(as_of - timedelta(days=days)), _end_of_day(as_of)
    contacts: set[int] = set()
    touches: list[str] = []
    for touch in data.touches:
        if start < touch.occurred_at <= end and touch.contact_ids:
            contacts.update(touch.contact_ids)
            touches.append(touch.external_id)
    return contacts, touches


@derived("exec_sponsor_engaged", "executive sponsor engaged in 90 days", "flag", higher_is_better=True)
def exec_sponsor_engaged(data: AccountData, as_of: date) -> SignalValue:
    if not data.contacts:
        return SignalValue(None)
    engaged, touches = _engaged(data, as_of)
    sponsors = {p.id for p in data.contacts if "executive_sponsor" in p.roles and p.active_on(as_of)}
    return SignalValue(1.0 if sponsors & engaged else 0.0, _refs("interaction", touches))


@derived("engaged_stakeholders", "contacts engaged in 90 days", "number", higher_is_better=True)
def engaged_stakeholders(data: AccountData, as_of: date) -> SignalValue:
    if not data.contacts:
        return SignalValue(None)
    engaged, touches = _engaged(data, as_of)
    active = {p.id for p in data.contacts if p.active_on(as_of)}
    return SignalValue(float(len(engaged & active)), _refs("interaction", touches))


@derived("champion_departed", "champion left in the last 90 days", "flag", higher_is_better=False)
def champion_departed(data: AccountData, as_of: date) -> SignalValue:
    champions = [p for p in data.contacts if "champion" in p.roles]
    if not champions:
        return SignalValue(None)
    recent = [
        p.external_id
        for p in champions
        if p.status == "departed" and p.departed_on is not None and as_of - timedelta(days=90) < p.departed_on <= as_of
    ]
    remaining = [p for p in champions if p.active_on(as_of)]
    return SignalValue(1.0 if recent and not remaining else 0.0, _refs("contact", recent))


@derived(
    "days_since_cancel_intent", "days since the customer said they would cancel or not renew", "days",
    higher_is_better=True,
)  # fmt: skip
def days_since_cancel_intent(data: AccountData, as_of: date) -> SignalValue:
    """The most recent customer text of the last 90 days that states an intent to cancel or not renew."""
    start = as_of - timedelta(days=INTENT_DAYS)
    latest: tuple[Text, str] | None = None
    for text in data.texts:
        if not start < text.written_on <= as_of or (latest is not None and text.written_on <= latest[0].written_on):
            continue
        words = customer_words(text, data.contacts)
        reading = cancel_reading(text.table, text.external_id, words) if words else None
        if reading is not None and reading.cancel:
            latest = (text, reading.phrase)
    if latest is None:
        return SignalValue(None)
    text, phrase = latest
    return SignalValue(float((as_of - text.written_on).days), (f"{text.table} {text.external_id}",), f'"{phrase}"')


# --- billing ---------------------------------------------------------------------------------


def _unpaid_on(invoice: Invoice, day: date) -> bool:
    return invoice.status != "void" and (invoice.paid_on is None or invoice.paid_on > day)


@derived("days_overdue", "days the oldest unpaid invoice is overdue", "days", higher_is_better=False)
def days_overdue(data: AccountData, as_of: date) -> SignalValue:
    issued = [i for i in data.invoices if i.issued_on <= as_of and i.status != "void"]
    if not issued:
        return SignalValue(None)
    overdue = [i for i in issued if i.due_on < as_of and _unpaid_on(i, as_of)]
    if not overdue:
        return SignalValue(0.0)
    worst = min(overdue, key=lambda i: i.due_on)
    return SignalValue(float((as_of - worst.due_on).days), _refs("invoice", [i.external_id for i in overdue]))


@derived("late_payment_count", "invoices paid late in 12 months", "number", higher_is_better=False)
def late_payment_count(data: AccountData, as_of: date) -> SignalValue:
    due = [i for i in data.invoices if as_of - timedelta(days=365) < i.due_on < as_of and i.status != "void"]
    if not due:
        return SignalValue(None)
    late = [i.external_id for i in due if (i.paid_on is not None and i.paid_on > i.due_on) or _unpaid_on(i, as_of)]
    return SignalValue(float(len(late)), _refs("invoice", late))


def compute(name: str, data: AccountData, as_of: date) -> SignalValue:
    return REGISTRY[name].fn(data, as_of)
