"""The weekly briefing's facts: what a CSM's book or the whole book looked like on one date, and in the week
before it, as one typed record with an id on every fact.

Every figure is read from stored rows (forecasts, scorecards, alerts, play runs, approvals) dated on or before
``as_of``; nothing is estimated. The record is what a briefing narrative is checked against
(``core.faithfulness``), so it holds every number a text may state in its raw form: ratios as ratios, money as
amounts, dates as dates, and the totals a sentence would print. Readers of the same tables for other pages may
share these functions; they take no agent and no model.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, Field
from sqlalchemy import Connection, or_, select

import metrics
from core.db import as_utc
from core.tables import ACCOUNT, ALERT, APPROVAL, OFFER, RUN, STEP
from metrics.periods import last_full_quarter
from playbooks.portfolio import stored_forecasts
from scorecards.portfolio import latest_scorecards
from scorecards.portfolio import movers as scored_movers

WINDOWS = (90, 180)
BANDS = ("Green", "Yellow", "Orange", "Red")
CATEGORY_ORDER = ("commit", "upside", "at_risk", "churn")
#: Play outcomes that count as won and as lost; any other close (completed, expired, withdrawn) is neither.
WON = frozenset({"recovered", "renewed", "won", "expanded"})
LOST = frozenset({"lost", "churned"})
#: Quarters in a metric's trend, the last full quarter before the briefing's date included.
METRIC_QUARTERS = 4
#: How many entries a list keeps; its totals always count every one.
MOVERS = 5
TOP = 10

Audience = str  # "leadership" or "csm:<email>"


class Scope(BaseModel):
    """Whose book: every active account, or one CSM's."""

    id: str = Field("scope", description="Fact id of the section's totals.")
    audience: str
    owner_csm: str | None = Field(None, description="The CSM whose book this is; None for the whole book.")
    accounts: int
    arr: float


class RenewalEntry(BaseModel):
    id: str = Field(description="Fact id, renewal.<account>")
    account: str
    account_name: str
    owner_csm: str | None
    segment: str | None
    renewal_on: date
    days_to_renewal: int
    category: str
    probability: float
    arr: float
    weighted_arr: float
    band: str | None


class CategoryTotal(BaseModel):
    id: str
    category: str
    renewals: int
    arr: float
    weighted_arr: float


class RenewalWindow(BaseModel):
    id: str = Field(description="Fact id, renewals.90 or renewals.180")
    within_days: int
    renewals: int
    arr: float
    weighted_arr: float
    by_category: list[CategoryTotal]
    entries: list[RenewalEntry]


class RenewalChange(BaseModel):
    id: str = Field(description="Fact id, renewal_change.<account>")
    account: str
    account_name: str
    change: Literal["new", "category_changed"]
    category_before: str | None
    category_after: str
    renewal_on: date
    arr: float


class BandCount(BaseModel):
    id: str
    band: str
    accounts: int
    accounts_week_before: int
    arr: float


class Mover(BaseModel):
    id: str = Field(description="Fact id, mover.<account>")
    account: str
    account_name: str
    owner_csm: str | None
    score: float
    previous_score: float
    change: float
    band: str | None
    previous_band: str | None
    window_days: int = Field(description="The score is compared with this many days earlier.")
    #: The scorecard's own sentences on why, repeated verbatim.
    quoted: list[str] = Field(default_factory=list)


class AlertEntry(BaseModel):
    id: str = Field(description="Fact id, alert.<alert id>")
    account: str
    account_name: str
    kind: str
    type: str
    severity: str
    opened_on: date
    days_open: int
    quoted: list[str] = Field(default_factory=list, description="The alert's title, verbatim.")


class AlertsSection(BaseModel):
    id: str = Field("alerts", description="Fact id of the section's totals.")
    new: int
    open: int
    open_risk: int
    open_opportunity: int
    open_high: int
    new_entries: list[AlertEntry]
    oldest_open: list[AlertEntry]


class PlayEntry(BaseModel):
    id: str = Field(description="Fact id, play.<run id>")
    account: str
    account_name: str
    play: str
    started_on: date
    outcome: str | None
    closed_on: date | None


