"""`watchtower renewals ...`: the renewal timeline, the forecast beside the CSM's call, and ritual documents."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table
from sqlalchemy import Connection, or_, select

from cli.context import AsOf, CliError, app_context, console, err_console, handle_errors
from cli.guards import require_schema
from cli.listing import Column, Format, FormatOption, Listing, emit
from cli.owner import LimitOption, MineOption, OwnerOption, for_owner, owner_filter
from cli.plays import load_configs
from core.models import Account, Artifact, Contract, RenewalForecast
from playbooks.facts import load_facts
from playbooks.forecast import CATEGORIES, latest_forecasts, record_call
from playbooks.forecast_reasons import explain
from playbooks.play_config import Play, PlayBook
from playbooks.timeline import renewal_run_for, renewal_timelines
from sources.summary import OVERDUE_DAYS, renewal_due, renewal_overdue

renewals_app = typer.Typer(
    help="Renewals: timeline, forecast and the CSM's call.", no_args_is_help=False, invoke_without_command=True
)
_COLOUR = {"commit": "green", "upside": "cyan", "at_risk": "yellow", "churn": "red"}


def _contract(conn: Connection, external_id: str) -> dict:
    row = (
        conn.execute(
            select(Contract, Account.external_id.label("account"), Account.name.label("account_name"))
            .join(Account, Account.id == Contract.account_id)
            .where(Contract.external_id == external_id)
        )
        .mappings()
        .first()
    )
    if row is None:
        raise CliError(f"no contract {external_id!r}", "list renewals with `watchtower renewals`")
    return dict(row)


def _renewal_play(playbook: PlayBook) -> Play:
    renewal = next((p for p in playbook.plays if p.anchor == "renewal"), None)
    if renewal is None:
        raise CliError(
            "no renewal play in plays.yaml", "add one with anchor: renewal; `watchtower config` shows the file"
        )
    return renewal


@renewals_app.callback()
@handle_errors
def list_command(
    ctx: typer.Context,
    as_of: AsOf = None,
    within: Annotated[int, typer.Option("--within", min=1, help="Renewals in the next N days.")] = 180,
    flagged: Annotated[bool, typer.Option("--flagged", help="Only disagreements flagged for leadership.")] = False,
    category: Annotated[str | None, typer.Option("--category", help=f"Only {', '.join(CATEGORIES)}.")] = None,
    owner: OwnerOption = None,
    mine: MineOption = False,
    limit: LimitOption = 50,
    fmt: FormatOption = Format.table,
) -> None:
    """Renewals due in the next N days (the contracts `watchtower summary` counts), and those up to 30 days past
    their date and not yet renewed, with the system's forecast, the CSM's call and the timeline status."""
    if ctx.invoked_subcommand is not None:
        return
    app = app_context(ctx)
    require_schema(app.engine)
    day = app.as_of(as_of)
    who = owner_filter(app, owner, mine)
    if category is not None and category not in CATEGORIES:
        raise CliError(f"--category must be one of {', '.join(CATEGORIES)}, got {category!r}")
    with app.engine.connect() as conn:
        query = (
            select(
                Contract.id,
                Contract.external_id.label("contract"),
                Contract.end_date,
                Contract.arr,
                Account.external_id.label("account"),
                Account.owner_csm,
            )
            .join(Account, Account.id == Contract.account_id)
            .where(or_(renewal_due(day, within), renewal_overdue(day)))
            .order_by(Contract.end_date, Contract.external_id)
        )
        if who:
            query = query.where(Account.owner_csm == who)
        due = conn.execute(query).mappings().all()
        forecasts = latest_forecasts(conn, [r["id"] for r in due], day)
        if flagged:
            due = [r for r in due if r["id"] in forecasts and forecasts[r["id"]]["flagged"]]
        if category:
            due = [r for r in due if r["id"] in forecasts and forecasts[r["id"]]["category"] == category]
        playbook, rules = load_configs()
        page = due[:limit]
        timelines = renewal_timelines(
            conn, _renewal_play(playbook), [r["id"] for r in page], day, stuck_after_days=rules.stuck_after_days
        )
    rows = []
    for r in page:
        f = forecasts.get(r["id"])
        rows.append(
            {
                "contract": r["contract"],
                "account": r["account"],
                "owner": r["owner_csm"],
                "renews": r["end_date"],
                "days": (r["end_date"] - day).days,
                "arr": float(r["arr"] or 0),
                "band": f["band"] if f else None,
                "timeline": timelines[r["id"]].status.replace("_", " "),
                "category": f["category"] if f else None,
                "probability": f["probability"] if f else None,
                "csm_call": f["csm_category"] if f else None,
                "flagged": bool(f and f["flagged"]),
                "forecast_of": f["as_of"] if f else None,
                "why": explain(f["rule"], f["category"], f["facts"] or {}) if f else "no forecast yet",
            }
        )
    filters = "".join([" flagged for leadership" if flagged else "", f" forecast {category}" if category else ""])
    listing = Listing(
        title=f"Renewals due within {within} days as of {day}{for_owner(who)}"
        + (", those past their date first" if any(r["end_date"] < day for r in due) else ""),
        columns=[
            Column("contract"),
            Column("account"),
            Column("owner", droppable=3),
            Column("renews"),
            Column("days", kind="number"),
            Column("arr", "ARR", kind="number"),
            Column("band", droppable=1),
            Column("timeline", droppable=1),
            Column("category", "system", markup=_category),
            Column("probability", "p", kind="number"),
            Column("csm_call", "CSM", droppable=2),
            Column("flagged", "flag", markup=lambda v: "leadership" if v else "", droppable=2),
            Column("forecast_of", "forecast of", droppable=3),
            Column("why", kind="text"),
        ],
        rows=rows,
        total=len(due),
        empty=f"no renewals{filters} due within {within} days as of {day}{for_owner(who)}",
        notes=_totals(due, forecasts, within, day),
    )
    emit(listing, fmt, console, err_console)


def _category(value: str | None) -> str:
    return f"[{_COLOUR.get(value, 'white')}]{value}[/]" if value else "-"


def _totals(due: list, forecasts: dict[int, dict], within: int, day: date) -> list[str]:
    """ARR and weighted ARR per forecast category over every renewal that matched, not only those shown."""
    totals: dict[str, list[float]] = {}
    unforecast = 0
    for r in due:
        f = forecasts.get(r["id"])
        if f is None:
            unforecast += 1
            continue
        sums = totals.setdefault(f["category"], [0.0, 0.0, 0])
        sums[0] += float(f["arr"])
        sums[1] += float(f["weighted_arr"])
        sums[2] += 1
    late = sum(r["end_date"] < day for r in due)
    lines = [f"{len(due) - late} renewals due within {within} days as of {day}"] if due else []
    if late:
        lines.append(f"{late} past their date and not yet renewed (up to {OVERDUE_DAYS} days; negative days)")
    for name in CATEGORIES:
        if name in totals:
            arr, weighted, n = totals[name]
            lines.append(f"{name}: {n:.0f} renewals, ARR {arr:,.0f}, weighted {weighted:,.0f}")
    if totals:
        lines.append(f"weighted ARR in all: {sum(t[1] for t in totals.values()):,.0f}")
    if unforecast:
        lines.append(
            f"{unforecast} without a forecast yet (no open renewal timeline, or a holdout): "
            "`watchtower run` forecasts the rest"
        )
    dates = sorted({f["as_of"] for f in forecasts.values()})
    if dates and dates[-1] < day:
        lines.append(f"latest forecast made {dates[-1]}; `watchtower run` brings it to {day}")
    return lines


@renewals_app.command("show")
@handle_errors
def show_command(ctx: typer.Context, contract: str, as_of: AsOf = None) -> None:
    """One contract's timeline from T-180 to T+30, its forecast and its ritual documents."""
    from actions.documents import TITLES

    app = app_context(ctx)
    require_schema(app.engine)
    day = app.as_of(as_of)
    playbook, rules = load_configs()
    renewal = _renewal_play(playbook)
    with app.engine.connect() as conn:
        c = _contract(conn, contract)
        timeline = renewal_timelines(conn, renewal, [c["id"]], day, stuck_after_days=rules.stuck_after_days)[c["id"]]
        run, milestones = timeline.run, timeline.milestones
        forecast = (
            conn.execute(
                select(RenewalForecast)
                .where(RenewalForecast.contract_id == c["id"], RenewalForecast.as_of <= day)
                .order_by(RenewalForecast.as_of.desc())
                .limit(1)
            )
            .mappings()
            .first()
        )
        artifacts = conn.execute(
            select(Artifact.kind, Artifact.generated_on, Artifact.produced_by).where(Artifact.contract_id == c["id"])
        ).all()
    console.print(
        f"[bold]{c['external_id']}[/] of {escape(c['account_name'])} ({c['account']}): ends {c['end_date']}, "
        f"ARR {float(c['arr'] or 0):,.0f}, {c['status']}"
    )
    if run is None:
        console.print("no renewal timeline yet: it starts at T-120 (T-180 for accounts below Green)")
        return
    console.print(f"timeline run {run['id']} ({run['status']}), started {run['started_on']}: {timeline.status}")
    table = Table(title_justify="left")
    for column in ("milestone", "due", "status", "owner", "done", "note"):
        table.add_column(column, overflow="fold")
    for m in milestones:
        done = f"{m.completed_on} by {m.completed_by}" if m.done else ""
        table.add_row(
            m.label,
            str(m.due_on),
            m.status.replace("_", " "),
            m.assignee or m.owner_role or "-",
            escape(done),
            escape(m.note or ""),
        )
    console.print(table)
    if forecast:
        console.print(
            f"forecast {forecast['as_of']}: [bold]{forecast['category']}[/] (p {forecast['probability']:.2f}, "
            f"weighted {float(forecast['weighted_arr']):,.0f}); "
            f"{escape(explain(forecast['rule'], forecast['category'], forecast['facts'] or {}))}; "
            f"CSM call: {forecast['csm_category'] or 'none'}"
            + ("; flagged for leadership" if forecast["flagged"] else "")
        )
    for kind, generated, produced in artifacts:
        console.print(f"document: {TITLES.get(kind, kind)} ({kind}), {generated}, {produced}")


