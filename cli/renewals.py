"""`watchtower renewals ...`: the renewal timeline, the forecast beside the CSM's call, and ritual documents."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table
from sqlalchemy import Connection, func, select

from actions.documents import TITLES, ritual_of, write_artifacts
from actions.drafting import Drafter
from cli.context import CliError, app_context, console, handle_errors, parse_date
from cli.guards import require_schema
from cli.plays import load_configs
from core.models import Account, Artifact, Contract, RenewalForecast
from llm.factory import build_chat_model, build_reader
from llm.structured import LlmStats
from playbooks.facts import load_facts
from playbooks.forecast import CATEGORIES, record_call
from playbooks.forecast_reasons import explain
from playbooks.play_config import Play, PlayBook
from playbooks.timeline import renewal_run_for, renewal_timelines

renewals_app = typer.Typer(
    help="Renewals: timeline, forecast and the CSM's call.", no_args_is_help=False, invoke_without_command=True
)
AsOf = Annotated[str | None, typer.Option("--as-of", help="The date (YYYY-MM-DD); default today.")]
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
    limit: Annotated[int, typer.Option("--limit", min=1)] = 50,
) -> None:
    """Renewals ahead with the system's forecast, the CSM's call and the timeline status."""
    if ctx.invoked_subcommand is not None:
        return
    app = app_context(ctx)
    require_schema(app.engine)
    day = parse_date(as_of, option="--as-of") or app.today()
    with app.engine.connect() as conn:
        latest = conn.execute(
            select(func.max(RenewalForecast.as_of)).where(RenewalForecast.as_of <= day)
        ).scalar_one_or_none()
        if latest is None:
            console.print("no forecast yet: run `watchtower run` (or `watchtower plays run`) first")
            return
        query = (
            select(RenewalForecast, Contract.external_id.label("contract"), Account.external_id.label("account"))
            .join(Contract, Contract.id == RenewalForecast.contract_id)
            .join(Account, Account.id == RenewalForecast.account_id)
            .where(RenewalForecast.as_of == latest, RenewalForecast.days_to_renewal <= within)
        )
        if flagged:
            query = query.where(RenewalForecast.flagged.is_(True))
        if category:
            query = query.where(RenewalForecast.category == category)
        rows = conn.execute(query.order_by(RenewalForecast.renewal_on, Contract.external_id)).mappings().all()
        playbook, rules = load_configs()
        timelines = renewal_timelines(
            conn,
            _renewal_play(playbook),
            [r["contract_id"] for r in rows[:limit]],
            day,
            stuck_after_days=rules.stuck_after_days,
        )
    totals: dict[str, list[float]] = {}
    table = Table(
        title=f"Renewals in the next {within} days (forecast of {latest}, timeline as of {day})", title_justify="left"
    )
    for column in ("contract", "account", "renews", "days", "ARR", "band", "timeline", "system", "p", "CSM", "flag"):
        table.add_column(column, no_wrap=True)
    table.add_column("why", overflow="fold")
    for r in rows:
        arr = float(r["arr"])
        sums = totals.setdefault(r["category"], [0.0, 0.0, 0])
        sums[0] += arr
        sums[1] += float(r["weighted_arr"])
        sums[2] += 1
        colour = _COLOUR.get(r["category"], "white")
        if len(table.rows) < limit:
            table.add_row(
                r["contract"],
                r["account"],
                str(r["renewal_on"]),
                str(r["days_to_renewal"]),
                f"{arr:,.0f}",
                r["band"] or "-",
                timelines[r["contract_id"]].status.replace("_", " "),
                f"[{colour}]{r['category']}[/]",
                f"{r['probability']:.2f}",
                r["csm_category"] or "-",
                "leadership" if r["flagged"] else "",
                escape(explain(r["rule"], r["category"], r["facts"] or {})),
            )
    console.print(table)
    for name in CATEGORIES:
        if name in totals:
            arr, weighted, n = totals[name]
            console.print(f"{name}: {n:.0f} renewals, ARR {arr:,.0f}, weighted {weighted:,.0f}")
    if totals:
        console.print(f"weighted ARR in all: {sum(t[1] for t in totals.values()):,.0f}")


@renewals_app.command("show")
@handle_errors
def show_command(ctx: typer.Context, contract: str, as_of: AsOf = None) -> None:
    """One contract's timeline from T-180 to T+30, its forecast and its ritual documents."""
    app = app_context(ctx)
    require_schema(app.engine)
    day = parse_date(as_of, option="--as-of") or app.today()
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
    day = parse_date(as_of, option="--as-of") or app.today()
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
    kind: Annotated[str, typer.Argument(help=f"One of {', '.join(TITLES)}.")],
    refresh: Annotated[bool, typer.Option("--refresh", help="Draft it again from today's facts.")] = False,
    as_of: AsOf = None,
) -> None:
    """Print a ritual document (readiness report, value recap, offer sheet, approvals checklist)."""
    if kind not in TITLES:
        raise CliError(f"unknown document {kind!r}", f"use one of {', '.join(TITLES)}")
    app = app_context(ctx)
    require_schema(app.engine)
    day = parse_date(as_of, option="--as-of") or app.today()
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