class PlayCount(BaseModel):
    id: str = Field(description="Fact id, plays.started.<play>")
    play: str
    runs: int


class PlaysSection(BaseModel):
    id: str = Field("plays", description="Fact id of the section's totals.")
    started: int
    started_by_play: list[PlayCount]
    advanced: int
    won: int
    lost: int
    open: int
    started_entries: list[PlayEntry]
    won_entries: list[PlayEntry]
    lost_entries: list[PlayEntry]


class ApprovalEntry(BaseModel):
    id: str = Field(description="Fact id, approval.<approval id>")
    account: str
    account_name: str
    offer_kind: str
    status: str
    age_days: int
    sla_due_on: date | None
    overdue: bool
    settled_on: date | None = None


class ApprovalsSection(BaseModel):
    id: str = Field("approvals", description="Fact id of the section's totals.")
    pending: int
    overdue: int
    approved: int
    rejected: int
    pending_entries: list[ApprovalEntry]
    settled_entries: list[ApprovalEntry]


class Opportunity(BaseModel):
    id: str = Field(description="Fact id, expansion.<alert id>")
    account: str
    account_name: str
    type: str
    opened_on: date
    arr: float
    quoted: list[str] = Field(default_factory=list)


class ExpansionSection(BaseModel):
    id: str = Field("expansion", description="Fact id of the section's totals.")
    open: int
    arr: float = Field(description="ARR of the accounts with an open opportunity.")
    entries: list[Opportunity]


class RollupRow(BaseModel):
    id: str = Field(description="Fact id, segment.<name> or owner.<email>")
    by: Literal["segment", "owner"]
    key: str
    accounts: int
    arr: float
    at_risk_accounts: int = Field(description="Accounts in the Orange or Red band.")
    renewals_90: int
    renewals_90_arr: float
    renewals_90_weighted_arr: float


class MetricPoint(BaseModel):
    start: date
    end: date
    unit: str
    value: float | None


class MetricFact(BaseModel):
    id: str = Field(description="Fact id, metric.<key>")
    key: str
    label: str
    #: ratio, money or days: the checker reads a mapping's ``unit`` to type the numbers beside it.
    unit: str
    value: float | None
    period_start: date
    period_end: date
    formula: str
    why_undefined: str | None = None
    trend: list[MetricPoint] = Field(default_factory=list)


class BriefingFacts(BaseModel):
    """Everything a weekly briefing may state, each fact with an id the narrative cites."""

    as_of: date
    week_before: date = Field(description="as_of minus 7 days: what changed is measured against this date.")
    scope: Scope
    renewals: list[RenewalWindow]
    renewal_changes: list[RenewalChange]
    bands: list[BandCount]
    movers: list[Mover]
    alerts: AlertsSection
    plays: PlaysSection
    approvals: ApprovalsSection
    expansion: ExpansionSection
    rollup: list[RollupRow] = Field(default_factory=list)
    metrics: list[MetricFact] = Field(default_factory=list)

    def fact_ids(self) -> set[str]:
        """Every id a narrative may cite."""
        found: set[str] = set()
        _collect_ids(self.model_dump(mode="json"), found)
        return found


def _collect_ids(value: Any, found: set[str]) -> None:
    if isinstance(value, dict):
        if isinstance(value.get("id"), str):
            found.add(value["id"])
        for v in value.values():
            _collect_ids(v, found)
    elif isinstance(value, list):
        for v in value:
            _collect_ids(v, found)


def owner_of(audience: Audience) -> str | None:
    """The CSM's email of a ``csm:<email>`` audience; None for leadership. A bad audience names the form."""
    if audience == "leadership":
        return None
    if audience.startswith("csm:") and "@" in audience[4:]:
        return audience[4:].strip()
    raise ValueError(f"audience must be 'leadership' or 'csm:EMAIL', got {audience!r}")


def _money(value: Decimal | float | None) -> float:
    return round(float(value or 0), 2)


def _active(as_of: date) -> Any:
    return or_(ACCOUNT.c.churned_on.is_(None), ACCOUNT.c.churned_on > as_of)