@renewals_app.command("call")
@handle_errors
def call_command(
    ctx: typer.Context,
    contract: str,
    category: Annotated[str, typer.Argument(help=f"One of {', '.join(CATEGORIES)}.")],
    by: Annotated[str, typer.Option("--by", help="Who makes the call.")],
    note: Annotated[str | None, typer.Option("--note", help="Why.")] = None,
    as_of: AsOf = None,
) -> None:
    """Record the CSM's own forecast call; it stands beside the system's and disagreements are flagged at T-90."""
    app = app_context(ctx)
    require_schema(app.engine)
    day = app.as_of(as_of)
    with app.engine.begin() as conn:
        c = _contract(conn, contract)
        try:
            record_call(conn, c["id"], day, category, by=by, note=note)
        except ValueError as exc:
            raise CliError(str(exc)) from None
    console.print(f"{contract}: {category} called by {escape(by)} on {day}; the next plays run compares it")


@renewals_app.command("document")
@handle_errors
def document_command(
    ctx: typer.Context,
    contract: str,
    kind: Annotated[str, typer.Argument(help="readiness_report, value_recap, offer_sheet or approvals_checklist.")],
    refresh: Annotated[bool, typer.Option("--refresh", help="Draft it again from today's facts.")] = False,
    as_of: AsOf = None,
) -> None:
    """Print a ritual document (readiness report, value recap, offer sheet, approvals checklist)."""
    from actions.documents import TITLES, ritual_of, write_artifacts
    from actions.drafting import Drafter
    from llm.factory import build_chat_model, build_reader
    from llm.structured import LlmStats

    if kind not in TITLES:
        raise CliError(f"unknown document {kind!r}", f"use one of {', '.join(TITLES)}")
    app = app_context(ctx)
    require_schema(app.engine)
    day = app.as_of(as_of)
    playbook, _ = load_configs()
    model = build_chat_model(app.settings)
    drafter = Drafter(build_reader(app.settings, model, stats=LlmStats()) if model is not None else None)
    with app.engine.begin() as conn:
        c = _contract(conn, contract)
        run = renewal_run_for(conn, c["id"], _renewal_play(playbook).id)
        if run is None:
            raise CliError(f"{contract} has no renewal timeline yet", "it starts at T-120 (T-180 below Green)")
        if (
            refresh
            or conn.execute(select(Artifact.id).where(Artifact.run_id == run["id"], Artifact.kind == kind)).first()
            is None
        ):
            settings = playbook.settings
            facts = load_facts(
                conn,
                [c["account_id"]],
                day,
                scorecard_max_age_days=settings.scorecard_max_age_days,
                engagement_days=settings.engagement_days,
            )[c["account_id"]]
            term = next(t for t in facts.contracts if t.id == c["id"])
            write_artifacts(
                conn,
                drafter,
                kinds=[kind],
                run_id=run["id"],
                account=facts,
                facts=facts.for_contract(term, day),
                contract=term,
                ritual=ritual_of(playbook, kind),
                as_of=day,
                refresh=True,
            )
        row = conn.execute(
            select(Artifact.title, Artifact.content, Artifact.generated_on, Artifact.produced_by).where(
                Artifact.run_id == run["id"], Artifact.kind == kind
            )
        ).one()
    console.print(f"[dim]{row.title}: drafted {row.generated_on} ({row.produced_by})[/]")
    console.print(escape(row.content))
