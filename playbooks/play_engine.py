"""The play engine: open runs when triggers fire, and advance every open run to an as-of date.

Per account, for each play: an open run is advanced; otherwise the trigger and
qualification are checked on the account's facts and, outside the reopen
cool-down, a run opens (in the treatment or the holdout arm) and its day-1
steps run at once. Advancing a run walks its current track's steps in order:

- a step waits for its start date, and for its ``when`` condition;
- ``only_if`` false skips it; a matching branch jumps instead of doing it;
- ``wait_for_response`` waits for a customer reply until its timeout;
- every other action is performed by the engine's ``StepActions`` (``actions.play_steps``).

A step that drafts text writes the deterministic draft; when a model is
configured it polishes the chunk's drafts after the chunk has committed, never
inside its transaction (``StepActions.polish_drafts``).

Open tasks past their due date escalate once; tasks with ``completes_when``
complete on evidence. Close rules are checked from the second day; a run that
outlives ``max_days`` expires. Advancing the same date twice changes nothing,
and a date earlier than the last one a run was advanced to is ignored.
"""

from __future__ import annotations

import hashlib
import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy import Connection, Engine, select, update

from core.config_files import policy_path
from core.models import Account, OutboxMessage
from playbooks import forecast, risk_cases
from playbooks.facts import (
    AccountFacts,
    ContractTerm,
    latest_between,
    load_facts,
    recorded_responses,
    response_dates,
)
from playbooks.forecast import ForecastConfig, load_forecast_config
from playbooks.forecast_reasons import explain
from playbooks.play_config import Play, PlayBook, Step, load_playbook
from playbooks.play_store import (
    ENGINE,
    STEP,
    TASK,
    RunState,
    enter_track,
    insert_run,
    last_closed,
    load_runs,
    log_event,
    open_runs,
    open_tasks,
    record_settled_offers,
    shift_schedule,
    update_run,
    update_step,
)
from playbooks.steps import StepActions, StepRequest
from playbooks.timeline import renewal_timelines

log = logging.getLogger(__name__)
OUTBOX = OutboxMessage.__table__  # type: ignore[attr-defined]
#: Outcomes that end the work: unfinished steps and tasks are cancelled, unsent drafts discarded.
_ABANDON = frozenset({"recovered", "lost", "expired", "withdrawn", "churned"})


def in_holdout(play: Play, account_external_id: str) -> bool:
    """Deterministic: the same account and play always land in the same arm, whatever else changes."""
    if play.holdout_pct <= 0:
        return False
    digest = hashlib.sha256(f"{play.id}:{account_external_id}".encode()).hexdigest()
    return int(digest[:8], 16) / 0x1_0000_0000 * 100 < play.holdout_pct


@dataclass
class Subject:
    key: str
    contract: ContractTerm | None
    facts: dict[str, Any]


def subjects(play: Play, account: AccountFacts, as_of: date, open_keys: set[str]) -> list[Subject]:
    """What a play acts on: the account, or (renewal timeline) each active contract and any with an open run."""
    if play.anchor == "account":
        return [Subject("account", None, account.values)]
    return [
        Subject(f"contract:{c.id}", c, account.for_contract(c, as_of))
        for c in account.contracts
        if c.status == "active" or f"contract:{c.id}" in open_keys
    ]


@dataclass
class Chunk:
    """What the runs of a chunk of accounts need, read once for the chunk: replies and open tasks."""

    runs: dict[int, RunState]
    #: (account, play, subject) of every run open when the chunk began.
    keys: set[tuple[int, str, str]]
    replies: dict[int, list[date]]
    recorded: dict[int, list[date]]
    tasks: dict[int, list[dict[str, Any]]]

    def replied(self, account_id: int, run_id: int, since: date, as_of: date) -> date | None:
        dates = self.replies.get(account_id, []) + self.recorded.get(run_id, [])
        return latest_between(dates, since, as_of)

    def open_tasks(self, run_id: int) -> list[dict[str, Any]]:
        return [t for t in self.tasks.get(run_id, []) if t["status"] == "open"]


class ForecastFlagFacts(BaseModel):
    """What a forecast-disagreement notice is written from; the deciding rule is the forecast configuration's
    own wording, quoted as it stands."""

    account_name: str
    category: str
    csm_category: str
    contract: str
    renewal_on: date
    arr: float
    days_to_renewal: int
    csm_called_on: date | None
    quoted: list[str]
    #: The values the explanation of the category reads (days since contact, band, score ...).
    evidence: dict[str, Any] = Field(default_factory=dict)