def _accounts(conn: Connection, owner: str | None, as_of: date) -> dict[int, dict[str, Any]]:
    query = select(
        ACCOUNT.c.id, ACCOUNT.c.external_id, ACCOUNT.c.name, ACCOUNT.c.owner_csm, ACCOUNT.c.segment, ACCOUNT.c.arr
    ).where(_active(as_of))
    if owner is not None:
        query = query.where(ACCOUNT.c.owner_csm == owner)
    return {r.id: dict(r._mapping) for r in conn.execute(query)}


def renewals_due(conn: Connection, accounts: dict[int, dict[str, Any]], on: date, within: int) -> list[dict[str, Any]]:
    """Contracts of ``accounts`` ending in ``(on, on + within]`` with their latest forecast on or before ``on``
    (``playbooks.portfolio.stored_forecasts``); days and weighted ARR are counted from ``on``, not from the
    forecast's own date."""
    found = [
        {**f, "days_to_renewal": (f["renewal_on"] - on).days}
        for f in stored_forecasts(conn, on=on, within=within, account_ids=accounts, due_today=False)
    ]
    return sorted(found, key=lambda f: (f["renewal_on"], f["account_id"]))


def _renewal_id(account: dict[str, Any], seen: set[str], prefix: str = "renewal") -> str:
    fact_id = f"{prefix}.{account['external_id']}"
    n = 2
    while fact_id in seen:
        fact_id = f"{prefix}.{account['external_id']}-{n}"
        n += 1
    seen.add(fact_id)
    return fact_id


def _windows(conn: Connection, accounts: dict[int, dict[str, Any]], as_of: date) -> list[RenewalWindow]:
    windows = []
    for within in WINDOWS:
        due = renewals_due(conn, accounts, as_of, within)
        seen: set[str] = set()
        entries = [
            RenewalEntry(
                id=_renewal_id(accounts[f["account_id"]], seen),
                account=accounts[f["account_id"]]["external_id"],
                account_name=accounts[f["account_id"]]["name"],
                owner_csm=accounts[f["account_id"]]["owner_csm"],
                segment=accounts[f["account_id"]]["segment"],
                renewal_on=f["renewal_on"],
                days_to_renewal=f["days_to_renewal"],
                category=f["category"],
                probability=f["probability"],
                arr=_money(f["arr"]),
                weighted_arr=_money(f["weighted_arr"]),
                band=f["band"],
            )
            for f in due
        ]
        by_category = [
            CategoryTotal(
                id=f"renewals.{within}.{category}",
                category=category,
                renewals=len(mine),
                arr=round(sum(e.arr for e in mine), 2),
                weighted_arr=round(sum(e.weighted_arr for e in mine), 2),
            )
            for category in CATEGORY_ORDER
            if (mine := [e for e in entries if e.category == category])
        ]
        windows.append(
            RenewalWindow(
                id=f"renewals.{within}",
                within_days=within,
                renewals=len(entries),
                arr=round(sum(e.arr for e in entries), 2),
                weighted_arr=round(sum(e.weighted_arr for e in entries), 2),
                by_category=by_category,
                entries=entries,
            )
        )
    return windows


def _renewal_changes(
    conn: Connection, accounts: dict[int, dict[str, Any]], as_of: date, week_before: date
) -> list[RenewalChange]:
    """Renewals in the 90-day window now that were not in it a week before, or whose category moved."""
    now = renewals_due(conn, accounts, as_of, WINDOWS[0])
    then = {f["contract_id"]: f for f in renewals_due(conn, accounts, week_before, WINDOWS[0])}
    changes = []
    seen: set[str] = set()
    for f in now:
        before = then.get(f["contract_id"])
        if before is not None and before["category"] == f["category"]:
            continue
        account = accounts[f["account_id"]]
        changes.append(
            RenewalChange(
                id=_renewal_id(account, seen, "renewal_change"),
                account=account["external_id"],
                account_name=account["name"],
                change="new" if before is None else "category_changed",
                category_before=None if before is None else before["category"],
                category_after=f["category"],
                renewal_on=f["renewal_on"],
                arr=_money(f["arr"]),
            )
        )
    return changes


