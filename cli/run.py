"""`watchtower run` (the cycle, for cron), `serve` (the scheduler), `alerts` (what they raised) and `feed`."""

from __future__ import annotations

import logging
import signal
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from sqlalchemy import case, func, insert, select
from sqlalchemy.exc import SQLAlchemyError

from actions.outbox import deliver_notice, send_approved, senders_from
from agents.configuration import AGENTS, WatchtowerConfig, load_watchtower_config
from agents.run_records import describe, reap_abandoned
from agents.schedule import (
    briefing_week,
    due_groups,
    mark_retried,
    next_wait,
    refreshes_scorecards,
    unfinished_runs,
)
from approvals.escalation import escalate_overdue
from approvals.policy import load_policy
from cli.context import AppContext, CliError, app_context, console, err_console, handle_errors, parse_date
from cli.guards import require_schema
from cli.kb import vector_progress
from cli.listing import Column, Format, FormatOption, Listing, emit, page
from cli.owner import AccountOption, LimitOption, MineOption, OwnerOption, for_owner, list_context
from cli.plays import play_engine, show_counts
from cli.score import load_scoring_config
from core.config_errors import ConfigError
from core.models import Account, AgentRun, Alert, SchedulerTick
from scorecards.weekly import ScoringConfig, account_ids_for

if TYPE_CHECKING:
    from agents.cycle import CycleContext, CycleInput

log = logging.getLogger(__name__)
TICK = SchedulerTick.__table__  # type: ignore[attr-defined]
#: Tick records kept in memory while the database cannot take them; beyond this the oldest are dropped.
MAX_UNRECORDED = 1000


def _split(value: str | None) -> list[str]:
    return [v.strip() for v in (value or "").split(",") if v.strip()]


def load_config(path: Path | None) -> WatchtowerConfig:
    try:
        return load_watchtower_config(path)
    except ConfigError as exc:
        raise CliError(str(exc), "fix the file and run again") from None


def cycle_context(app: AppContext, config: WatchtowerConfig, *, scorecards: bool, as_of: date) -> CycleContext:
    from agents.cycle import CycleContext
    from knowledge_base.open import open_knowledge_base
    from llm.factory import build_chat_model

    cycle = CycleContext(
        engine=app.engine,
        settings=app.settings,
        config=config,
        scoring=load_scoring_config(None, None) if scorecards else None,
        model=build_chat_model(app.settings),
    )
    cycle.plays = play_engine(app, as_of, model=cycle.model, stats=cycle.stats)
    cycle.knowledge_base = lambda: open_knowledge_base(app.settings)
    cycle.knowledge_base_progress = vector_progress
    return cycle


