"""The copilot's read tools, bound to one person, one account and one as-of date when they are built.

Nothing a question or a tool argument says can point a tool at another account: the account id is a field of
the bound object, no tool takes one, and unknown arguments are dropped by each tool's schema (the call is
still recorded with the arguments as given, so an attempt shows). The book-level tool reads only the accounts
``tools.access`` lets the person reach. Every item of every result carries the stored row it came from.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, Protocol

from langchain_core.tools import BaseTool, StructuredTool
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Connection, select

from approvals.views import waiting_for
from core.identity import User
from core.models.plays import OPEN_RUN_STATUSES
from core.tables import (
    ACCOUNT,
    ALERT,
    APPROVAL,
    CONTACT,
    OFFER,
    RUN,
    SCORECARD,
    TASK,
    USAGE,
)
from knowledge_base.chunks import Chunk, Hit
from playbooks.account_view import stakeholder_reads
from playbooks.portfolio import stored_forecasts
from tools.access import AccountRef, reachable_accounts
from tools.copilot_results import (
    AccountSummary,
    AlertItem,
    AlertsResult,
    BandMove,
    BookRenewal,
    BookResult,
    Contribution,
    OfferItem,
    OffersResult,
    Passage,
    PlayItem,
    PlaysResult,
    Reason,
    RenewalItem,
    RenewalResult,
    ScorecardResult,
    SearchResult,
    Stakeholder,
    StakeholderResult,
    TaskItem,
    UsagePoint,
    UsageTrendResult,
)
from tools.copilot_sources import points_lost, source_of

#: How far back the usage trend reads.
USAGE_WEEKS = 12
#: The longest knowledge-base query a tool call takes (a longer question is searched by its beginning).
MAX_QUERY = 500
#: Timeline statuses that count as behind schedule.
BEHIND = ("behind", "stuck")


class KnowledgeSearch(Protocol):
    """What the copilot needs of the knowledge base (``knowledge_base.retrieval.KnowledgeBase`` offers it)."""

    def search(self, query: str, account_ids: Sequence[int | None], k: int = 5) -> list[Hit]: ...

    def chunk(self, chunk_id: str) -> Chunk | None: ...


class NoArguments(BaseModel):
    model_config = ConfigDict(extra="ignore")


class SearchArguments(BaseModel):
    model_config = ConfigDict(extra="ignore")

    query: str = Field(min_length=1, max_length=MAX_QUERY, description="What to look for in the account's texts.")
    k: int = Field(5, ge=1, le=10, description="How many passages to return.")


class ToolCallRecord(BaseModel):
    """One tool call of a turn, with the arguments as given (before the schema dropped any)."""

    tool: str
    arguments: dict[str, Any]


class NoKnowledgeBase(LookupError):
    """Knowledge-base search was asked for but no knowledge base is open."""


@dataclass(frozen=True)
class ToolSpec:
    method: str
    arguments: type[BaseModel]
    description: str


#: The tools, by the name a caller (a model, an intent) uses.
TOOLS: dict[str, ToolSpec] = {
    "scorecard": ToolSpec("scorecard", NoArguments, "Health score, band, trend, contributions and reasons."),
    "usage_trend": ToolSpec("usage_trend", NoArguments, "Weekly logins, active users and seats, recent weeks."),
    "stakeholders": ToolSpec("stakeholders", NoArguments, "Contacts with roles, stance and last engagement."),
    "open_alerts": ToolSpec("open_alerts", NoArguments, "Risk and opportunity alerts open on the as-of date."),
    "open_plays": ToolSpec("open_plays", NoArguments, "Open play runs and their open tasks."),
    "renewals": ToolSpec("renewals", NoArguments, "Renewal dates, timeline status and forecast per contract."),
    "offers": ToolSpec("offers", NoArguments, "Offers on the account and their approval state."),
    "search_knowledge": ToolSpec("search_knowledge", SearchArguments, "Passages of the account's calls and emails."),
    "book": ToolSpec("book", NoArguments, "Renewals behind schedule and band moves across the person's accounts."),
}


@dataclass
class CopilotTools:
    """The tools of one conversation turn; ``calls`` records what was called, in order."""

    conn: Connection
    user: User
    account: AccountRef
    as_of: date
    kb: KnowledgeSearch | None = None
    calls: list[ToolCallRecord] = field(default_factory=list)

    def call(self, name: str, **arguments: Any) -> BaseModel:
        """Call a tool by name with untrusted arguments; unknown names raise ``KeyError``."""
        spec = TOOLS[name]
        self.calls.append(ToolCallRecord(tool=name, arguments=dict(arguments)))
        validated = spec.arguments.model_validate(arguments).model_dump()
        method: Callable[..., BaseModel] = getattr(self, spec.method)
        return method(**validated)

    def as_langchain_tools(self) -> list[BaseTool]:
        """The same tools for a model to call: each returns its result's JSON, and every call is recorded."""

        def bound(name: str) -> Callable[..., dict[str, Any]]:
            return lambda **arguments: self.call(name, **arguments).model_dump(mode="json")

        return [
            StructuredTool.from_function(
                bound(name), name=name, description=spec.description, args_schema=spec.arguments
            )
            for name, spec in TOOLS.items()
        ]

    def _summary(self, account_id: int | None = None) -> AccountSummary:
        row = self.conn.execute(select(ACCOUNT).where(ACCOUNT.c.id == (account_id or self.account.id))).mappings().one()
        return AccountSummary(external_id=row["external_id"], name=row["name"], owner_csm=row["owner_csm"])

    def scorecard(self) -> ScorecardResult:
        row = (
            self.conn.execute(
                select(SCORECARD)
                .where(SCORECARD.c.account_id == self.account.id, SCORECARD.c.as_of <= self.as_of)
                .order_by(SCORECARD.c.as_of.desc())
                .limit(1)
            )
            .mappings()
            .first()
        )
        if row is None:
            return ScorecardResult(
                account=self._summary(),
                as_of=None,
                band=None,
                score=None,
                trend=None,
                contributions=[],
                reasons=[],
                source=None,
            )
        return ScorecardResult(
            account=self._summary(),
            as_of=row["as_of"],
            band=row["band"],
            score=row["score"],
            trend=row["trend"],
            contributions=[
                Contribution(
                    signal=c["signal"],
                    group=c.get("group"),
                    value=c.get("value"),
                    score=c.get("score"),
                    points=c.get("points"),
                    points_lost=points_lost(c),
                )
                for c in row["contributions"] or []
            ],
            reasons=[
                Reason(signal=r.get("signal"), text=r["text"], delta_points=r.get("delta_points"), kind=r.get("kind"))
                for r in row["reasons"] or []
                if r.get("text")
            ],
            source=source_of("scorecard", row),
        )

    def usage_trend(self) -> UsageTrendResult:
        rows = (
            self.conn.execute(
                select(USAGE)
                .where(
                    USAGE.c.account_id == self.account.id,
                    USAGE.c.period_start < self.as_of,
                    USAGE.c.period_start >= self.as_of - timedelta(weeks=USAGE_WEEKS),
                )
                .order_by(USAGE.c.period_start)
            )
            .mappings()
            .all()
        )
        points = [
            UsagePoint(
                period_start=r["period_start"],
                logins=r["logins"],
                active_users=r["active_users"],
                seats_used=r["seats_used"],
                source=source_of("usage_snapshot", r),
            )
            for r in rows
        ]
        first = points[0].active_users if points else None
        last = points[-1].active_users if points else None
        change = round((last - first) / first, 4) if first and last is not None else None
        return UsageTrendResult(
            account=self._summary(),
            points=points,
            weeks=len(points),
            first_active_users=first,
            last_active_users=last,
            active_users_change=change,
        )

    def stakeholders(self) -> StakeholderResult:
        contacts = (
            self.conn.execute(select(CONTACT).where(CONTACT.c.account_id == self.account.id).order_by(CONTACT.c.id))
            .mappings()
            .all()
        )
        output, read = stakeholder_reads(self.conn, self.account.id, self.as_of)
        people = []
        for c in contacts:
            seen = read.get(c["id"])
            if not c["roles"] and seen is None:
                continue
            left = c["status"] == "departed" and (c["departed_on"] is None or c["departed_on"] <= self.as_of)
            people.append(
                Stakeholder(
                    name=c["name"] or c["external_id"],
                    title=c["title"],
                    roles=list(c["roles"] or []),
                    status="departed" if left else "active",
                    departed_on=c["departed_on"] if left else None,
                    stance=seen.get("stance") if seen else None,
                    last_engagement=seen.get("last_engagement") if seen else None,
                    engagement_trend=seen.get("engagement_trend") if seen else None,
                    source=source_of("contact", c),
                    engagement_source=source_of("agent_output", output) if seen and output else None,
                )
            )
        return StakeholderResult(account=self._summary(), stakeholders=people)

    def open_alerts(self) -> AlertsResult:
        rows = (
            self.conn.execute(
                select(ALERT)
                .where(ALERT.c.account_id == self.account.id, ALERT.c.opened_on <= self.as_of)
                .order_by(ALERT.c.opened_on.desc(), ALERT.c.id)
            )
            .mappings()
            .all()
        )
        still_open = [r for r in rows if r["resolved_on"] is None or r["resolved_on"] > self.as_of]
        order = {"critical": 0, "high": 1, "medium": 2, "low": 3}
        still_open.sort(key=lambda r: (order.get(r["severity"], 9), r["id"]))
        return AlertsResult(
            account=self._summary(),
            alerts=[
                AlertItem(
                    kind=r["kind"],
                    type=r["type"],
                    severity=r["severity"],
                    title=r["title"],
                    opened_on=r["opened_on"],
                    source=source_of("alert", r),
                )
                for r in still_open
            ],
        )

    def open_plays(self) -> PlaysResult:
        runs = (
            self.conn.execute(
                select(RUN)
                .where(
                    RUN.c.account_id == self.account.id,
                    RUN.c.status.in_(OPEN_RUN_STATUSES),
                    RUN.c.started_on <= self.as_of,
                )
                .order_by(RUN.c.started_on, RUN.c.id)
            )
            .mappings()
            .all()
        )
        tasks = (
            self.conn.execute(
                select(TASK)
                .where(TASK.c.account_id == self.account.id, TASK.c.status == "open", TASK.c.created_on <= self.as_of)
                .order_by(TASK.c.due_on, TASK.c.id)
            )
            .mappings()
            .all()
        )
        plays = [
            PlayItem(
                play=r["play"],
                status=r["status"],
                started_on=r["started_on"],
                tasks=[
                    TaskItem(
                        title=t["title"],
                        owner_role=t["owner_role"],
                        assignee=t["assignee"],
                        due_on=t["due_on"],
                        status=t["status"],
                        source=source_of("task", t),
                    )
                    for t in tasks
                    if t["run_id"] == r["id"]
                ],
                source=source_of("play_run", r),
            )
            for r in runs
        ]
        return PlaysResult(account=self._summary(), plays=plays)

    def _latest_forecasts(self, account_ids: Sequence[int] | None) -> list[dict[str, Any]]:
        rows = stored_forecasts(self.conn, on=self.as_of, account_ids=account_ids)
        return sorted(rows, key=lambda r: (r["renewal_on"], r["id"]))

    def renewals(self) -> RenewalResult:
        rows = self._latest_forecasts([self.account.id])
        return RenewalResult(
            account=self._summary(),
            renewals=[
                RenewalItem(
                    contract=r["contract_external_id"],
                    renewal_on=r["renewal_on"],
                    days_to_renewal=r["days_to_renewal"],
                    timeline=r["timeline"],
                    category=r["category"],
                    probability=r["probability"],
                    arr=float(r["arr"]),
                    source=source_of("renewal_forecast", r),
                )
                for r in rows
                if r["renewal_on"] >= self.as_of - timedelta(days=30)
            ],
        )

    def offers(self) -> OffersResult:
        rows = (
            self.conn.execute(
                select(OFFER, APPROVAL.c.id.label("approval_id"))
                .outerjoin(APPROVAL, APPROVAL.c.offer_id == OFFER.c.id)
                .where(OFFER.c.account_id == self.account.id, OFFER.c.created_on <= self.as_of)
                .order_by(OFFER.c.created_on.desc(), OFFER.c.id.desc())
            )
            .mappings()
            .all()
        )
        approvals = {
            a["id"]: a
            for a in self.conn.execute(
                select(APPROVAL).where(APPROVAL.c.id.in_([r["approval_id"] for r in rows if r["approval_id"]]))
            )
            .mappings()
            .all()
        }
        items = []
        for r in rows:
            approval = approvals.get(r["approval_id"])
            waiting = [role for w in waiting_for(approval["groups"] or []) for role in w["roles"]] if approval else []
            items.append(
                OfferItem(
                    offer_id=r["id"],
                    kind=r["kind"],
                    terms=dict(r["terms"] or {}),
                    status=r["status"],
                    approval_status=approval["status"] if approval else None,
                    waiting_for=list(dict.fromkeys(waiting)),
                    created_on=r["created_on"],
                    source=source_of("offer", r),
                    approval_source=source_of("approval", approval) if approval else None,
                )
            )
        return OffersResult(account=self._summary(), offers=items)

    def search_knowledge(self, query: str, k: int = 5) -> SearchResult:
        if self.kb is None:
            raise NoKnowledgeBase("no knowledge base is open; build it before asking what was said")
        hits = self.kb.search(query, [self.account.id], k=k)
        passages = [
            Passage(
                chunk_id=h.chunk.id,
                source_table=h.chunk.source_table,
                source_id=h.chunk.source_id,
                title=h.chunk.title,
                occurred_on=h.chunk.occurred_on,
                text=h.chunk.text,
                score=round(float(h.score), 4),
                from_customer=h.chunk.source_table != "interaction" or bool(h.chunk.contact_ids),
            )
            for h in hits
            if h.chunk.account_id == self.account.id  # the index filters; this holds even if one did not
        ]
        return SearchResult(account=self._summary(), query=query, passages=passages)

    def book(self) -> BookResult:
        reach = reachable_accounts(self.conn, self.user)
        summaries = {
            r.id: AccountSummary(external_id=r.external_id, name=r.name, owner_csm=r.owner_csm)
            for r in self.conn.execute(
                select(ACCOUNT.c.id, ACCOUNT.c.external_id, ACCOUNT.c.name, ACCOUNT.c.owner_csm).where(
                    *([ACCOUNT.c.id.in_(reach)] if reach is not None else [])
                )
            ).all()
        }
        behind = [
            BookRenewal(
                account=summaries[r["account_id"]],
                renewal_on=r["renewal_on"],
                days_to_renewal=r["days_to_renewal"],
                timeline=r["timeline"],
                category=r["category"],
                source=source_of("renewal_forecast", r),
            )
            for r in self._latest_forecasts(reach)
            if r["timeline"] in BEHIND and r["renewal_on"] >= self.as_of and r["account_id"] in summaries
        ]
        return BookResult(behind=behind, moved=self._band_moves(reach, summaries), accounts_in_reach=len(summaries))

    def _band_moves(self, reach: list[int] | None, summaries: dict[int, AccountSummary]) -> list[BandMove]:
        """Bands now against a week ago, read as narrow rows; only the movers' scorecards are read whole."""
        week_ago = self.as_of - timedelta(days=7)
        query = (
            select(SCORECARD.c.id, SCORECARD.c.account_id, SCORECARD.c.as_of, SCORECARD.c.band)
            .where(SCORECARD.c.as_of <= self.as_of, SCORECARD.c.as_of > week_ago - timedelta(days=28))
            .order_by(SCORECARD.c.account_id, SCORECARD.c.as_of.desc())
        )
        if reach is not None:
            query = query.where(SCORECARD.c.account_id.in_(reach))
        now: dict[int, Any] = {}
        before: dict[int, Any] = {}
        for r in self.conn.execute(query).all():
            if r.as_of > week_ago:
                now.setdefault(r.account_id, r)
            else:
                before.setdefault(r.account_id, r)
        movers = {a: card for a, card in now.items() if a in before and a in summaries and before[a].band != card.band}
        full = {
            r["id"]: r
            for r in self.conn.execute(
                select(SCORECARD).where(SCORECARD.c.id.in_([c.id for c in movers.values()]))
            ).mappings()
        }
        moves = [
            BandMove(
                account=summaries[a],
                band_before=before[a].band,
                band_now=card.band,
                as_of_before=before[a].as_of,
                as_of_now=card.as_of,
                source=source_of("scorecard", full[card.id]),
            )
            for a, card in movers.items()
        ]
        return sorted(moves, key=lambda m: m.account.external_id)
