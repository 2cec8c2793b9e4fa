"""What a play step does: create a task, draft an email, notify the team, propose an offer, or hold a ritual.

Every write is keyed by (run, track, step), so performing a step twice adds
nothing: steps are idempotent even if the engine is interrupted between doing a
step and recording it. Customer emails land in the outbox as drafts; only a
step marked ``auto_send`` in YAML skips the person who approves them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, insert, select

from core.models import Offer, OutboxMessage
from playbooks.artifacts import write_artifacts
from playbooks.drafting import Drafter, template_values
from playbooks.facts import AccountFacts, ContractTerm, Person
from playbooks.play_config import Play, PlayBook, Step
from playbooks.play_store import TASK, RunState
from prompts.templates import TemplateError, fill, load_template

OUTBOX = OutboxMessage.__table__  # type: ignore[attr-defined]
OFFER = Offer.__table__  # type: ignore[attr-defined]
INTERNAL_APPROVAL = "internal notification: no customer recipient"


@dataclass
class StepOutcome:
    status: str  # done | skipped
    note: str | None = None
    result: dict[str, Any] | None = None


@dataclass
class ActionContext:
    """Everything a step needs besides the database: the playbook, the drafter and the clock for hour SLAs."""

    playbook: PlayBook
    drafter: Drafter
    now: datetime


def owner_address(ctx: ActionContext, account: AccountFacts, role: str) -> str | None:
    """The account's CSM for ``csm``; otherwise the playbook's owner for the role (None: unassigned)."""
    if role == "csm":
        return account.owner_csm
    return ctx.playbook.owners.get(role)  # type: ignore[call-overload]


def _key(state: RunState, step: Step) -> str:
    return f"run:{state.id}:{state.row['track']}:{step.id}"


def _existing(conn: Connection, table: Any, key: str) -> int | None:
    return conn.execute(select(table.c.id).where(table.c.dedupe_key == key)).scalar_one_or_none()


def perform(
    conn: Connection,
    ctx: ActionContext,
    state: RunState,
    play: Play,
    step: Step,
    account: AccountFacts,
    facts: dict[str, Any],
    as_of: date,
    *,
    due_on: date,
    contract: ContractTerm | None,
) -> StepOutcome:
    if step.action == "task":
        return _task(conn, ctx, state, play, step, account, facts, as_of, due_on, step.title or "", {})
    if step.action == "ritual":
        return _ritual(conn, ctx, state, play, step, account, facts, as_of, due_on, contract)
    if step.action == "email":
        return _email(conn, ctx, state, play, step, account, facts, as_of)
    if step.action == "notify":
        values = template_values(account, facts, play_name=play.name)
        role = step.owner or "csm"
        message_id = notify(
            conn,
            ctx,
            account,
            role=role,
            subject=fill(step.title or play.name, values),
            body=_notification_body(play, step, account, facts, values),
            key=_key(state, step),
            run_id=state.id,
            as_of=as_of,
        )
        return StepOutcome("done", f"notified {role}", {"outbox_id": message_id})
    if step.action == "offer":
        return _offer(conn, state, play, step, account, facts, as_of, contract)
    raise ValueError(f"step {step.id}: the engine handles {step.action} itself")


def _task(
    conn: Connection,
    ctx: ActionContext,
    state: RunState,
    play: Play,
    step: Step,
    account: AccountFacts,
    facts: dict[str, Any],
    as_of: date,
    due_on: date,
    title: str,
    detail: dict[str, Any],
) -> StepOutcome:
    values = template_values(account, facts, play_name=play.name)
    role = step.owner or "csm"
    track = state.row["track"]
    found = conn.execute(
        select(TASK.c.id).where(TASK.c.run_id == state.id, TASK.c.track == track, TASK.c.step == step.id)
    ).scalar_one_or_none()
    if found is None:
        found = conn.execute(
            insert(TASK)
            .values(
                account_id=account.account_id,
                run_id=state.id,
                track=track,
                step=step.id,
                title=fill(title, values)[:512],
                detail={"play": play.id, "evidence": _evidence(facts), **detail},
                owner_role=role,
                assignee=state.row["owner"]
                if role == "csm" and state.row["owner"]
                else owner_address(ctx, account, role),
                due_on=max(due_on, as_of),
                due_at=ctx.now + timedelta(hours=step.hours) if step.hours else None,
                status="open",
                created_on=as_of,
            )
            .returning(TASK.c.id)
        ).scalar_one()
    return StepOutcome("done", f"task for {role}", {"task_id": found})


def _evidence(facts: dict[str, Any]) -> list[str]:
    refs: list[str] = []
    for alert in (facts.get("alert") or {}).values():
        refs += [r for r in alert.get("evidence", []) if r not in refs]
    return refs[:10]


def _ritual(
    conn: Connection,
    ctx: ActionContext,
    state: RunState,
    play: Play,
    step: Step,
    account: AccountFacts,
    facts: dict[str, Any],
    as_of: date,
    due_on: date,
    contract: ContractTerm | None,
) -> StepOutcome:
    ritual = ctx.playbook.rituals[step.ritual or ""]
    artifacts = write_artifacts(
        conn,
        ctx.drafter,
        kinds=ritual.artifacts,
        run_id=state.id,
        account=account,
        facts=facts,
        contract=contract,
        as_of=as_of,
    )
    detail = {"ritual": step.ritual, "audience": ritual.audience, "agenda": ritual.agenda, "artifacts": artifacts}
    title = step.title or f"{ritual.title} for {{account_name}}"
    outcome = _task(conn, ctx, state, play, step, account, facts, as_of, due_on, title, detail)
    return StepOutcome("done", f"{ritual.title} scheduled for {step.owner}", {**(outcome.result or {}), **detail})


def recipient_for(step: Step, account: AccountFacts, facts: dict[str, Any]) -> Person | None:
    for role in step.to:
        if role == "survey_respondent":
            contact = ((facts.get("alert") or {}).get("nps_detractor") or {}).get("contact")
            person = next((p for p in account.contacts if p.external_id == contact and p.active and p.email), None)
        else:
            person = next(iter(account.people_with([role])), None)
        if person is not None:
            return person
    return None


def _email(
    conn: Connection,
    ctx: ActionContext,
    state: RunState,
    play: Play,
    step: Step,
    account: AccountFacts,
    facts: dict[str, Any],
    as_of: date,
) -> StepOutcome:
    key = _key(state, step)
    if (found := _existing(conn, OUTBOX, key)) is not None:
        return StepOutcome("done", "email drafted", {"outbox_id": found})
    person = recipient_for(step, account, facts)
    if person is None or person.email is None:
        return StepOutcome("skipped", f"no active contact with an email in the role(s) {', '.join(step.to)}")
    template = load_template(step.template or "")
    values = template_values(account, facts, play_name=play.name, recipient=person)
    try:
        drafted = ctx.drafter.draft(template, values, purpose=f"{play.name}: email to the customer")
    except TemplateError as exc:
        return StepOutcome("skipped", str(exc))
    approved = {"approved_by": f"auto-send: play {play.id} step {step.id}", "approved_at": ctx.now}
    message_id = conn.execute(
        insert(OUTBOX)
        .values(
            account_id=account.account_id,
            run_id=state.id,
            dedupe_key=key,
            audience="customer",
            channel="email",
            recipient=person.email,
            recipient_name=person.name,
            subject=drafted.subject[:512],
            body=drafted.body,
            template=template.name,
            produced_by=drafted.produced_by,
            auto_send=step.auto_send,
            status="approved" if step.auto_send else "drafted",
            created_on=as_of,
            **(approved if step.auto_send else {}),
        )
        .returning(OUTBOX.c.id)
    ).scalar_one()
    state_word = "approved to send (auto-send)" if step.auto_send else "drafted for approval"
    return StepOutcome("done", f"email to {person.name or person.email} {state_word}", {"outbox_id": message_id})


def notify(
    conn: Connection,
    ctx: ActionContext,
    account: AccountFacts,
    *,
    role: str,
    subject: str,
    body: str,
    key: str,
    run_id: int | None,
    as_of: date,
) -> int:
    """An internal notification: to the team, never the customer, so it needs no approval to go out."""
    if (found := _existing(conn, OUTBOX, key)) is not None:
        return found
    return conn.execute(
        insert(OUTBOX)
        .values(
            account_id=account.account_id,
            run_id=run_id,
            dedupe_key=key,
            audience="internal",
            channel="slack",
            recipient=owner_address(ctx, account, role) or role,
            recipient_name=role,
            subject=subject[:512],
            body=body,
            produced_by="deterministic",
            auto_send=True,
            status="approved",
            approved_by=INTERNAL_APPROVAL,
            approved_at=ctx.now,
            created_on=as_of,
        )
        .returning(OUTBOX.c.id)
    ).scalar_one()


def _notification_body(
    play: Play, step: Step, account: AccountFacts, facts: dict[str, Any], values: dict[str, str]
) -> str:
    if step.template:
        try:
            return load_template(step.template).render(values)[1]
        except TemplateError:
            pass  # the title alone still tells the team what happened
    lines = [f"{play.name} for {account.name} ({account.external_id})."]
    for alert in (facts.get("alert") or {}).values():
        lines.append(f"- {alert['title']} (open {alert['days_open']} days)")
    if facts.get("band"):
        lines.append(f"Health: {facts['band']} ({facts['score']:.0f})" if facts.get("score") is not None else "")
    return "\n".join(line for line in lines if line)


def _offer(
    conn: Connection,
    state: RunState,
    play: Play,
    step: Step,
    account: AccountFacts,
    facts: dict[str, Any],
    as_of: date,
    contract: ContractTerm | None,
) -> StepOutcome:
    spec = step.offer
    assert spec is not None
    key = _key(state, step)
    if (found := _existing(conn, OFFER, key)) is not None:
        return StepOutcome("done", "offer proposed", {"offer_id": found})
    renewing = contract or next((c for c in account.contracts if c.status == "active"), None)
    terms: dict[str, Any] = dict(spec.terms)
    impact: Decimal | None = None
    arr = facts.get("arr")
    seats = facts.get("seats_purchased")
    if spec.seat_uplift is not None:
        if not seats or arr is None:
            return StepOutcome("skipped", "an expansion quote needs the account's seats and ARR")
        added = max(1, math.ceil(seats * spec.seat_uplift))
        price = Decimal(str(arr)) / Decimal(seats)
        impact = (price * added).quantize(Decimal("0.01"))
        terms.update(seats_added=added, seats_after=seats + added, price_per_seat=str(price.quantize(Decimal("0.01"))))
    if spec.kind == "renewal" and renewing is not None:
        terms.setdefault("renewal_arr", renewing.arr)
        terms.setdefault("renewal_on", renewing.end_date.isoformat())
        impact = impact if impact is not None else Decimal("0.00")
    values = template_values(account, facts, play_name=play.name)
    offer_id = conn.execute(
        insert(OFFER)
        .values(
            account_id=account.account_id,
            contract_id=renewing.id if renewing else None,
            kind=spec.kind,
            terms=terms,
            arr_impact=impact,
            requester_kind="play",
            requester=f"play:{play.id}",
            run_id=state.id,
            rationale=fill(spec.rationale, values),
            evidence=_evidence(facts),
            status="proposed",
            created_on=as_of,
            dedupe_key=key,
        )
        .returning(OFFER.c.id)
    ).scalar_one()
    return StepOutcome("done", f"{spec.kind} offer proposed for approval", {"offer_id": offer_id})