def _bands(
    accounts: dict[int, dict[str, Any]], now: dict[int, dict[str, Any]], then: dict[int, dict[str, Any]]
) -> list[BandCount]:
    counts = Counter(card["band"] for card in now.values())
    before = Counter(card["band"] for card in then.values())
    arr: dict[str, float] = defaultdict(float)
    for account_id, card in now.items():
        arr[card["band"]] += _money(accounts[account_id]["arr"])
    names = [*BANDS, *sorted({b for b in (*counts, *before) if b not in BANDS and b is not None})]
    return [
        BandCount(
            id=f"band.{band}",
            band=band,
            accounts=counts[band],
            accounts_week_before=before[band],
            arr=round(arr[band], 2),
        )
        for band in names
    ]


def _movers(conn: Connection, accounts: dict[int, dict[str, Any]], as_of: date) -> list[Mover]:
    """The largest score changes: against the scorecard stored a week before when there is one, else against
    the score the scorecard itself compares with (its trend window); ranked by ``scorecards.portfolio.movers``
    as the dashboard's are."""
    return [
        Mover(
            id=f"mover.{m.external_id}",
            account=m.external_id,
            account_name=m.name,
            owner_csm=accounts[m.account_id]["owner_csm"],
            score=round(m.score, 1),
            previous_score=round(m.score_before, 1),
            change=m.change,
            band=m.band,
            previous_band=m.band_before,
            window_days=m.window_days,
            quoted=list(m.quoted),
        )
        for m in scored_movers(conn, as_of=as_of, weeks=1, limit=MOVERS, account_ids=accounts, trend_fallback=True)
    ]


def _alert_entry(row: Any, accounts: dict[int, dict[str, Any]], as_of: date) -> AlertEntry:
    account = accounts[row.account_id]
    return AlertEntry(
        id=f"alert.{row.id}",
        account=account["external_id"],
        account_name=account["name"],
        kind=row.kind,
        type=row.type,
        severity=row.severity,
        opened_on=row.opened_on,
        days_open=(as_of - row.opened_on).days,
        quoted=[row.title],
    )


def open_alerts(conn: Connection, ids: Iterable[int], as_of: date) -> list[Any]:
    """Alerts open on ``as_of``: opened by then and not resolved by then."""
    ids = list(ids)
    if not ids:
        return []
    return list(
        conn.execute(
            select(ALERT)
            .where(
                ALERT.c.account_id.in_(ids),
                ALERT.c.opened_on <= as_of,
                or_(ALERT.c.resolved_on.is_(None), ALERT.c.resolved_on > as_of),
            )
            .order_by(ALERT.c.opened_on, ALERT.c.id)
        )
    )


def _alerts(accounts: dict[int, dict[str, Any]], rows: list[Any], as_of: date, week_before: date) -> AlertsSection:
    new = [r for r in rows if r.opened_on > week_before]
    new.sort(key=lambda r: (r.severity != "high", r.kind != "risk", r.id))
    return AlertsSection(
        new=len(new),
        open=len(rows),
        open_risk=sum(r.kind == "risk" for r in rows),
        open_opportunity=sum(r.kind == "opportunity" for r in rows),
        open_high=sum(r.severity == "high" for r in rows),
        new_entries=[_alert_entry(r, accounts, as_of) for r in new[:TOP]],
        oldest_open=[_alert_entry(r, accounts, as_of) for r in rows if r.kind == "risk" and r.opened_on <= week_before][
            :5
        ],
    )


