"""`watchtower plays ...`, `tasks`, `risks` and `experiments`: play runs and the work they hand to people."""

from __future__ import annotations

from collections import Counter
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from sqlalchemy import func, select

from cli.context import AppContext, AsOf, CliError, app_context, console, err_console, handle_errors, parse_date
from cli.guards import require_schema
from cli.listing import Column, Format, FormatOption, Listing, emit, page
from cli.owner import AccountOption, LimitOption, MineOption, OwnerOption, for_owner, list_context
from core.conditions import parse, summary
from core.config_errors import ConfigError
from core.models import Account, OutboxMessage, PlayEvent, PlayRun, PlayStep, Task
from playbooks import play_controls
from playbooks.experiments import compare_play
from playbooks.facts import FACTS, PREFIXES
from playbooks.forecast import FORECAST_FACTS, ForecastConfig
from playbooks.play_config import TEMPLATE_VALUES, Play, PlayBook
from playbooks.play_engine import PlayEngine, load_play_configs
from playbooks.risk_cases import case_stats
from scorecards.weekly import account_ids_for

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

    from llm.structured import LlmStats

plays_app = typer.Typer(
    help="Plays: what they are, their runs, and a person's controls over a run.", no_args_is_help=True
)
tasks_app = typer.Typer(help="Tasks plays hand to people.", no_args_is_help=False, invoke_without_command=True)
experiments_app = typer.Typer(help="Holdout experiments: does a play work?", no_args_is_help=True)

By = Annotated[str, typer.Option("--by", help="Who is doing this (recorded in the run's log).")]
Reason = Annotated[str, typer.Option("--reason", help="Why (recorded in the run's log).")]


def load_configs(plays: Path | None = None, forecast: Path | None = None) -> tuple[PlayBook, ForecastConfig]:
    try:
        return load_play_configs(plays=plays, forecast_path=forecast)
    except ConfigError as exc:
        raise CliError(str(exc), "fix the file and run again; `watchtower plays check FILE` validates it") from None


def play_engine(
    app: AppContext, as_of: date, *, model: BaseChatModel | None, stats: LlmStats, plays: Path | None = None
) -> PlayEngine:
    from actions.play_steps import make_play_engine
    from llm.factory import build_reader

    playbook, forecast = load_configs(plays)
    reader = build_reader(app.settings, model, stats=stats) if model is not None else None
    return make_play_engine(playbook, forecast, now=app.moment(as_of), reader=reader)


def _day(app: AppContext, as_of: str | None) -> date:
    return app.as_of(as_of)


@plays_app.command("check")
@handle_errors
def check_command(
    file: Annotated[Path | None, typer.Argument(help="A plays YAML; default the team's (`watchtower config`).")] = None,
    forecast: Annotated[Path | None, typer.Option("--forecast", help="A forecast YAML to check too.")] = None,
) -> None:
    """Validate a plays file (and the forecast rules) without running anything."""
    playbook, rules = load_configs(file, forecast)
    console.print(f"[green]valid[/]: {playbook.version}, {len(playbook.plays)} plays; forecast {rules.version}")


def _opens_when(play: Play, room: int | None) -> str:
    """The trigger and qualification as written, or, when that does not fit in ``room`` characters, the facts
    each reads: a rule folded over five lines of a 100-column terminal is harder to read than its summary."""
    full = play.trigger + (f"; qualifies if {play.qualify}" if play.qualify else "")
    if room is None or len(full) <= room:
        return full
    trigger = play.trigger if len(play.trigger) <= room else summary(play.trigger_condition)
    qualify = f"; qualifies on {summary(parse(play.qualify))}" if play.qualify else ""
    return trigger + qualify if len(trigger + qualify) <= room else trigger