class OverdueTaskFacts(BaseModel):
    """What an overdue-task escalation is written from; ``task`` is the record the task's title was filled
    from, stored with the task."""

    account_name: str
    play_name: str
    owner: str
    due_on: date
    as_of: date
    task: dict[str, Any]


@dataclass
class Turn:
    """One run advancing to one date: what its steps read and where they write."""

    conn: Connection
    play: Play
    state: RunState
    account: AccountFacts
    subject: Subject
    as_of: date
    chunk: Chunk
    counts: Counter[str]
    #: The subject's facts plus the run's own (day, responded...), set when the turn starts.
    values: dict[str, Any] = field(default_factory=dict)

    def replied_since(self, since: date) -> date | None:
        return self.chunk.replied(self.account.account_id, self.state.id, since, self.as_of)

    def spec(self, track: str | None, step_id: str | None) -> Step | None:
        for step in self.play.all_tracks().get(track or "", []):
            if step.id == step_id:
                return step
        return None


@dataclass
class PlayEngine:
    playbook: PlayBook
    actions: StepActions
    #: None skips forecasting (e.g. a test of one play); the renewal timeline still runs.
    forecast: ForecastConfig | None = None
    chunk_size: int = 500
    progress: Callable[[int], None] | None = None
    #: One line per account whose plays were rolled back, for the run record.
    failures: list[str] = field(default_factory=list)

    # --- the whole book ----------------------------------------------------------------------
    def run(self, engine: Engine, as_of: date, account_ids: list[int] | None = None) -> Counter[str]:
        counts: Counter[str] = Counter()
        with engine.connect() as conn:
            query = select(Account.id).order_by(Account.id)
            if account_ids is not None:
                query = query.where(Account.id.in_(account_ids))
            ids = list(conn.execute(query).scalars())
        for start in range(0, len(ids), self.chunk_size):
            chunk = ids[start : start + self.chunk_size]
            try:
                with engine.begin() as conn:
                    self.run_chunk(conn, chunk, as_of, counts)
            except BaseException:
                self.actions.discard_drafts()
                raise
            # After the commit, with no transaction open: a model may take minutes to polish the drafts.
            polished = self.actions.polish_drafts(engine)
            if polished:
                counts["drafts_polished"] += polished
            if self.progress is not None:
                self.progress(len(chunk))
        return counts

    def run_chunk(self, conn: Connection, account_ids: list[int], as_of: date, counts: Counter[str]) -> None:
        settings = self.playbook.settings
        facts = load_facts(
            conn,
            account_ids,
            as_of,
            scorecard_max_age_days=settings.scorecard_max_age_days,
            engagement_days=settings.engagement_days,
        )
        counts["offers.heard"] += record_settled_offers(conn, account_ids, as_of)
        runs = open_runs(conn, account_ids)
        states = load_runs(conn, [r["id"] for r in runs.values()])
        since = min((s.row["started_on"] for s in states.values()), default=as_of)
        chunk = Chunk(
            runs=states,
            keys=set(runs),
            replies=response_dates(conn, account_ids, since, as_of),
            recorded=recorded_responses(conn, list(states), as_of),
            tasks=open_tasks(conn, list(states)),
        )
        closed = last_closed(conn, account_ids)
        cases = risk_cases.open_cases(conn, account_ids)
        for account_id in account_ids:
            account = facts.get(account_id)
            if account is None:
                continue
            try:
                with conn.begin_nested():  # bad data in one account rolls back that account alone
                    self.process_account(conn, account, as_of, runs, closed, chunk, counts)
                    if account_id in cases:
                        self.settle_case(conn, cases[account_id], account, as_of, counts)
            except (ValueError, LookupError, TypeError, KeyError) as exc:
                counts["accounts_failed"] += 1
                message = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
                log.warning("plays for account %s skipped: %s: %s", account.external_id, type(exc).__name__, message)
                self.failures.append(
                    f"plays for account {account.external_id} skipped: {type(exc).__name__}: {message}"
                )
        if self.forecast is not None:
            self.update_forecasts(conn, facts, as_of, counts)

    # --- forecast ----------------------------------------------------------------------------
    def update_forecasts(
        self, conn: Connection, facts: dict[int, AccountFacts], as_of: date, counts: Counter[str]
    ) -> None:
        """Forecast every renewal with an open timeline run; flag new disagreements inside the checkpoint."""
        assert self.forecast is not None
        renewal = next((p for p in self.playbook.plays if p.anchor == "renewal"), None)
        if renewal is None:
            return
        runs = {
            (r["account_id"], r["contract_id"]): r["id"]
            for r in open_runs(conn, list(facts)).values()
            if r["play"] == renewal.id and r["contract_id"] is not None and r["arm"] == "treatment"
        }
        if not runs:
            return
        timelines = renewal_timelines(
            conn, renewal, [c for _, c in runs], as_of, stuck_after_days=self.forecast.stuck_after_days
        )
        calls = forecast.latest_calls(conn, [c for _, c in runs], as_of)
        rows = []
        for (account_id, contract_id), run_id in runs.items():
            account = facts[account_id]
            contract = next((c for c in account.contracts if c.id == contract_id), None)
            if contract is None:
                continue
            row = forecast.forecast_row(
                self.forecast, account, contract, timelines[contract_id].milestones, as_of, calls.get(contract_id)
            )
            rows.append(row)
            counts[f"forecast.{row['category']}"] += 1
            if row["flagged"]:  # one notification per disagreement: the key holds both calls
                counts["forecast.flagged"] += 1
                flag = ForecastFlagFacts(
                    account_name=account.name,
                    category=row["category"],
                    csm_category=row["csm_category"],
                    contract=contract.external_id,
                    renewal_on=contract.end_date,
                    arr=contract.arr,
                    days_to_renewal=row["days_to_renewal"],
                    csm_called_on=row["csm_called_on"],
                    quoted=[row["rule"]],
                    evidence=row["facts"],
                )
                reason = explain(row["rule"], row["category"], row["facts"])
                self.actions.notify(
                    conn,
                    account,
                    role="executive",
                    subject=f"Forecast disagreement at {flag.account_name}: system {flag.category}, "
                    f"CSM {flag.csm_category}",
                    body=(
                        f"Renewal of {flag.contract} on {flag.renewal_on} (${flag.arr:,.0f} ARR), "
                        f"{flag.days_to_renewal} days out. The system says {flag.category} "
                        f"({reason}); the CSM called {flag.csm_category} on {flag.csm_called_on}."
                    ),
                    facts=flag,
                    key=f"forecast-flag:{contract_id}:{row['category']}:{row['csm_category']}",
                    run_id=run_id,
                    as_of=as_of,
                )
        forecast.store(conn, rows, as_of)

    def process_account(
        self,
        conn: Connection,
        account: AccountFacts,
        as_of: date,
        runs: dict[tuple[int, str, str], dict[str, Any]],
        closed: dict[tuple[int, str, str], date],
        chunk: Chunk,
        counts: Counter[str],
    ) -> None:
        mine = [(p, s) for (a, p, s) in chunk.keys if a == account.account_id]
        for play in self.playbook.plays:
            open_keys = {s for p, s in mine if p == play.id}
            for subject in subjects(play, account, as_of, open_keys):
                key = (account.account_id, play.id, subject.key)
                if key in runs:
                    state = chunk.runs[runs[key]["id"]]
                    self.advance(Turn(conn, play, state, account, subject, as_of, chunk, counts))
                elif play.enabled:
                    self.maybe_open(conn, play, account, subject, as_of, closed.get(key), chunk, counts)

    # --- opening -----------------------------------------------------------------------------
    def maybe_open(
        self,
        conn: Connection,
        play: Play,
        account: AccountFacts,
        subject: Subject,
        as_of: date,
        last_closed_on: date | None,
        chunk: Chunk,
        counts: Counter[str],
    ) -> RunState | None:
        values = subject.facts
        if values.get("churned") or not play.trigger_condition.evaluate(values):
            return None
        qualify = play.qualify_condition
        if qualify is not None and not qualify.evaluate(values):
            counts[f"{play.id}.not_qualified"] += 1
            return None
        if last_closed_on is not None and (as_of - last_closed_on).days <= play.reopen_after_days:
            counts[f"{play.id}.cooling_down"] += 1
            return None
        arm = "holdout" if in_holdout(play, account.external_id) else "treatment"
        evidence = play.trigger_condition.evidence(values) | (qualify.evidence(values) if qualify else {})
        alert_types = {n.split(".")[1] for n in play.trigger_condition.names if n.startswith("alert.")}
        trigger = {
            "trigger": play.trigger,
            "qualify": play.qualify,
            "facts": evidence,
            "alerts": sorted(i for t in alert_types for i in account.alert_ids.get(t, [])),
        }
        row = insert_run(
            conn,
            {
                "account_id": account.account_id,
                "contract_id": subject.contract.id if subject.contract else None,
                "play": play.id,
                "play_version": self.playbook.version,
                "subject": subject.key,
                "arm": arm,
                "status": "active",
                "track": "main",
                "track_started_on": as_of,
                "started_on": as_of,
                "trigger": trigger,
                "owner": account.owner_csm,
            },
        )
        state = RunState(row)
        log_event(conn, state.id, as_of, "opened", reason=play.trigger, detail={"arm": arm, **trigger})
        counts[f"{play.id}.opened.{arm}"] += 1
        if arm == "holdout":
            return state  # measured, never acted on: no steps, no tasks, no messages
        if play.risk_case:
            reason = {"play": play.id, "run_id": state.id, "opened_on": as_of.isoformat(), "facts": evidence}
            case_id = risk_cases.open_or_attach(conn, account.account_id, as_of, reason, by=f"play:{play.id}")
            update_run(conn, state, risk_case_id=case_id)
        anchor = subject.contract.end_date if subject.contract else None
        enter_track(conn, state, play, "main", as_of, anchor=anchor)
        self.advance(Turn(conn, play, state, account, subject, as_of, chunk, counts))
        return state

    # --- advancing ---------------------------------------------------------------------------
    def advance(self, turn: Turn) -> None:
        conn, play, state, as_of, counts = turn.conn, turn.play, turn.state, turn.as_of, turn.counts
        row = state.row
        if row["last_advanced_on"] is not None and as_of < row["last_advanced_on"]:
            counts["runs_skipped_past_date"] += 1
            return
        if row["status"] == "paused":
            return
        if row["status"] == "snoozed":
            if as_of < row["snoozed_until"]:
                return
            shift_schedule(conn, state, (row["snoozed_until"] - row["paused_on"]).days)
            turn.chunk.tasks.update(open_tasks(conn, [state.id]))  # their due dates moved with the schedule
            update_run(conn, state, status="active", snoozed_until=None, paused_on=None)
            log_event(conn, state.id, as_of, "resumed", reason="snooze ended")
        replied = turn.replied_since(row["started_on"])
        turn.values = {
            **turn.subject.facts,
            "day": (as_of - row["track_started_on"]).days + 1,
            "days_in_run": (as_of - row["started_on"]).days,
            "responded": replied is not None,
            "responded_on": replied,
        }
        if as_of > row["started_on"]:
            for rule in play.close_when:
                if rule.condition.evaluate(turn.values):
                    close_run(conn, state, rule.outcome, as_of, by=ENGINE, reason=f"close rule: {rule.if_}")
                    counts[f"{play.id}.closed.{rule.outcome}"] += 1
                    return
        if (as_of - row["started_on"]).days - row["offset_days"] >= play.max_days:
            close_run(conn, state, "expired", as_of, by=ENGINE, reason=f"still open after {play.max_days} days")
            counts[f"{play.id}.closed.expired"] += 1
            return
        if row["arm"] == "holdout":
            update_run(conn, state, last_advanced_on=as_of)
            return
        self.complete_on_evidence(turn)
        self.escalate(turn)
        if not self.walk(turn):
            return  # a branch closed the run
        finished = all(s["status"] not in ("pending", "waiting") for s in state.steps)
        if finished and as_of >= max(s["due_on"] for s in state.steps):
            outcome = "completed"
            if play.anchor == "renewal":
                values = turn.values
                outcome = "renewed" if values.get("renewed") else "churned" if values.get("churned") else "completed"
            close_run(conn, state, outcome, as_of, by=ENGINE, reason="every step is done")
            counts[f"{play.id}.closed.{outcome}"] += 1
            return
        update_run(conn, state, last_advanced_on=as_of)

    def walk(self, turn: Turn) -> bool:
        """Run every step that is due, in order; False when the run closed on the way."""
        conn, play, state, as_of, values = turn.conn, turn.play, turn.state, turn.as_of, turn.values
        while True:
            current = next((s for s in state.steps if s["status"] in ("pending", "waiting")), None)
            if current is None or as_of < current["start_on"]:
                return True
            spec = turn.spec(state.row["track"], current["step"])
            if spec is None:
                raise LookupError(f"play {play.id} has no step {current['step']!r}; was the YAML changed?")
            if current["status"] == "waiting":
                replied = turn.replied_since(current["started_on"])
                if replied is not None:
                    self.finish(turn, current, "done", f"customer replied on {replied}")
                    target = spec.on_response or "next"
                elif as_of >= current["deadline_on"]:
                    self.finish(turn, current, "done", f"no reply by {current['deadline_on']}")
                    target = spec.on_timeout or "next"
                else:
                    return True
                if not self.jump(turn, current, target):
                    return False
                continue
            conditions = spec.conditions
            if "only_if" in conditions and not conditions["only_if"].evaluate(values):
                self.finish(turn, current, "skipped", f"only if {spec.only_if}: not the case")
                continue
            if "when" in conditions and not conditions["when"].evaluate(values):
                if current["deadline_on"] is not None and as_of > current["deadline_on"]:
                    self.finish(turn, current, "skipped", f"{spec.when}: never met by the deadline")
                    continue
                return True
            branch = next((b for b in spec.branches if b.condition.evaluate(values)), None)
            if branch is not None:
                self.finish(turn, current, "skipped", f"branch: {branch.if_} -> {branch.goto}")
                turn.counts[f"{play.id}.branch.{spec.id}"] += 1
                if not self.jump(turn, current, branch.goto):
                    return False
                continue
            if spec.action == "wait_for_response":
                update_step(conn, current, status="waiting", started_on=as_of)
                log_event(conn, state.id, as_of, "waiting", step=spec.id, reason=f"until {current['deadline_on']}")
                continue
            call = StepRequest(
                conn,
                state,
                play,
                spec,
                turn.account,
                values,
                as_of,
                due_on=current["due_on"],
                contract=turn.subject.contract,
            )
            outcome = self.actions.perform(call)
            self.finish(turn, current, outcome.status, outcome.note, outcome.result)
            turn.counts[f"{play.id}.step.{outcome.status}"] += 1
            if outcome.status == "done" and spec.sets_stage and state.row["risk_case_id"]:
                risk_cases.move(conn, state.row["risk_case_id"], spec.sets_stage, as_of, by=f"play:{play.id}")

    def finish(
        self, turn: Turn, step: dict[str, Any], status: str, note: str | None, result: dict[str, Any] | None = None
    ) -> None:
        update_step(
            turn.conn,
            step,
            status=status,
            started_on=step["started_on"] or turn.as_of,
            finished_on=turn.as_of,
            note=note,
            result=result or step["result"] or {},
        )
        log_event(
            turn.conn, turn.state.id, turn.as_of, f"step_{status}", step=step["step"], reason=note, detail=result or {}
        )

    def jump(self, turn: Turn, current: dict[str, Any], target: str) -> bool:
        state, as_of = turn.state, turn.as_of
        if target == "next":
            return True
        if target.startswith("close:"):
            close_run(turn.conn, state, target[6:], as_of, by=ENGINE, reason=f"step {current['step']} closed the run")
            return False
        positions = {s["step"]: s["position"] for s in state.steps}
        if target in positions:
            for step in state.steps:
                if step["status"] == "pending" and step["position"] < positions[target]:
                    self.finish(turn, step, "skipped", f"jumped to {target}")
            return True
        for step in state.steps:
            if step["status"] in ("pending", "waiting"):
                self.finish(turn, step, "skipped", f"left for track {target}")
        log_event(turn.conn, state.id, as_of, "track", step=current["step"], reason=f"entered track {target}")
        anchor = turn.subject.contract.end_date if turn.subject.contract else None
        enter_track(turn.conn, state, turn.play, target, as_of, anchor=anchor)
        return True

    def complete_on_evidence(self, turn: Turn) -> None:
        for task in turn.chunk.open_tasks(turn.state.id):
            spec = turn.spec(task["track"], task["step"])
            if spec is None or "completes_when" not in spec.conditions:
                continue
            if spec.conditions["completes_when"].evaluate(turn.values):
                by = f"evidence: {spec.completes_when}"
                turn.conn.execute(
                    update(TASK)
                    .where(TASK.c.id == task["id"])
                    .values(status="done", completed_on=turn.as_of, completed_by=by[:255])
                )
                task["status"] = "done"
                log_event(turn.conn, turn.state.id, turn.as_of, "task_done", step=task["step"], reason=by)
                turn.counts[f"{turn.play.id}.task_done_on_evidence"] += 1

    def escalate(self, turn: Turn) -> None:
        conn, as_of, account = turn.conn, turn.as_of, turn.account
        for task in turn.chunk.open_tasks(turn.state.id):
            spec = turn.spec(task["track"], task["step"])
            if spec is None or spec.escalate_to is None or task["escalated_on"] is not None:
                continue
            if as_of <= task["due_on"] + timedelta(days=spec.escalate_after_days or 0):
                continue
            conn.execute(
                update(TASK).where(TASK.c.id == task["id"]).values(escalated_on=as_of, escalated_to=spec.escalate_to)
            )
            overdue = OverdueTaskFacts(
                account_name=account.name,
                play_name=turn.play.name,
                owner=task["assignee"] or task["owner_role"],
                due_on=task["due_on"],
                as_of=as_of,
                task=(task["detail"] or {}).get("facts") or {},
            )
            self.actions.notify(
                conn,
                account,
                role=spec.escalate_to,
                subject=f"Overdue at {overdue.account_name}: {task['title']}"[:512],
                body=(
                    f"{task['title']}\n\nOwner: {overdue.owner}; due {overdue.due_on}, "
                    f"still open on {overdue.as_of}. Play: {overdue.play_name}."
                ),
                facts=overdue,
                key=f"escalation:task:{task['id']}",
                run_id=turn.state.id,
                as_of=as_of,
            )
            log_event(
                conn,
                turn.state.id,
                as_of,
                "escalated",
                step=task["step"],
                reason=f"task {task['id']} overdue",
                detail={"to": spec.escalate_to, "task_id": task["id"]},
            )
            turn.counts[f"{turn.play.id}.escalated"] += 1

    # --- risk cases --------------------------------------------------------------------------
    def settle_case(
        self, conn: Connection, case_id: int, account: AccountFacts, as_of: date, counts: Counter[str]
    ) -> None:
        """Apply the playbook's case rules to a case no run is working on any more."""
        if risk_cases.other_open_runs(conn, case_id):
            return
        rules = self.playbook.risk_cases
        if rules.lost.evaluate(account.values):
            moved = risk_cases.move(conn, case_id, "lost", as_of, by=f"case rule: {rules.lost_when}")
        elif rules.recovered.evaluate(account.values):
            moved = risk_cases.move(conn, case_id, "recovered", as_of, by=f"case rule: {rules.recovered_when}")
        else:
            return
        counts["risk_cases_closed"] += int(moved)


