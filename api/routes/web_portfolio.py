"""The pages a CS team opens every morning: the landing for each role, a CSM's book, the portfolio dashboard
and one account's page.

Each reads through ``tools.access``: a CSM sees their own accounts on every page, leadership the whole book, and
an account out of reach is the same 404 as one that does not exist. The numbers come from the read modules below
the API (``scorecards.portfolio``, ``playbooks.portfolio``, ``playbooks.account_view``, ``approvals.backlog``,
``metrics``); handlers only choose the scope and the date. Every handler is a plain ``def`` (see ``api.routes.web``).
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import Connection

import metrics
from api.copilot_door import as_of_default, reach
from api.copilot_models import MAX_QUESTION, AccountKey
from api.deps import AppSettings, Clock, Db, WebSession
from api.page_charts import band_trend_chart, score_chart, stakeholder_map
from api.pages import page
from approvals.backlog import pending_backlog
from core.charts import line_chart
from core.config_errors import ConfigError
from core.config_files import policy_path, team_config_dir
from core.glossary import load_glossary
from core.identity import User
from playbooks.account_view import account_view
from playbooks.play_engine import load_play_configs
from playbooks.portfolio import book, renewals_calendar
from scorecards.health_model import load_health_model
from scorecards.portfolio import arr_by_band, band_distribution, movers
from tools.access import reachable_accounts

router = APIRouter(include_in_schema=False)

Band = Literal["Green", "Yellow", "Orange", "Red"]
#: ``playbooks.portfolio.BOOK_SORTS`` as a type, so FastAPI refuses any other value with a 422 naming ``sort``.
Sort = Literal["score", "-score", "arr", "-arr", "renewal", "-renewal", "trend", "-trend", "name"]
#: The ratio metrics drawn in the dashboard's trend chart.
TREND_METRICS = ("nrr", "grr", "logo_retention")


def _scope(conn: Connection, user: User) -> list[int] | None:
    """The accounts a person's pages cover; ``None`` is the whole book (leadership)."""
    return reachable_accounts(conn, user)


@router.get("/book")
def book_page(
    request: Request,
    engine: Db,
    settings: AppSettings,
    clock: Clock,
    session: WebSession,
    sort: Annotated[Sort, Query(description="Column to sort by; a leading - sorts descending.")] = "score",
    band: Annotated[Band | Literal[""], Query(description="Only accounts in this health band; empty for all.")] = "",
) -> HTMLResponse:
    """The accounts in the person's reach, worst first by default, with what a CSM scans each morning."""
    user, csrf = session
    as_of = as_of_default(settings, clock())
    with engine.connect() as conn:
        rows = book(conn, as_of=as_of, account_ids=_scope(conn, user), sort=sort, band=band or None)
    return page(request, "book.html", user=user, csrf=csrf, rows=rows, sort=sort, band=band, as_of=as_of)


def _metrics_panel(conn: Connection, user: User, as_of: date) -> dict[str, Any]:
    """The success metrics over the last four complete quarters, with a trend chart of the retention ratios."""
    owner = user.email if user.role == "csm" else None
    try:
        reports = metrics.trend(conn, end=as_of, period="quarter", count=4, owner=owner)
    except (metrics.MetricsError, ConfigError) as exc:  # the rest of the dashboard still serves, with why
        return {"error": f"The success metrics could not be computed: {exc}", "report": None, "chart": ""}
    latest = reports[-1]
    series = []
    for key in TREND_METRICS:
        points = [
            (r.period_end, round(m.value * 100, 1))
            for r in reports
            for m in r.metrics
            if m.key == key and m.value is not None
        ]
        label = next((m.label for m in latest.metrics if m.key == key), key)
        series.append((label, points))
    chart = line_chart(series, title="Retention by quarter (%)", y_label="percent", width=640, height=240)
    return {"error": None, "report": latest, "chart": chart}


@router.get("/dashboard")
def dashboard_page(
    request: Request, engine: Db, settings: AppSettings, clock: Clock, session: WebSession
) -> HTMLResponse:
    """Band distribution and its trend, movers, renewals ahead, approvals waiting and the success metrics."""
    user, csrf = session
    now = clock()
    as_of = as_of_default(settings, now)
    with engine.connect() as conn:
        scope = _scope(conn, user)
        distribution = band_distribution(conn, as_of=as_of, weeks=12, account_ids=scope)
        moved = movers(conn, as_of=as_of, weeks=4, limit=10, account_ids=scope)
        forecast_on, months = renewals_calendar(conn, as_of=as_of, days=180, account_ids=scope)
        backlog = pending_backlog(conn, now=now, account_ids=scope)
        by_band = arr_by_band(conn, as_of=as_of, account_ids=scope)
        panel = _metrics_panel(conn, user, as_of)
    title = "Accounts per health band, last 12 weeks"
    at_risk = _at_risk_bands(settings)
    return page(
        request,
        "dashboard.html",
        user=user,
        csrf=csrf,
        as_of=as_of,
        mine=scope is not None,
        latest=distribution[-1] if distribution else None,
        arr_by_band=by_band,
        at_risk=at_risk,
        arr_at_risk=sum((by_band.get(b, Decimal(0)) for b in at_risk), Decimal(0)),
        band_chart=band_trend_chart(distribution, title=title),
        movers=moved,
        forecast_on=forecast_on,
        months=months,
        backlog=backlog,
        metrics=panel,
    )


def _at_risk_bands(settings: Any) -> list[str]:
    """The bands the team calls at risk (the glossary's ``at_risk_bands``), for the dashboard's ARR at risk."""
    try:
        return list(load_glossary(directory=team_config_dir(settings).path).at_risk_bands)
    except ConfigError:
        return ["Orange", "Red"]


def _bands(settings: Any) -> list[tuple[str, float]]:
    """The health bands (name and minimum score, best first) of the active model, to shade the score chart."""
    try:
        model = load_health_model(policy_path("health_model.yaml", settings=settings))
    except ConfigError:
        return []
    return [(b.name, b.min) for b in model.bands]


@router.get("/accounts/{account}")
def account_page(
    request: Request,
    account: AccountKey,
    engine: Db,
    settings: AppSettings,
    clock: Clock,
    session: WebSession,
) -> HTMLResponse:
    """One account on one page; out of reach is "No such account", exactly as a missing one."""
    user, csrf = session
    ref = reach(engine, user, account)
    if ref is None:
        raise HTTPException(404, "No such account.")
    as_of = as_of_default(settings, clock())
    timeline_problem = None
    try:
        playbook, forecast = load_play_configs(team_config_dir(settings).path)
        renewal = next((p for p in playbook.plays if p.anchor == "renewal"), None)
        stuck_after = forecast.stuck_after_days
    except ConfigError as exc:  # the rest of the page still serves; the timeline says why it is missing
        renewal, stuck_after, timeline_problem = None, 14, str(exc)
    with engine.connect() as conn:
        view = account_view(conn, ref.id, as_of=as_of, renewal_play=renewal, stuck_after_days=stuck_after)
    return page(
        request,
        "account.html",
        user=user,
        csrf=csrf,
        ref=ref,
        v=view,
        timeline_problem=timeline_problem,
        score_chart=score_chart(view.history, _bands(settings), title=f"Health score of {ref.name}, weekly"),
        people_chart=stakeholder_map(view.people, title=f"Stakeholder map of {ref.name}"),
        max_question=MAX_QUESTION,
        since=as_of - timedelta(weeks=26),
    )