@plays_app.command("list")
@handle_errors
def list_command(
    ctx: typer.Context, owner: OwnerOption = None, mine: MineOption = False, fmt: FormatOption = Format.table
) -> None:
    """The plays in the team's plays.yaml (`watchtower config`), their triggers and how many runs are open."""
    app, who = list_context(ctx, owner, mine)
    playbook, _ = load_configs()
    query = select(PlayRun.play, func.count()).where(PlayRun.status != "closed").group_by(PlayRun.play)
    if who:
        query = query.join(Account, Account.id == PlayRun.account_id).where(Account.owner_csm == who)
    with app.engine.connect() as conn:
        open_counts = dict(conn.execute(query).all())
    if fmt is not Format.table:
        items = [
            {
                "play": p.id,
                "enabled": p.enabled,
                "kind": p.kind,
                "open": open_counts.get(p.id, 0),
                "holdout_pct": p.holdout_pct,
                "trigger": p.trigger,
                "qualify": p.qualify,
            }
            for p in playbook.plays
        ]
        columns = [Column(k) for k in ("play", "enabled", "kind", "open", "holdout_pct", "trigger", "qualify")]
        emit(Listing("", columns, items, len(items), "no plays in plays.yaml"), fmt, console, err_console)
        return
    table = Table(title=f"Plays ({playbook.version}){for_owner(who)}", title_justify="left")
    for column in ("play", "kind", "open", "holdout"):
        table.add_column(column, no_wrap=True)
    table.add_column("opens when", no_wrap=True, overflow="ellipsis")
    rows = [
        [
            play.id + ("" if play.enabled else " (off)"),
            play.kind,
            str(open_counts.get(play.id, 0)),
            f"{play.holdout_pct:g}%",
        ]
        for play in playbook.plays
    ]
    # What is left of the terminal once the other columns and the borders are drawn.
    room = console.width - sum(
        max(len(r[i]) for r in [["play", "kind", "open", "holdout"], *rows]) + 3 for i in range(4)
    )
    room -= 4
    summarised = False
    for play, row in zip(playbook.plays, rows, strict=True):
        when = _opens_when(play, room)
        summarised = summarised or when != _opens_when(play, None)
        table.add_row(*row, escape(when))
    console.print(table)
    if summarised:
        console.print("[dim]long conditions are summarised by the facts they read; plays.yaml has them in full[/]")


@plays_app.command("facts")
@handle_errors
def facts_command() -> None:
    """The facts a trigger, qualification, branch or forecast rule can read, and the template values."""
    table = Table(title="Facts for conditions", title_justify="left")
    table.add_column("fact", no_wrap=True)
    table.add_column("meaning")
    for name, meaning in {**FACTS, **{f"{p}<name>": m for p, m in PREFIXES.items()}}.items():
        table.add_row(name, meaning)
    for name, meaning in FORECAST_FACTS.items():
        table.add_row(name, f"forecast rules only: {meaning}")
    console.print(table)
    values = Table(title="Values for titles and templates ({name})", title_justify="left")
    values.add_column("value", no_wrap=True)
    values.add_column("meaning")
    for name, meaning in TEMPLATE_VALUES.items():
        values.add_row(name, meaning)
    console.print(values)