@handle_errors
def run_command(
    ctx: typer.Context,
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="Review as of this date (YYYY-MM-DD); default today.")
    ] = None,
    agents: Annotated[
        str | None, typer.Option("--agents", help=f"Comma-separated, from {', '.join(AGENTS)}; default all.")
    ] = None,
    accounts: Annotated[str | None, typer.Option("--accounts", help="Comma-separated external ids.")] = None,
    segments: Annotated[str | None, typer.Option("--segments", help="Comma-separated segment names.")] = None,
    scorecards: Annotated[
        bool, typer.Option("--scorecards/--no-scorecards", help="Refresh scorecards after the agents.")
    ] = True,
    config: Annotated[
        Path | None, typer.Option("--config", help="Watchtower policy YAML; default the team's (`watchtower config`).")
    ] = None,
) -> None:
    """Run the watchtowers for one date and refresh scorecards; safe to re-run (nothing is added twice)."""
    app = app_context(ctx)
    require_schema(app.engine)
    policy = load_config(config)
    day = app.as_of(as_of)
    chosen = _split(agents) or list(AGENTS)
    unknown = sorted(set(chosen) - set(AGENTS))
    if unknown:
        raise CliError(f"unknown agent(s): {', '.join(unknown)}", f"use some of: {', '.join(AGENTS)}")
    request: CycleInput = {"as_of": day, "agents": chosen, "trigger": "cli", "segments": _split(segments)}
    if accounts:
        try:
            request["account_ids"] = account_ids_for(app.engine, _split(accounts))
        except LookupError as exc:
            raise CliError(str(exc), "check the ids with `watchtower export accounts`") from None
    cycle = cycle_context(app, policy, scorecards=scorecards, as_of=day)
    columns = (TextColumn("reviewing"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True) as bar:
        task = bar.add_task("review", total=None)
        cycle.progress = lambda n: bar.advance(task, n)
        from agents.cycle import run_cycle

        result = run_cycle(cycle, request)
    show_abandoned(result.get("abandoned", []))
    show_run(app, result["run_id"])


def show_abandoned(lines: list[str]) -> None:
    for line in lines:
        console.print(f"[yellow]{escape(line)}[/]", highlight=False)


def show_run(app: AppContext, run_id: int) -> None:
    with app.engine.connect() as conn:
        run = conn.execute(select(AgentRun).where(AgentRun.id == run_id)).mappings().one()
        open_alerts = conn.execute(
            select(Alert.kind, Alert.type, func.count())
            .where(Alert.status == "open")
            .group_by(Alert.kind, Alert.type)
            .order_by(Alert.kind, Alert.type)
        ).all()
    counts = run["counts"] or {}
    colour = {"succeeded": "green", "degraded": "yellow", "partial": "yellow"}.get(run["status"], "red")
    console.print(
        f"run {run_id} [{colour}]{run['status']}[/]: {run['accounts']} accounts as of {run['as_of']} "
        f"({', '.join(run['agents'])}) in {(run['duration_ms'] or 0) / 1000:.1f}s"
    )
    console.print(
        f"alerts opened {counts.get('alerts_opened', 0)}, updated {counts.get('alerts_updated', 0)}, "
        f"resolved {counts.get('alerts_resolved', 0)}; movements logged {counts.get('movements_logged', 0)}; "
        f"scorecards {counts.get('scorecards', 0)}"
    )
    if "kb.chunks_written" in counts:
        console.print(
            f"knowledge base: {counts.get('kb.sources_changed', 0)} texts new, edited or gone; "
            f"{counts.get('kb.chunks_written', 0)} chunks and {counts.get('kb.vectors_written', 0)} vectors written"
        )
    console.print(
        f"LLM calls {run['llm_calls']} ({run['llm_tokens']} tokens), cached answers {run['llm_cache_hits']}, "
        f"fell back to rules {run['llm_fallbacks']}"
    )
    played = Counter({k.removeprefix("plays."): v for k, v in counts.items() if k.startswith("plays.")})
    if played:
        show_counts(played, run["as_of"])
    for note in run["notes"] or []:
        console.print(f"[yellow]note:[/] {escape(note)}")
    table = Table(title="Open alerts", title_justify="left")
    table.add_column("kind")
    table.add_column("type")
    table.add_column("accounts", justify="right")
    for kind, type_, n in open_alerts:
        table.add_row(kind, type_, str(n))
    console.print(table)


@handle_errors
def alerts_command(
    ctx: typer.Context,
    account: AccountOption = None,
    type_: Annotated[str | None, typer.Option("--type", help="Only this alert type.")] = None,
    status: Annotated[str, typer.Option("--status", help="open, resolved or all.")] = "open",
    owner: OwnerOption = None,
    mine: MineOption = False,
    limit: LimitOption = 50,
    evidence: Annotated[
        bool, typer.Option("--evidence", help="Show evidence references (always shown with --account).")
    ] = False,
    fmt: FormatOption = Format.table,
) -> None:
    """List alerts, most severe first, with their reasons (and evidence with --account or --evidence)."""
    app, who = list_context(ctx, owner, mine)
    query = select(
        Account.external_id.label("account"),
        Account.owner_csm.label("owner"),
        Alert.kind,
        Alert.type,
        Alert.severity,
        Alert.status,
        Alert.opened_on,
        Alert.title,
        Alert.evidence,
    ).join(Account, Account.id == Alert.account_id)
    if account:
        query = query.where(Account.external_id == account)
    if type_:
        query = query.where(Alert.type == type_)
    if status != "all":
        query = query.where(Alert.status == status)
    if who:
        query = query.where(Account.owner_csm == who)
    rank = case({"critical": 0, "high": 1, "medium": 2, "low": 3}, value=Alert.severity, else_=4)
    query = query.order_by(rank, Alert.opened_on.desc(), Account.external_id, Alert.type)
    with app.engine.connect() as conn:
        rows, total = page(conn, query, limit)
    show_evidence = evidence or account is not None or fmt is not Format.table
    columns = [
        Column("account"),
        Column("owner", droppable=1),
        Column("type"),
        Column("severity"),
        Column("status", droppable=2),
        Column("opened_on", "opened"),
        Column("title", kind="text"),
    ]
    if show_evidence:
        columns.append(Column("evidence", kind="text"))
    filters = " ".join(x for x in [status if status != "all" else "", type_ or ""] if x)
    where = f" on {account}" if account else ""
    listing = Listing(
        title="",
        columns=columns,
        rows=[{**r, "evidence": list(r["evidence"][:3]) if r["evidence"] else []} for r in rows],
        total=total,
        empty=f"no {filters + ' ' if filters else ''}alerts{where}{for_owner(who)}",
    )
    emit(listing, fmt, console, err_console)


class Stopped(BaseException):
    """SIGTERM, taken like Ctrl-C: the scheduler stops between or inside ticks (a cycle cut short says so)."""


def _stop(_signum: int, _frame: FrameType | None) -> None:
    raise Stopped


def _describe(exc: BaseException) -> str:
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {first}" if first else type(exc).__name__


@dataclass(frozen=True)
class TickOutcome:
    succeeded: bool
    #: seconds until the next tick
    wait: int


@dataclass
class Scheduler:
    """What `watchtower serve` keeps from one tick to the next.

    A tick has four stages, each run on its own: due reviews (the watchtower policy is read again, so an edit applies
    without a restart), the week's briefings (once per week, ``agents.schedule.briefing_week``), approvals (escalations,
    resumes of settled offers' runs) and the outbox. A stage that fails stops neither the others nor the process: the
    tick is recorded as failed with each stage's error, one line says so, and the next tick comes after a backoff that
    grows with the failures in a row (``agents.schedule.next_wait``). While the database is down the tick records wait
    in memory and are written once it answers again.
    """

    app: AppContext
    config: Path | None
    #: The last policy that loaded; while the file is broken its schedule still paces the retries.
    policy: WatchtowerConfig
    fixed: date | None = None
    dry_run: bool = False
    #: One tick and out (cron): a failure is not retried here, the exit status says it failed.
    once: bool = False
    failures: int = 0
    unrecorded: list[dict[str, Any]] = field(default_factory=list)

    def tick(self) -> TickOutcome:
        started = datetime.now(UTC)
        day = self.fixed or self.app.today()
        runs: list[int] = []
        errors: list[str] = []
        stages: list[tuple[str, Callable[[], None]]] = [("reviews", lambda: self.reviews(day, runs))]
        if not self.dry_run:
            stages += [
                ("briefings", lambda: self.briefings(day)),
                ("approvals", self.approvals),
                ("outbox", self.outbox),
            ]
        for name, stage in stages:
            try:
                stage()
            except Exception as exc:  # the supervisor's one broad catch: recorded and retried, never fatal
                errors.append(f"{name}: {_describe(exc)}")
                log.debug("scheduler stage %s failed", name, exc_info=True)
        recovered = self.failures if not errors else 0
        self.failures = self.failures + 1 if errors else 0
        wait = next_wait(self.policy.schedule, self.failures)
        finished = datetime.now(UTC)
        if not self.dry_run:
            self.unrecorded.append(
                {
                    "as_of": day,
                    "status": "failed" if errors else "succeeded",
                    "started_at": started,
                    "finished_at": finished,
                    "runs": runs,
                    "errors": errors,
                    "failures_in_row": self.failures,
                    "next_tick_at": finished + timedelta(seconds=wait),
                }
            )
            self.unrecorded = self.unrecorded[-MAX_UNRECORDED:]
        recorded = self.dry_run or self.record()
        if errors:
            then = "exiting (--once)" if self.once else f"next try in {wait}s"
            console.print(
                f"[red]tick failed[/] ({self.failures} in a row): {escape('; '.join(errors))}; {then}"
                + ("" if recorded else f" ({len(self.unrecorded)} tick record(s) kept until the database answers)"),
                highlight=False,
            )
        elif recovered:
            console.print(f"[green]tick succeeded[/] after {recovered} failed; next in {wait}s")
        return TickOutcome(not errors, wait)

    def record(self) -> bool:
        """Write the tick records not yet written; False (and they are kept) when the database cannot."""
        try:
            with self.app.engine.begin() as conn:
                conn.execute(insert(TICK), self.unrecorded)
        except SQLAlchemyError:
            log.debug("tick records not written yet", exc_info=True)
            return False
        self.unrecorded = []
        return True

    def reviews(self, day: date, runs: list[int]) -> None:
        self.policy = load_watchtower_config(self.config)
        if not self.dry_run:  # every tick, due or not: a dead run must not read `running` until the next review
            found = reap_abandoned(
                self.app.engine, now=datetime.now(UTC), stale_after=self.policy.schedule.run_stale_after
            )
            show_abandoned([describe(a) for a in found])
        scoring = ScoringConfig.load()
        self.unfinished(day, runs)
        with self.app.engine.connect() as conn:
            groups = due_groups(conn, self.policy.schedule, scoring.segments, day)
        if not groups:
            console.print(f"{day}: nothing due")
        for group in groups:
            console.print(
                f"{day}: {len(group.account_ids)} accounts due for {', '.join(group.agents)}"
                + (" (and scorecards)" if group.scorecards else "")
            )
            if self.dry_run:
                continue
            cycle = cycle_context(self.app, self.policy, scorecards=group.scorecards, as_of=day)
            request: CycleInput = {
                "as_of": day,
                "agents": list(group.agents),
                "account_ids": group.account_ids,
                "trigger": "schedule",
            }
            from agents.cycle import run_cycle

            result = run_cycle(cycle, request)
            show_abandoned(result.get("abandoned", []))
            runs.append(result["run_id"])
            show_run(self.app, result["run_id"])

    def unfinished(self, day: date, runs: list[int]) -> None:
        """Scheduled runs that died or failed midway run again first, with their own date and scope: by cadence
        their accounts are no longer due, though their scorecards and plays may never have run."""
        with self.app.engine.connect() as conn:
            unfinished = unfinished_runs(conn, day)
        for run in unfinished:
            console.print(
                f"{run.as_of}: run {run.run_id} was left {run.status}; running it again "
                f"({len(run.account_ids) or 'all'} accounts, {', '.join(run.agents)})"
            )
            if self.dry_run:
                continue
            with self.app.engine.begin() as conn:
                if not mark_retried(conn, run):
                    continue
            cycle = cycle_context(
                self.app,
                self.policy,
                scorecards=refreshes_scorecards(self.policy.schedule, run.agents),
                as_of=run.as_of,
            )
            request: CycleInput = {
                "as_of": run.as_of,
                "agents": list(run.agents),
                "account_ids": run.account_ids,
                "segments": run.segments,
                "trigger": "schedule",
            }
            from agents.cycle import run_cycle

            result = run_cycle(cycle, request)
            runs.append(result["run_id"])
            show_run(self.app, result["run_id"])

    def briefings(self, day: date) -> None:
        """After the reviews, the week's briefings (leadership and every CSM) once per week; the outbox stage
        then sends them."""
        from agents.briefing.service import Briefer

        week = briefing_week(day)
        made = Briefer.from_settings(self.app.engine, self.app.settings).produce_missing(
            as_of=week, now=datetime.now(UTC)
        )
        if made:
            how = Counter(out["produced_by"] for _, out in made)
            console.print(
                f"{week}: {len(made)} briefing(s) written ("
                + ", ".join(f"{n} {key}" for key, n in sorted(how.items()))
                + ")"
            )

    def approvals(self) -> None:
        """Overdue approvals escalate; settled offers resume the agent runs waiting on them."""
        now = datetime.now(UTC)
        approval_policy = load_policy()
        for item in escalate_overdue(self.app.engine, approval_policy, now=now, deliver=deliver_notice):
            console.print(f"approval {item.approval_id}: {item.group} escalated to {item.to_role or 'reminder'}")
        from agents.resume import resume_settled

        resumed = resume_settled(self.app.engine, self.app.settings.database_url, approval_policy, now=now)
        if resumed:
            console.print(f"approvals: resumed {len(resumed)} paused agent run(s)")

    def outbox(self) -> None:
        """Approved messages (and earlier failures) go out every tick."""
        senders = senders_from(self.app.settings)
        if senders:
            sent = send_approved(self.app.engine, senders, now=datetime.now(UTC))
            console.print(f"outbox: sent {sent.sent}, failed {sent.failed} (kept with their errors)")


@handle_errors
def serve_command(
    ctx: typer.Context,
    once: Annotated[bool, typer.Option("--once", help="Run what is due now, then exit (for cron or a test).")] = False,
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="With --once: the date to treat as today (YYYY-MM-DD).")
    ] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Only show what is due.")] = False,
    config: Annotated[Path | None, typer.Option("--config", help="Watchtower policy YAML.")] = None,
) -> None:
    """Run the in-process scheduler: reviews fall due by agent cadence and segment (see watchtowers.yaml), plays advance
    with them, the week's briefings are written once a week (Mondays, or the first tick after), overdue approvals
    escalate, settled offers resume their paused agent runs, and approved messages go out through the configured senders
    every tick. A failed tick is recorded, printed on one line and retried with a growing backoff; only Ctrl-C or
    SIGTERM stops the loop. With --once a failed tick exits 1. The web app is `watchtower web`.
    """
    app = app_context(ctx)
    require_schema(app.engine)
    fixed = parse_date(as_of, option="--as-of")
    if fixed is not None and not once:
        raise CliError("--as-of only makes sense with --once", "drop --as-of to follow the calendar")
    scheduler = Scheduler(app, config, load_config(config), fixed=fixed, dry_run=dry_run, once=once or dry_run)
    if once or dry_run:
        if not scheduler.tick().succeeded:
            raise typer.Exit(1)
        return
    previous = signal.signal(signal.SIGTERM, _stop)
    try:
        while True:
            time.sleep(scheduler.tick().wait)
    except (KeyboardInterrupt, Stopped):
        console.print("scheduler stopped")
    finally:
        signal.signal(signal.SIGTERM, previous)


@handle_errors
def feed_command(
    ctx: typer.Context,
    url: Annotated[str, typer.Argument(help="RSS or Atom feed URL (http, https or file).")],
    as_of: Annotated[str | None, typer.Option("--as-of", help="Date for undated items; default today.")] = None,
) -> None:
    """Read a news feed and store the items that name a customer as market signals."""
    from sources.feeds import FeedError, ingest_feed

    app = app_context(ctx)
    require_schema(app.engine)
    day = app.as_of(as_of)
    try:
        read, result = ingest_feed(app.engine, url, as_of=day)
    except (FeedError, OSError) as exc:
        raise CliError(f"could not read feed {url}: {exc}", "check the URL; the feed is retried 4 times") from None
    if result is None:
        console.print(f"read {read} items from {escape(url)}; none named a customer")
    else:
        console.print(
            f"read {read} items from {escape(url)}: {result.rows} name a customer "
            f"({result.inserted} new, {result.updated} updated)"
        )