def _plays(conn: Connection, accounts: dict[int, dict[str, Any]], as_of: date, week_before: date) -> PlaysSection:
    ids = list(accounts)
    runs = (
        list(
            conn.execute(
                select(RUN).where(RUN.c.account_id.in_(ids), RUN.c.arm == "treatment", RUN.c.started_on <= as_of)
            )
        )
        if ids
        else []
    )

    def entry(r: Any) -> PlayEntry:
        account = accounts[r.account_id]
        closed = r.closed_on if r.closed_on is not None and r.closed_on <= as_of else None
        return PlayEntry(
            id=f"play.{r.id}",
            account=account["external_id"],
            account_name=account["name"],
            play=r.play,
            started_on=r.started_on,
            outcome=r.outcome if closed else None,
            closed_on=closed,
        )

    in_week = [r for r in runs if r.started_on > week_before]
    closed = [r for r in runs if r.closed_on is not None and week_before < r.closed_on <= as_of]
    won = [r for r in closed if r.outcome in WON]
    lost = [r for r in closed if r.outcome in LOST]
    open_runs = [r for r in runs if r.closed_on is None or r.closed_on > as_of]
    advanced: set[int] = set()
    if runs:
        advanced = set(
            conn.execute(
                select(STEP.c.run_id)
                .where(
                    STEP.c.run_id.in_([r.id for r in runs]),
                    STEP.c.status == "done",
                    STEP.c.finished_on > week_before,
                    STEP.c.finished_on <= as_of,
                )
                .distinct()
            ).scalars()
        )
    return PlaysSection(
        started=len(in_week),
        started_by_play=[
            PlayCount(id=f"plays.started.{play}", play=play, runs=n)
            for play, n in sorted(Counter(r.play for r in in_week).items(), key=lambda kv: (-kv[1], kv[0]))
        ],
        advanced=len(advanced),
        won=len(won),
        lost=len(lost),
        open=len(open_runs),
        started_entries=[entry(r) for r in in_week[:TOP]],
        won_entries=[entry(r) for r in won[:TOP]],
        lost_entries=[entry(r) for r in lost[:TOP]],
    )


def _end_of(day: date) -> datetime:
    return datetime.combine(day + timedelta(days=1), time.min, tzinfo=UTC)


def _approvals(
    conn: Connection, accounts: dict[int, dict[str, Any]], as_of: date, week_before: date
) -> ApprovalsSection:
    ids = list(accounts)
    end, start = _end_of(as_of), _end_of(week_before)
    rows = (
        list(
            conn.execute(
                select(
                    APPROVAL.c.id,
                    APPROVAL.c.account_id,
                    APPROVAL.c.status,
                    APPROVAL.c.created_at,
                    APPROVAL.c.next_due_at,
                    APPROVAL.c.settled_at,
                    OFFER.c.kind,
                )
                .join(OFFER, OFFER.c.id == APPROVAL.c.offer_id)
                .where(APPROVAL.c.account_id.in_(ids), APPROVAL.c.created_at < end)
                .order_by(APPROVAL.c.created_at, APPROVAL.c.id)
            )
        )
        if ids
        else []
    )

    def entry(r: Any, status: str) -> ApprovalEntry:
        account = accounts[r.account_id]
        due = as_utc(r.next_due_at) if r.next_due_at is not None and status == "pending" else None
        settled = as_utc(r.settled_at) if r.settled_at is not None and status != "pending" else None
        return ApprovalEntry(
            id=f"approval.{r.id}",
            account=account["external_id"],
            account_name=account["name"],
            offer_kind=r.kind,
            status=status,
            age_days=((settled or end) - as_utc(r.created_at)).days,
            sla_due_on=due.date() if due else None,
            overdue=due is not None and due < end,
            settled_on=settled.date() if settled else None,
        )

    pending = [entry(r, "pending") for r in rows if r.settled_at is None or as_utc(r.settled_at) >= end]
    settled = [
        entry(r, r.status)
        for r in rows
        if r.settled_at is not None and start <= as_utc(r.settled_at) < end and r.status != "pending"
    ]
    pending.sort(key=lambda e: (not e.overdue, -e.age_days, e.id))
    return ApprovalsSection(
        pending=len(pending),
        overdue=sum(e.overdue for e in pending),
        approved=sum(e.status == "approved" for e in settled),
        rejected=sum(e.status == "rejected" for e in settled),
        pending_entries=pending[:TOP],
        settled_entries=settled[:TOP],
    )


def _expansion(accounts: dict[int, dict[str, Any]], rows: list[Any]) -> ExpansionSection:
    found = [r for r in rows if r.kind == "opportunity"]
    found.sort(key=lambda r: (-_money(accounts[r.account_id]["arr"]), r.id))
    with_arr = {r.account_id for r in found}
    return ExpansionSection(
        open=len(found),
        arr=round(sum(_money(accounts[i]["arr"]) for i in with_arr), 2),
        entries=[
            Opportunity(
                id=f"expansion.{r.id}",
                account=accounts[r.account_id]["external_id"],
                account_name=accounts[r.account_id]["name"],
                type=r.type,
                opened_on=r.opened_on,
                arr=_money(accounts[r.account_id]["arr"]),
                quoted=[r.title],
            )
            for r in found[:TOP]
        ],
    )