@plays_app.command("run")
@handle_errors
def run_command(
    ctx: typer.Context,
    as_of: AsOf = None,
    accounts: Annotated[str | None, typer.Option("--accounts", help="Comma-separated external ids.")] = None,
    plays: Annotated[
        Path | None, typer.Option("--plays", help="Plays YAML; default the team's (`watchtower config`).")
    ] = None,
) -> None:
    """Open runs whose trigger fires and advance every open run to the date (the weekly cycle does this too)."""
    from llm.factory import build_chat_model
    from llm.structured import LlmStats

    app = app_context(ctx)
    require_schema(app.engine)
    day = _day(app, as_of)
    ids = None
    if accounts:
        try:
            ids = account_ids_for(app.engine, [a.strip() for a in accounts.split(",") if a.strip()])
        except LookupError as exc:
            raise CliError(str(exc), "check the ids with `watchtower export accounts`") from None
    stats = LlmStats()
    engine = play_engine(app, day, model=build_chat_model(app.settings), stats=stats, plays=plays)
    columns = (TextColumn("plays"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True) as bar:
        task = bar.add_task("plays", total=None)
        engine.progress = lambda n: bar.advance(task, n)
        counts = engine.run(app.engine, day, account_ids=ids)
    show_counts(counts, day)
    for note in [*engine.failures, *stats.notes]:
        console.print(f"[yellow]note:[/] {escape(note)}")


def show_counts(counts: Counter[str], day: date) -> None:
    opened = sum(v for k, v in counts.items() if ".opened." in k)
    held = sum(v for k, v in counts.items() if k.endswith(".opened.holdout"))
    steps = sum(v for k, v in counts.items() if ".step." in k)
    closed = sum(v for k, v in counts.items() if ".closed." in k)
    escalated = sum(v for k, v in counts.items() if k.endswith(".escalated"))
    console.print(
        f"plays as of {day}: opened {opened} run(s) ({held} in holdout), ran {steps} step(s), "
        f"escalated {escalated} task(s), closed {closed} run(s)"
    )
    forecast = {k.split(".", 1)[1]: v for k, v in counts.items() if k.startswith("forecast.")}
    if forecast:
        console.print("forecast: " + ", ".join(f"{k} {v}" for k, v in sorted(forecast.items())))


@plays_app.command("runs")
@handle_errors
def runs_command(
    ctx: typer.Context,
    account: AccountOption = None,
    play: Annotated[str | None, typer.Option("--play", help="Only this play.")] = None,
    status: Annotated[str, typer.Option("--status", help="open, closed or all.")] = "open",
    owner: OwnerOption = None,
    mine: MineOption = False,
    limit: LimitOption = 50,
    fmt: FormatOption = Format.table,
) -> None:
    """List play runs with where each stands."""
    app, who = list_context(ctx, owner, mine)
    query = select(
        PlayRun.id.label("run"),
        Account.external_id.label("account"),
        PlayRun.play,
        PlayRun.arm,
        PlayRun.status,
        PlayRun.outcome,
        PlayRun.closed_on,
        PlayRun.track,
        PlayRun.started_on,
        PlayRun.owner,
    ).join(Account, Account.id == PlayRun.account_id)
    if account:
        query = query.where(Account.external_id == account)
    if play:
        query = query.where(PlayRun.play == play)
    if status == "open":
        query = query.where(PlayRun.status != "closed")
    elif status == "closed":
        query = query.where(PlayRun.status == "closed")
    elif status != "all":
        raise CliError(f"--status must be open, closed or all, got {status!r}")
    if who:
        query = query.where(Account.owner_csm == who)
    with app.engine.connect() as conn:
        rows, total = page(conn, query.order_by(PlayRun.started_on.desc(), PlayRun.id.desc()), limit)
    listing = Listing(
        title="",
        columns=[
            Column("run", kind="number"),
            Column("account"),
            Column("play"),
            Column("arm", droppable=1),
            Column("status"),
            Column("outcome", droppable=2),
            Column("closed_on", "closed", droppable=2),
            Column("track", droppable=1),
            Column("started_on", "started"),
            Column("owner", droppable=3),
        ],
        rows=[dict(r) for r in rows],
        total=total,
        empty=f"no {'' if status == 'all' else status + ' '}runs"
        + (f" of {play}" if play else "")
        + (f" on {account}" if account else "")
        + for_owner(who),
    )
    emit(listing, fmt, console, err_console)


@plays_app.command("show")
@handle_errors
def show_command(ctx: typer.Context, run_id: Annotated[int, typer.Argument(help="The run's id.")]) -> None:
    """One run: why it opened, every step with its status, its tasks, messages and log."""
    app = app_context(ctx)
    require_schema(app.engine)
    with app.engine.connect() as conn:
        run = (
            conn.execute(
                select(PlayRun, Account.external_id, Account.name)
                .join(Account, Account.id == PlayRun.account_id)
                .where(PlayRun.id == run_id)
            )
            .mappings()
            .first()
        )
        if run is None:
            raise CliError(f"no play run {run_id}", "list them with `watchtower plays runs`")
        steps = conn.execute(select(PlayStep).where(PlayStep.run_id == run_id).order_by(PlayStep.id)).mappings().all()
        tasks = conn.execute(select(Task).where(Task.run_id == run_id).order_by(Task.id)).mappings().all()
        messages = (
            conn.execute(select(OutboxMessage).where(OutboxMessage.run_id == run_id).order_by(OutboxMessage.id))
            .mappings()
            .all()
        )
        events = (
            conn.execute(select(PlayEvent).where(PlayEvent.run_id == run_id).order_by(PlayEvent.id)).mappings().all()
        )
    console.print(
        f"run {run_id}: [bold]{run['play']}[/] for {escape(run['name'])} ({run['external_id']}), "
        f"{run['arm']}, {run['status']}" + (f" ({run['outcome']})" if run["outcome"] else "")
    )
    console.print(f"opened {run['started_on']} because {escape(run['trigger'].get('trigger', ''))}")
    for fact, value in (run["trigger"].get("facts") or {}).items():
        console.print(f"  {fact} = {escape(str(value))}")
    table = Table(title="Steps", title_justify="left")
    for column in ("track", "step", "action", "owner", "starts", "due", "status", "note"):
        table.add_column(column, overflow="fold")
    for s in steps:
        table.add_row(
            s["track"],
            s["step"],
            s["action"],
            s["owner_role"] or "-",
            str(s["start_on"]),
            str(s["due_on"]),
            s["status"],
            escape(s["note"] or ""),
        )
    console.print(table)
    if tasks:
        console.print("[bold]Tasks[/]")
        for t in tasks:
            console.print(f"  {t['id']} [{t['status']}] due {t['due_on']} {t['owner_role']}: {escape(t['title'])}")
    if messages:
        console.print("[bold]Messages[/]")
        for m in messages:
            console.print(
                f"  {m['id']} [{m['status']}] {m['audience']} to {escape(m['recipient'])}: {escape(m['subject'])}"
            )
    console.print("[bold]Log[/]")
    for e in events:
        console.print(
            f"  {e['occurred_on']} {e['kind']}{' ' + e['step'] if e['step'] else ''} by {escape(e['actor'])}"
            + (f": {escape(e['reason'])}" if e["reason"] else "")
        )


def _control(ctx: typer.Context, action: str, run_id: int, as_of: str | None, **kwargs: object) -> None:
    app = app_context(ctx)
    require_schema(app.engine)
    day = _day(app, as_of)
    try:
        with app.engine.begin() as conn:
            result = getattr(play_controls, action)(conn, run_id, day, **kwargs)
    except (play_controls.ControlError, LookupError) as exc:
        raise CliError(str(exc), "see the run with `watchtower plays show RUN`") from None
    extra = f" (schedule moved {result} days)" if action == "resume" and result else ""
    console.print(f"run {run_id}: {action.replace('_', ' ')} recorded on {day}{extra}")


@plays_app.command("pause")
@handle_errors
def pause_command(ctx: typer.Context, run_id: int, by: By, reason: Reason, as_of: AsOf = None) -> None:
    """Pause a run: no step runs until it resumes, and the schedule moves back by the pause."""
    _control(ctx, "pause", run_id, as_of, by=by, reason=reason)


@plays_app.command("resume")
@handle_errors
def resume_command(ctx: typer.Context, run_id: int, by: By, reason: Reason, as_of: AsOf = None) -> None:
    """Resume a paused or snoozed run."""
    _control(ctx, "resume", run_id, as_of, by=by, reason=reason)


@plays_app.command("snooze")
@handle_errors
def snooze_command(
    ctx: typer.Context,
    run_id: int,
    until: Annotated[str, typer.Option("--until", help="Resume on this date (YYYY-MM-DD).")],
    by: By,
    reason: Reason,
    as_of: AsOf = None,
) -> None:
    """Snooze a run until a date; it resumes by itself then, its schedule moved back by the snooze."""
    day = parse_date(until, option="--until")
    _control(ctx, "snooze", run_id, as_of, until=day, by=by, reason=reason)


@plays_app.command("reassign")
@handle_errors
def reassign_command(
    ctx: typer.Context,
    run_id: int,
    to: Annotated[str, typer.Option("--to", help="The new owner.")],
    by: By,
    reason: Reason,
    as_of: AsOf = None,
) -> None:
    """Give a run and its open CSM tasks to another person."""
    _control(ctx, "reassign", run_id, as_of, owner=to, by=by, reason=reason)


@plays_app.command("close")
@handle_errors
def close_command(
    ctx: typer.Context,
    run_id: int,
    by: By,
    reason: Reason,
    outcome: Annotated[str, typer.Option("--outcome", help="withdrawn, recovered, lost or completed.")] = "withdrawn",
    as_of: AsOf = None,
) -> None:
    """Close a run by hand: unfinished steps and tasks are cancelled, unsent drafts discarded."""
    _control(ctx, "close", run_id, as_of, outcome=outcome, by=by, reason=reason)


@plays_app.command("respond")
@handle_errors
def respond_command(ctx: typer.Context, run_id: int, by: By, reason: Reason, as_of: AsOf = None) -> None:
    """Record a customer reply the data does not show (a call, a chat); waits and branches see it."""
    _control(ctx, "record_response", run_id, as_of, by=by, reason=reason)


@tasks_app.callback()
@handle_errors
def tasks_command(
    ctx: typer.Context,
    assignee: Annotated[str | None, typer.Option("--assignee", help="Only this person's tasks.")] = None,
    account: AccountOption = None,
    status: Annotated[str, typer.Option("--status", help="open, done, cancelled or all.")] = "open",
    owner: OwnerOption = None,
    mine: MineOption = False,
    as_of: AsOf = None,
    limit: LimitOption = 50,
    fmt: FormatOption = Format.table,
) -> None:
    """List tasks, the most overdue first; open tasks past their due date are flagged."""
    if ctx.invoked_subcommand is not None:
        return
    app, who = list_context(ctx, owner, mine)
    day = app.as_of(as_of)
    query = select(
        Task.id.label("task"),
        Account.external_id.label("account"),
        Task.due_on,
        Task.owner_role,
        Task.assignee,
        Task.status,
        Task.escalated_on,
        Task.escalated_to,
        Task.title,
    ).join(Account, Account.id == Task.account_id)
    if assignee:
        query = query.where(Task.assignee == assignee)
    if account:
        query = query.where(Account.external_id == account)
    if status != "all":
        query = query.where(Task.status == status)
    if who:
        query = query.where(Account.owner_csm == who)
    with app.engine.connect() as conn:
        rows, total = page(conn, query.order_by(Task.due_on, Task.id), limit)
    items = [
        {
            **r,
            "overdue_days": (day - r["due_on"]).days if r["status"] == "open" and r["due_on"] < day else None,
        }
        for r in rows
    ]
    listing = Listing(
        title=f"Tasks as of {day}",
        columns=[
            Column("task", kind="number"),
            Column("account"),
            Column("due_on", "due", droppable=1),
            Column("overdue_days", "overdue", markup=lambda d: f"[bold red]{d}d[/]" if d else ""),
            Column("owner_role", "owner", droppable=1),
            Column("assignee"),
            Column("status", droppable=2),
            Column("escalated_to", "escalated to", droppable=2),
            Column("title", kind="text"),
        ],
        rows=items,
        total=total,
        empty=f"no {'' if status == 'all' else status + ' '}tasks"
        + (f" for {assignee}" if assignee else "")
        + (f" on {account}" if account else "")
        + for_owner(who),
    )
    emit(listing, fmt, console, err_console)


@tasks_app.command("done")
@handle_errors
def task_done_command(
    ctx: typer.Context,
    task_id: int,
    by: By,
    note: Annotated[str | None, typer.Option("--note", help="What was done.")] = None,
    as_of: AsOf = None,
) -> None:
    """Mark a task done."""
    app = app_context(ctx)
    require_schema(app.engine)
    day = _day(app, as_of)
    try:
        with app.engine.begin() as conn:
            play_controls.complete_task(conn, task_id, day, by=by, note=note)
    except play_controls.ControlError as exc:
        raise CliError(str(exc), "list tasks with `watchtower tasks`") from None
    console.print(f"task {task_id} done on {day}")


@handle_errors
def risks_command(ctx: typer.Context, as_of: AsOf = None) -> None:
    """Risk cases: open ones by stage and time in stage, and how long resolved ones took."""
    app = app_context(ctx)
    require_schema(app.engine)
    day = _day(app, as_of)
    with app.engine.connect() as conn:
        stats = case_stats(conn, day)
    console.print(
        f"risk cases as of {day}: "
        + (", ".join(f"{stage} {n}" for stage, n in sorted(stats.open_by_stage.items())) or "none open")
    )
    for outcome, n in sorted(stats.resolved.items()):
        console.print(
            f"resolved {outcome}: {n}, median {stats.median_days_to_resolve[outcome]:.0f} days to resolve "
            f"(mean {stats.mean_days_to_resolve[outcome]:.1f})"
        )
    for stage, days in sorted(stats.median_days_in_stage.items()):
        console.print(f"median time in {stage}: {days:.0f} days")
    table = Table(title="Open cases, longest in stage first", title_justify="left")
    for column in ("account", "stage", "days in stage", "days open"):
        table.add_column(column)
    for account, stage, in_stage, open_days in stats.open_cases[:25]:
        table.add_row(account, stage, str(in_stage), str(open_days))
    console.print(table)


@experiments_app.command("report")
@handle_errors
def experiments_report_command(
    ctx: typer.Context,
    as_of: AsOf = None,
    days: Annotated[int, typer.Option("--days", min=1, help="Health change measured this many days in.")] = 30,
    min_per_arm: Annotated[int, typer.Option("--min-per-arm", min=2, help="Fewer outcomes per arm: too small.")] = 30,
) -> None:
    """Outcome per arm for every play with a holdout: renewal, health change, expansion, with 95% intervals."""
    app = app_context(ctx)
    require_schema(app.engine)
    day = _day(app, as_of)
    playbook, _ = load_configs()
    with app.engine.connect() as conn:
        held = set(conn.execute(select(PlayRun.play).where(PlayRun.arm == "holdout").distinct()).scalars())
        plays = [p.id for p in playbook.plays if p.holdout_pct > 0 or p.id in held]
        results = {play: compare_play(conn, play, day, health_days=days, min_per_arm=min_per_arm) for play in plays}
    if not plays:
        console.print(
            "no play declares a holdout; set holdout_pct on a play in plays.yaml "
            "(`watchtower config` shows which file) to measure it"
        )
        return
    for play, rows in results.items():
        table = Table(title=f"{play} (as of {day})", title_justify="left")
        for column in ("outcome", "treatment", "holdout", "difference (95% CI)", "verdict"):
            table.add_column(column, overflow="fold")
        for r in rows:
            pct = "rate" in r.metric
            table.add_row(
                r.metric,
                _arm(r.treatment.value, r.treatment.detail, r.treatment.n, pct),
                _arm(r.holdout.value, r.holdout.detail, r.holdout.n, pct),
                _diff(r.difference, r.low, r.high, pct),
                r.verdict,
            )
        console.print(table)


def _arm(value: float | None, detail: str, n: int, pct: bool) -> str:
    shown = "-" if value is None else f"{value * 100:.1f}%" if pct else f"{value:+.1f}"
    return f"{shown} ({detail}; {n} enrolled)"


def _diff(d: float | None, low: float | None, high: float | None, pct: bool) -> str:
    if d is None or low is None or high is None:
        return "-"
    scale, unit = (100, " pp") if pct else (1, "")
    return f"{d * scale:+.1f}{unit} [{low * scale:+.1f}, {high * scale:+.1f}]"
