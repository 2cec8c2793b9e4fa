"""The approvals queue page: filtered, sorted, and decided one at a time or in bulk with one reason.

A bulk decision is the same decision service called once per approval, each in
its own transaction with its own audit row, so one refusal (the CS manager
proposed that offer, or someone decided it first) is reported beside its id
and leaves the others decided.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, Field

from api.bounds import MAX_ID, PlainText, not_form_text
from api.deps import AppSettings, Clock, Db, FormUser, Policy, WebSession
from api.models import PageParams
from api.pages import local, page, paged
from api.services import settle_decision
from approvals.decisions import DecisionError, parse_decision
from approvals.queue_filters import SORTS, QueueFilter, QueueSort
from approvals.turns import overdue_hours, turn_of
from approvals.views import list_approvals

router = APIRouter(include_in_schema=False)
#: How many approvals one bulk decision may take: a page of the queue at its longest.
MAX_BULK = 200


class QueueQuery(PageParams):
    """The queue's page and filters as the page's form sends them; an empty field filters nothing."""

    #: Plain text, so a NUL byte is a 422 naming the filter rather than a database error on Postgres.
    kind: PlainText | None = Field(None, max_length=64)
    account: PlainText | None = Field(None, max_length=128)
    requester: PlainText | None = Field(None, max_length=255)
    overdue: bool = False
    sort: QueueSort = "due"

    def wanted(self) -> QueueFilter:
        return QueueFilter(
            kind=(self.kind or "").strip() or None,
            account=(self.account or "").strip() or None,
            requester=(self.requester or "").strip() or None,
            overdue=self.overdue,
            sort=self.sort,
        )

    def pairs(self) -> list[tuple[str, str]]:
        """The filters as query pairs, for the pager's links to keep."""
        found = self.wanted()
        pairs = [
            (k, v) for k, v in (("kind", found.kind), ("account", found.account), ("requester", found.requester)) if v
        ]
        if found.overdue:
            pairs.append(("overdue", "true"))
        if found.sort != "due":
            pairs.append(("sort", found.sort))
        return pairs


class BulkForm(BaseModel):
    """One decision and one reason for every ticked approval."""

    #: Bounded like every id in a path, so an id past the database's integer is a 422 on ``ids``, not a crash.
    ids: list[Annotated[int, Field(ge=1, le=MAX_ID)]] = Field(default_factory=list, max_length=MAX_BULK)
    decision: Literal["approve", "reject"]
    reason: str = Field("", max_length=4000)
    back: str = "/approvals"

    def problem(self) -> str | None:
        """What makes this form no decision at all, naming the field; None when it can be decided."""
        if not self.ids:
            return "ids: tick at least one approval"
        unreadable = not_form_text(self.reason)
        if unreadable:
            return f"reason: {unreadable}"
        if not self.reason.strip():
            return "reason: say why, once for all the approvals ticked"
        return None


def _rows(items: list[dict], user_name: str, role: str, now: datetime) -> list[dict]:
    """Each approval with whether this person may decide it now and how late each open group is."""
    for item in items:
        turn = turn_of(
            status=item["status"],
            waiting=item["waiting_for"],
            requester=item["requester"],
            approved_by=[],
            username=user_name,
            role=role,
        )
        item["turn"] = turn
        item["waiting"] = [{**w, "overdue_hours": overdue_hours(w["due_at"], now)} for w in item["waiting_for"]]
        item["overdue"] = any(w["overdue_hours"] is not None for w in item["waiting"])
    return items


@router.get("/approvals")
def queue_page(
    request: Request, engine: Db, clock: Clock, session: WebSession, query: Annotated[QueueQuery, Query()]
) -> HTMLResponse:
    """Pending approvals an open group of your role may decide now (a CSM: those on their accounts)."""
    user, csrf = session
    role = None if user.role == "csm" else user.role
    now = clock()
    wanted = query.wanted()
    with engine.connect() as conn:
        items, pager = paged(
            "/approvals",
            query,
            lambda limit, offset: list_approvals(
                conn, user, status="pending", role=role, limit=limit, offset=offset, filters=wanted, now=now
            ),
            keep=query.pairs(),
        )
    return page(
        request,
        "queue.html",
        user=user,
        csrf=csrf,
        items=_rows(items, user.username, user.role, now),
        pager=pager,
        filters=wanted,
        sorts=SORTS,
    )


@router.post("/approvals/bulk")
def bulk_decision(
    request: Request,
    engine: Db,
    settings: AppSettings,
    policy: Policy,
    clock: Clock,
    user: FormUser,
    session: WebSession,
    form: Annotated[BulkForm, Form()],
) -> HTMLResponse:
    """Each ticked approval decided through the decision service in turn; every outcome listed by its id."""
    _, csrf = session
    problem = form.problem()
    if problem:
        return page(
            request,
            "bulk_result.html",
            status_code=422,
            user=user,
            csrf=csrf,
            results=[],
            summary="Nothing decided",
            error=problem,
            back=local(form.back),
        )
    decision = parse_decision({"decision": form.decision, "reason": form.reason.strip()})
    results: list[dict[str, object]] = []
    for approval_id in dict.fromkeys(form.ids):
        try:
            outcome = settle_decision(
                engine,
                settings=settings,
                policy=policy,
                user=user,
                approval_id=approval_id,
                decision=decision,
                now=clock(),
                expected_version=None,
            )
        except DecisionError as exc:
            results.append({"id": approval_id, "ok": False, "text": str(exc)})
        else:
            results.append({"id": approval_id, "ok": True, "text": outcome.message})
    done = sum(1 for r in results if r["ok"])
    return page(
        request,
        "bulk_result.html",
        user=user,
        csrf=csrf,
        results=results,
        summary=f"{done} of {len(results)} decided",
        back=local(form.back),
    )