def _rollup(
    accounts: dict[int, dict[str, Any]], cards: dict[int, dict[str, Any]], due: list[RenewalEntry]
) -> list[RollupRow]:
    rows = []
    for by in ("segment", "owner"):
        field = "segment" if by == "segment" else "owner_csm"
        keys = sorted({a[field] or "unassigned" for a in accounts.values()})
        for key in keys:
            mine = {i: a for i, a in accounts.items() if (a[field] or "unassigned") == key}
            renewals = [e for e in due if ((e.segment if by == "segment" else e.owner_csm) or "unassigned") == key]
            rows.append(
                RollupRow(
                    id=f"{by}.{key}",
                    by=by,  # type: ignore[arg-type]
                    key=key,
                    accounts=len(mine),
                    arr=round(sum(_money(a["arr"]) for a in mine.values()), 2),
                    at_risk_accounts=sum(cards.get(i, {}).get("band") in ("Orange", "Red") for i in mine),
                    renewals_90=len(renewals),
                    renewals_90_arr=round(sum(e.arr for e in renewals), 2),
                    renewals_90_weighted_arr=round(sum(e.weighted_arr for e in renewals), 2),
                )
            )
    return rows


def success_metrics(conn: Connection, owner: str | None, as_of: date) -> list[MetricFact]:
    """The success metrics of the last full quarter before ``as_of`` for the book (or one CSM's), each with its
    formula and its value in the quarters before (``metrics.compute`` and ``metrics.trend``)."""
    start, end = last_full_quarter(as_of)
    report = metrics.compute(conn, start=start, end=end, owner=owner)
    history = metrics.trend(conn, end=end, period="quarter", count=METRIC_QUARTERS, owner=owner)
    return [
        MetricFact(
            id=f"metric.{m.key}",
            key=m.key,
            label=m.label,
            unit=m.unit,
            value=m.value,
            period_start=m.period_start,
            period_end=m.period_end,
            formula=m.formula,
            why_undefined=m.why_undefined,
            trend=[
                MetricPoint(start=h.period_start, end=h.period_end, unit=m.unit, value=h.get(m.key).value)
                for h in history
            ],
        )
        for m in report.metrics
    ]


def briefing_facts(conn: Connection, *, audience: Audience, as_of: date) -> BriefingFacts:
    """The whole record for one audience and date; leadership also gets the roll-up by segment and owner."""
    owner = owner_of(audience)
    week_before = as_of - timedelta(days=7)
    accounts = _accounts(conn, owner, as_of)
    if owner is not None and not accounts:
        raise ValueError(f"audience: no active account on {as_of.isoformat()} has owner_csm {owner!r}")
    now = latest_scorecards(conn, as_of=as_of, account_ids=accounts)
    then = latest_scorecards(conn, as_of=week_before, account_ids=accounts)
    windows = _windows(conn, accounts, as_of)
    alerts = open_alerts(conn, accounts, as_of)
    return BriefingFacts(
        as_of=as_of,
        week_before=week_before,
        scope=Scope(
            audience=audience,
            owner_csm=owner,
            accounts=len(accounts),
            arr=round(sum(_money(a["arr"]) for a in accounts.values()), 2),
        ),
        renewals=windows,
        renewal_changes=_renewal_changes(conn, accounts, as_of, week_before),
        bands=_bands(accounts, now, then),
        movers=_movers(conn, accounts, as_of),
        alerts=_alerts(accounts, alerts, as_of, week_before),
        plays=_plays(conn, accounts, as_of, week_before),
        approvals=_approvals(conn, accounts, as_of, week_before),
        expansion=_expansion(accounts, alerts),
        rollup=_rollup(accounts, now, windows[0].entries) if owner is None else [],
        metrics=success_metrics(conn, owner, as_of),
    )
