"""The hidden course of one account over the book's history: how it uses the product, how it feels,
how often it talks to us, and the dated events that change it.

Public accounts of churn describe customers who fade over months rather than weeks, signals that
disagree with each other, customers who leave with healthy usage, dips that recover after a save
play, champions who leave and are (or are not) replaced, and contracts that grow or shrink at
renewal. Each story below is one of those courses; the generator turns it into rows, so usage,
conversations, surveys, tickets and invoices tell the same story at the same time.

A story is drawn from the account's own random stream, after the account's segment and dates, so
the book stays a pure function of (seed, index). Every state an alert could see at the as-of date
carries a label, so an evaluation can tell a finding from a false alarm.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

# Courses of customers who left before the as-of date.
FADE = "fade"  # users drift away over months, then the contract is not renewed
CHAMPION_LOST = "champion_lost"  # the champion leaves, nobody takes over, the account goes quiet
FINANCIAL = "financial"  # payments slip, an invoice stays unpaid, budget talk
COMPETITOR = "competitor"  # a competitor is evaluated and the customer says it will not renew
SILENT = "silent"  # healthy to the end: an acquisition or a budget decision nobody told us about
# Courses of customers still with us.
STEADY = "steady"
GROWING = "growing"
DIP_RECOVERED = "dip_recovered"  # a dip, a save play, a recovery
CHAMPION_REPLACED = "champion_replaced"
LATE_THEN_PAID = "late_then_paid"
DISENGAGING = "disengaging"  # fading now, after the last renewal: most will not renew
SILENT_RISK = "silent_risk"  # healthy-looking, but will not renew
PRODUCT_DROPPED = "product_dropped"  # a multi-product account stops using one product

LAPSED_COURSES = ((FADE, 40), (CHAMPION_LOST, 14), (FINANCIAL, 10), (COMPETITOR, 16), (SILENT, 20))
ACTIVE_COURSES = (
    (STEADY, 57),
    (GROWING, 12),
    (DIP_RECOVERED, 10),
    (CHAMPION_REPLACED, 6),
    (LATE_THEN_PAID, 4),
    (DISENGAGING, 6),
    (SILENT_RISK, 3),
    (PRODUCT_DROPPED, 2),
)
#: Courses planted accounts may carry underneath their scenario: old, settled history only, so the
#: planted signal is the only thing happening at the as-of date.
QUIET_COURSES = ((STEADY, 60), (GROWING, 15), (DIP_RECOVERED, 15), (LATE_THEN_PAID, 10))

#: Labels a story puts on an account when its state is visible at the as-of date (scenario, kind).
STATE_LABELS = {
    DISENGAGING: "risk",
    DIP_RECOVERED: "risk",
    CHAMPION_REPLACED: "risk",
    PRODUCT_DROPPED: "risk",
    SILENT_RISK: "none",
}
#: A dip or a champion change older than this is history, not a state of the account.
VISIBLE_DAYS = 120

#: Churn at the next renewal, on the logit scale, by course; steady accounts depend on their level.
OUTCOME_LOGIT = {
    GROWING: -3.5,
    DIP_RECOVERED: -2.2,
    CHAMPION_REPLACED: -2.0,
    LATE_THEN_PAID: -1.7,
    DISENGAGING: 1.1,
    SILENT_RISK: 0.6,
    PRODUCT_DROPPED: -1.1,
}


@dataclass
class Story:
    course: str
    #: The account's own level of health, 0-1, before anything happens.
    level: float
    #: Per history week: usage against the account's normal (1.0), how the customer feels (0-1),
    #: and how often they talk to us against their segment's usual cadence.
    usage: list[float]
    mood: list[float]
    engagement: list[float]
    gone: date | None = None
    champion_left: date | None = None
    champion_replaced: date | None = None
    competitor_on: date | None = None
    cancel_intent_on: date | None = None
    late_from: date | None = None
    late_until: date | None = None
    unpaid_due_on: date | None = None
    save_on: date | None = None
    dip_on: date | None = None
    acquired_on: date | None = None
    product_dropped_on: date | None = None
    #: One survey answer in the middle of a fade from someone who still likes the product.
    promoter_during: bool = False
    #: ARR of the current contract against the previous one: above 1 expanded, below contracted.
    renewal_change: float = 1.0
    labels: list[dict[str, Any]] = field(default_factory=list)

    def mood_on(self, week: int) -> float:
        return self.mood[max(0, min(week, len(self.mood) - 1))]


class Timeline:
    """History weeks and dates, both ways."""

    def __init__(self, week_starts: list[date], as_of: date) -> None:
        self.week_starts = week_starts
        self.as_of = as_of

    @property
    def weeks(self) -> int:
        return len(self.week_starts)

    def week_of(self, day: date) -> int:
        return (day - self.week_starts[0]).days // 7

    def day_of(self, week: int) -> date:
        return self.week_starts[0] + timedelta(weeks=week)


def _ramp(path: list[float], start: int, end: int, low: float, *, hold_to: int | None = None) -> None:
    """Scale ``path`` from 1 at ``start`` down (or up) to ``low`` at ``end``, and hold ``low`` after it."""
    for w in range(max(0, start), len(path)):
        if hold_to is not None and w > hold_to:
            break
        share = 1.0 if w >= end else (w - start) / max(1, end - start)
        path[w] *= 1 + (low - 1) * share


def _dip(path: list[float], start: int, fall: int, bottom: int, rise: int, depth: float) -> None:
    """Down to ``depth`` over ``fall`` weeks, held ``bottom`` weeks, back over ``rise`` weeks."""
    for w in range(max(0, start), len(path)):
        k = w - start
        if k < fall:
            level = 1 + (depth - 1) * (k + 1) / fall
        elif k < fall + bottom:
            level = depth
        elif k < fall + bottom + rise:
            level = depth + (0.97 - depth) * (k - fall - bottom + 1) / rise
        else:
            level = 0.97
        path[w] *= level


def _pick(rng: random.Random, courses: tuple[tuple[str, int], ...]) -> str:
    names, weights = zip(*courses, strict=True)
    return rng.choices(names, weights)[0]


def draw(
    rng: random.Random,
    time: Timeline,
    level: float,
    *,
    gone: date | None,
    last_renewal: date,
    planted: str | None,
    control: bool,
    multi_product: bool,
) -> Story:
    """The course of one account. ``gone`` is the day a lapsed account left, else None; an account
    with a ``planted`` scenario only gets settled history, a healthy ``control`` only calm courses."""
    n = time.weeks
    end = time.week_of(gone) if gone is not None else n - 1
    if gone is not None:
        course = _pick(rng, LAPSED_COURSES)
    elif control:
        course = _pick(rng, ((STEADY, 80), (GROWING, 20)))
    elif planted is not None:
        course = _pick(rng, QUIET_COURSES)
        end -= 30  # anything that happens to it is over long before the planted signal
    else:
        course = _pick(rng, ACTIVE_COURSES)
        if course == PRODUCT_DROPPED and not multi_product:
            course = STEADY
    story = Story(course, level, [1.0] * n, [level] * n, [1.0] * n, gone=gone)
    if gone is not None:
        _steady(rng, story, time, end, last_renewal)
    _COURSES[course](rng, story, time, end, last_renewal)
    story.mood = [min(0.98, max(0.05, m)) for m in story.mood]
    if planted is not None or control:
        story.labels.clear()
    return story


def _fade(rng: random.Random, s: Story, time: Timeline, end: int, _: date) -> None:
    falling, floor_weeks = rng.randint(8, 20), rng.randint(4, 18)
    start = end - falling - floor_weeks
    _ramp(s.usage, start, start + falling, rng.uniform(0.15, 0.45))
    _ramp(s.engagement, start, start + falling, rng.uniform(0.2, 0.45))
    for w in range(max(0, start), len(s.mood)):
        s.mood[w] -= 0.35 * min(1.0, (w - start) / max(1, falling))
    s.promoter_during = rng.random() < 0.35


def _champion_lost(rng: random.Random, s: Story, time: Timeline, end: int, _: date) -> None:
    left = end - rng.randint(12, 32)
    s.champion_left = time.day_of(left) + timedelta(days=rng.randint(0, 6))
    _ramp(s.engagement, left, left + 4, rng.uniform(0.2, 0.4))
    _ramp(s.usage, left, left + 14, rng.uniform(0.55, 0.85))
    for w in range(max(0, left), len(s.mood)):
        s.mood[w] -= 0.15


def _financial(rng: random.Random, s: Story, time: Timeline, end: int, _: date) -> None:
    s.late_from = time.day_of(max(0, end - rng.randint(30, 50)))
    s.unpaid_due_on = time.day_of(max(1, end - rng.randint(14, 30)))
    _ramp(s.usage, end - 12, end, rng.uniform(0.6, 0.85))
    for w in range(max(0, end - 16), len(s.mood)):
        s.mood[w] -= 0.2


def _competitor(rng: random.Random, s: Story, time: Timeline, end: int, _: date) -> None:
    seen = end - rng.randint(14, 26)
    s.competitor_on = time.day_of(seen) + timedelta(days=rng.randint(0, 6))
    if rng.random() < 0.75:
        said = min(end - 6, max(seen + 2, end - rng.randint(8, 16)))
        s.cancel_intent_on = time.day_of(said) + timedelta(days=rng.randint(0, 6))
    _ramp(s.usage, end - 8, end, rng.uniform(0.65, 0.9))
    for w in range(max(0, seen), len(s.mood)):
        s.mood[w] -= 0.25


def _silent(rng: random.Random, s: Story, time: Timeline, end: int, _: date) -> None:
    if rng.random() < 0.5:
        s.acquired_on = time.day_of(max(0, end - rng.randint(8, 30)))


def _steady(rng: random.Random, s: Story, time: Timeline, end: int, _: date) -> None:
    if rng.random() < 0.15:
        s.renewal_change = rng.uniform(0.75, 0.95)  # fewer seats at the last renewal
    else:
        s.renewal_change = rng.uniform(1.0, 1.08)  # the list-price uplift


def _growing(rng: random.Random, s: Story, time: Timeline, end: int, _: date) -> None:
    _ramp(s.usage, 0, end, rng.uniform(1.15, 1.4))
    s.renewal_change = rng.uniform(1.1, 1.4)
    s.mood = [m + 0.05 for m in s.mood]


def _dip_recovered(rng: random.Random, s: Story, time: Timeline, end: int, _: date) -> None:
    start = rng.randint(4, end - 4)
    fall, bottom, rise = rng.randint(2, 4), rng.randint(2, 5), rng.randint(4, 8)
    _dip(s.usage, start, fall, bottom, rise, rng.uniform(0.4, 0.7))
    _dip(s.engagement, start, fall, bottom, rise, 0.6)
    for w in range(start, min(len(s.mood), start + fall + bottom + rise)):
        s.mood[w] -= 0.25
    s.dip_on = time.day_of(start)
    s.save_on = time.day_of(min(end, start + fall)) + timedelta(days=rng.randint(0, 4))
    _steady(rng, s, time, end, _)
    if (time.as_of - s.dip_on).days <= VISIBLE_DAYS:
        _label(s, DIP_RECOVERED, s.dip_on, {"save_play_on": s.save_on.isoformat()})


def _champion_replaced(rng: random.Random, s: Story, time: Timeline, end: int, _: date) -> None:
    left = rng.randint(10, end - 1)
    s.champion_left = time.day_of(left) + timedelta(days=rng.randint(0, 6))
    s.champion_replaced = s.champion_left + timedelta(days=rng.randint(14, 56))
    back = time.week_of(s.champion_replaced)
    _dip(s.engagement, left, 1, max(1, back - left), 3, 0.45)
    _steady(rng, s, time, end, _)
    if (time.as_of - s.champion_left).days <= VISIBLE_DAYS:
        _label(s, CHAMPION_REPLACED, s.champion_left, {"replaced_on": s.champion_replaced.isoformat()})


def _late_then_paid(rng: random.Random, s: Story, time: Timeline, end: int, _: date) -> None:
    start = rng.randint(0, max(0, end - 20))
    s.late_from = time.day_of(start)
    s.late_until = time.day_of(min(end - 8, start + rng.randint(8, 26)))
    _steady(rng, s, time, end, _)


def _disengaging(rng: random.Random, s: Story, time: Timeline, end: int, last_renewal: date) -> None:
    earliest = time.week_of(last_renewal) + 2
    start = max(earliest, end - rng.randint(6, 26))
    falling = rng.randint(10, 24)
    _ramp(s.usage, start, start + falling, rng.uniform(0.3, 0.6))
    _ramp(s.engagement, start, start + falling, rng.uniform(0.3, 0.5))
    for w in range(max(0, start), len(s.mood)):
        s.mood[w] -= 0.3 * min(1.0, (w - start) / falling)
    s.promoter_during = rng.random() < 0.35
    _label(s, DISENGAGING, time.day_of(min(start, end)), {"falling_weeks": falling})


def _silent_risk(rng: random.Random, s: Story, time: Timeline, end: int, _: date) -> None:
    if rng.random() < 0.5:
        s.acquired_on = time.as_of - timedelta(days=rng.randint(20, 200))
    _label(s, SILENT_RISK, s.acquired_on or time.as_of, {})


def _product_dropped(rng: random.Random, s: Story, time: Timeline, end: int, _: date) -> None:
    at = rng.randint(20, end)
    s.product_dropped_on = time.day_of(at)
    _ramp(s.usage, at, at + 3, rng.uniform(0.7, 0.85))
    if (time.as_of - s.product_dropped_on).days <= VISIBLE_DAYS:
        _label(s, PRODUCT_DROPPED, s.product_dropped_on, {})


def _label(s: Story, scenario: str, on: date, evidence: dict[str, Any]) -> None:
    s.labels.append({"scenario": scenario, "planted_on": on, "kind": STATE_LABELS[scenario], "evidence": evidence})


_COURSES = {
    FADE: _fade,
    CHAMPION_LOST: _champion_lost,
    FINANCIAL: _financial,
    COMPETITOR: _competitor,
    SILENT: _silent,
    STEADY: _steady,
    GROWING: _growing,
    DIP_RECOVERED: _dip_recovered,
    CHAMPION_REPLACED: _champion_replaced,
    LATE_THEN_PAID: _late_then_paid,
    DISENGAGING: _disengaging,
    SILENT_RISK: _silent_risk,
    PRODUCT_DROPPED: _product_dropped,
}

#: What a lapsed account's data showed before it left, for the churn label.
WARNINGS = {
    FADE: "usage and contact faded over months",
    CHAMPION_LOST: "the champion left and nobody took over",
    FINANCIAL: "payments slipped and an invoice stayed unpaid",
    COMPETITOR: "a competitor was evaluated; most said they would not renew",
    SILENT: "none",
}