def close_run(conn: Connection, state: RunState, outcome: str, as_of: date, *, by: str, reason: str) -> None:
    """Close a run. Ending the work (recovered, lost, expired, withdrawn) cancels what is unfinished and
    discards unsent drafts; a run that completed its steps leaves its open tasks to the people who own them."""
    update_run(
        conn, state, status="closed", closed_on=as_of, outcome=outcome, close_reason=reason, last_advanced_on=as_of
    )
    if outcome in _ABANDON:
        for step in state.steps:
            if step["status"] in ("pending", "waiting"):
                step.update(status="cancelled", finished_on=as_of, note=f"run closed: {outcome}")
        conn.execute(
            update(STEP)
            .where(STEP.c.run_id == state.id, STEP.c.status.in_(("pending", "waiting")))
            .values(status="cancelled", finished_on=as_of, note=f"run closed: {outcome}")
        )
        conn.execute(
            update(TASK)
            .where(TASK.c.run_id == state.id, TASK.c.status == "open")
            .values(status="cancelled", completed_on=as_of, completed_by=f"run closed: {outcome}"[:255])
        )
        conn.execute(
            update(OUTBOX)
            .where(OUTBOX.c.run_id == state.id, OUTBOX.c.status == "drafted")
            .values(status="discarded", discarded_by=by[:255], discard_reason=f"run closed: {outcome}")
        )
    log_event(conn, state.id, as_of, "closed", by=by, reason=reason, detail={"outcome": outcome})
    case_id = state.row["risk_case_id"]
    if case_id is None:
        return
    if outcome in ("lost", "churned"):
        risk_cases.move(conn, case_id, "lost", as_of, by=by)
    elif outcome == "recovered" and not risk_cases.other_open_runs(conn, case_id, but=state.id):
        risk_cases.move(conn, case_id, "recovered", as_of, by=by)


def load_play_configs(
    directory: Path | None = None, *, plays: Path | None = None, forecast_path: Path | None = None
) -> tuple[PlayBook, ForecastConfig]:
    return (
        load_playbook(policy_path("plays.yaml", plays, directory=directory)),
        load_forecast_config(policy_path("forecast.yaml", forecast_path, directory=directory)),
    )
