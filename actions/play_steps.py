"""What a play step does: create a task, draft an email, notify the team, propose an offer, or hold a ritual.

Every write is keyed by (run, track, step), so performing a step twice adds
nothing: steps are idempotent even if the engine is interrupted between doing a
step and recording it. Customer emails land in the outbox as drafts; only a
step marked ``auto_send`` in YAML skips the person who approves them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from dataclasses import fields as dataclass_fields
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from pydantic import BaseModel
from sqlalchemy import Connection, Engine, insert, select

from actions.deferred_drafts import DeferredDrafter, note_placed
from actions.documents import write_artifacts
from actions.drafting import Drafter, MessageFacts, NoticeFacts, TaskFacts, alert_facts, message_facts, render
from actions.outbox import notify_internal
from actions.quiet_period import earlier_contact, hold_reason
from actions.signature import sender_name
from actions.situations import template_for
from approvals.policy import ApprovalPolicy, load_policy
from approvals.queue import Actor, OfferError, submit
from core.audit import record as record_event
from core.glossary import load_glossary
from core.models import Offer, OutboxMessage
from llm.structured import LlmReader
from playbooks.facts import AccountFacts, Person
from playbooks.forecast import ForecastConfig
from playbooks.play_config import PlayBook, Step
from playbooks.play_engine import PlayEngine
from playbooks.play_store import TASK
from playbooks.steps import StepOutcome, StepRequest
from prompts.templates import TemplateError, fill, load_template

OUTBOX = OutboxMessage.__table__  # type: ignore[attr-defined]
OFFER = Offer.__table__  # type: ignore[attr-defined]


@dataclass
class ActionContext:
    """Everything a step needs besides the database: the playbook, the drafter and the clock for hour SLAs."""

    playbook: PlayBook
    drafter: Drafter
    now: datetime
    #: Routes the offers plays propose; the policy, never the play, decides who must approve them.
    approvals: ApprovalPolicy = field(default_factory=load_policy)
    #: The bands the glossary counts as at risk, which choose the wording of a draft (``actions.situations``).
    at_risk_bands: tuple[str, ...] = field(default_factory=lambda: tuple(load_glossary().at_risk_bands))


def owner_address(ctx: ActionContext, account: AccountFacts, role: str) -> str | None:
    """The account's CSM for ``csm``; otherwise the playbook's owner for the role (None: unassigned)."""
    if role == "csm":
        return account.owner_csm
    return ctx.playbook.owners.get(role)  # type: ignore[call-overload]


@dataclass
class StepCall(StepRequest):
    """A step with what performing it needs: the playbook, the drafter and the clock."""

    ctx: ActionContext

    def record(self, recipient: Person | None = None) -> MessageFacts:
        """The facts this step's texts are written from (``recipient`` for an email)."""
        return message_facts(
            self.account,
            self.facts,
            play_name=self.play.name,
            recipient=recipient,
            csm_name=sender_name(self.conn, self.account.owner_csm),
        )

    def values(self, recipient: Person | None = None) -> dict[str, str]:
        return render(self.record(recipient))


@dataclass
class PlayActions:
    """The play engine's ``StepActions``: steps and notifications as this module performs them."""

    ctx: ActionContext

    def polish_drafts(self, engine: Engine) -> int:
        """Have a model rewrite this chunk's drafts, after its transaction committed (see deferred_drafts)."""
        drafter = self.ctx.drafter
        return drafter.polish(engine) if isinstance(drafter, DeferredDrafter) else 0

    def discard_drafts(self) -> None:
        if isinstance(self.ctx.drafter, DeferredDrafter):
            self.ctx.drafter.discard()

    def perform(self, request: StepRequest) -> StepOutcome:
        fields = {f.name: getattr(request, f.name) for f in dataclass_fields(StepRequest)}
        return perform(StepCall(**fields, ctx=self.ctx))

    def notify(
        self,
        conn: Connection,
        account: AccountFacts,
        *,
        role: str,
        subject: str,
        body: str,
        facts: BaseModel,
        key: str,
        run_id: int | None,
        as_of: date,
    ) -> int:
        """An internal notification: to the team, never the customer, so it needs no approval to go out.
        ``facts`` is the record its subject and body were written from."""
        return notify_internal(
            conn,
            key=key,
            account_id=account.account_id,
            run_id=run_id,
            channel="slack",
            recipient=owner_address(self.ctx, account, role) or role,
            recipient_name=role,
            subject=subject,
            body=body,
            facts=facts.model_dump(mode="json"),
            now=self.ctx.now,
            created_on=as_of,
        )


def make_play_engine(
    playbook: PlayBook,
    forecast_config: ForecastConfig | None,
    *,
    now: datetime,
    reader: LlmReader | None = None,
) -> PlayEngine:
    """The engine as the cycle and the command line run it; ``reader`` lets a configured model polish drafts."""
    return PlayEngine(playbook, PlayActions(ActionContext(playbook, DeferredDrafter(reader), now)), forecast_config)


def _existing(conn: Connection, table: Any, key: str) -> int | None:
    return conn.execute(select(table.c.id).where(table.c.dedupe_key == key)).scalar_one_or_none()


def perform(call: StepCall) -> StepOutcome:
    action = call.step.action
    if action == "task":
        return _task(call, call.step.title or "", {})
    if action == "ritual":
        return _ritual(call)
    if action == "email":
        return _email(call)
    if action == "notify":
        role = call.step.owner or "csm"
        record = NoticeFacts(
            **call.record().model_dump(),
            alerts=[alert_facts(kind, a) for kind, a in (call.facts.get("alert") or {}).items()],
        )
        message_id = PlayActions(call.ctx).notify(
            call.conn,
            call.account,
            role=role,
            subject=fill(call.step.title or call.play.name, render(record)),
            body=_notification_body(call, record),
            facts=record,
            key=call.key,
            run_id=call.state.id,
            as_of=call.as_of,
        )
        return StepOutcome("done", f"notified {role}", {"outbox_id": message_id})
    if action == "offer":
        return _offer(call)
    raise ValueError(f"step {call.step.id}: the engine handles {action} itself")


def _task(call: StepCall, title: str, detail: dict[str, Any], ritual: str | None = None) -> StepOutcome:
    state, step = call.state, call.step
    role = step.owner or "csm"
    track = state.row["track"]
    found = call.conn.execute(
        select(TASK.c.id).where(TASK.c.run_id == state.id, TASK.c.track == track, TASK.c.step == step.id)
    ).scalar_one_or_none()
    if found is None:
        run_owner = state.row["owner"] if role == "csm" else None
        # The title's record goes with the task: an escalation that quotes the title is checked against it.
        record = TaskFacts(**call.record().model_dump(), ritual=ritual, hours=step.hours)
        found = call.conn.execute(
            insert(TASK)
            .values(
                account_id=call.account.account_id,
                run_id=state.id,
                track=track,
                step=step.id,
                title=fill(title, render(record))[:512],
                detail={
                    "play": call.play.id,
                    "evidence": _evidence(call.facts),
                    **detail,
                    "facts": record.model_dump(mode="json"),
                },
                owner_role=role,
                assignee=run_owner or owner_address(call.ctx, call.account, role),
                due_on=max(call.due_on, call.as_of),
                due_at=call.ctx.now + timedelta(hours=step.hours) if step.hours else None,
                status="open",
                created_on=call.as_of,
            )
            .returning(TASK.c.id)
        ).scalar_one()
    return StepOutcome("done", f"task for {role}", {"task_id": found})


def _evidence(facts: dict[str, Any]) -> list[str]:
    refs: list[str] = []
    for alert in (facts.get("alert") or {}).values():
        refs += [r for r in alert.get("evidence", []) if r not in refs]
    return refs[:10]


def _ritual(call: StepCall) -> StepOutcome:
    ritual = call.ctx.playbook.rituals[call.step.ritual or ""]
    artifacts = write_artifacts(
        call.conn,
        call.ctx.drafter,
        kinds=ritual.artifacts,
        run_id=call.state.id,
        account=call.account,
        facts=call.facts,
        contract=call.contract,
        ritual=ritual.title,
        as_of=call.as_of,
    )
    detail = {"ritual": call.step.ritual, "audience": ritual.audience, "agenda": ritual.agenda, "artifacts": artifacts}
    outcome = _task(call, call.step.title or f"{ritual.title} for {{account_name}}", detail, ritual=ritual.title)
    return StepOutcome("done", f"{ritual.title} scheduled for {call.step.owner}", {**(outcome.result or {}), **detail})


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


def _email(call: StepCall) -> StepOutcome:
    step = call.step
    if (found := _existing(call.conn, OUTBOX, call.key)) is not None:
        return StepOutcome("done", "email drafted", {"outbox_id": found})
    person = recipient_for(step, call.account, call.facts)
    if person is None or person.email is None:
        return StepOutcome("skipped", f"no active contact with an email in the role(s) {', '.join(step.to)}")
    record = call.record(person)
    try:
        template = load_template(template_for(step.template or "", record, call.ctx.at_risk_bands))
        drafted = call.ctx.drafter.draft(
            template, render(record), facts=record, purpose=f"{call.play.name}: email to the customer"
        )
    except TemplateError as exc:
        return StepOutcome("skipped", str(exc))
    approved = {"approved_by": f"auto-send: play {call.play.id} step {step.id}", "approved_at": call.ctx.now}
    quiet_days = call.ctx.playbook.settings.quiet_period_days
    earlier = earlier_contact(call.conn, person.email, run_id=call.state.id, as_of=call.as_of, days=quiet_days)
    status = "held" if earlier else "approved" if step.auto_send else "drafted"
    message_id = call.conn.execute(
        insert(OUTBOX)
        .values(
            account_id=call.account.account_id,
            run_id=call.state.id,
            dedupe_key=call.key,
            audience="customer",
            channel="email",
            recipient=person.email,
            recipient_name=person.name,
            subject=drafted.subject[:512],
            body=drafted.body,
            template=template.name,
            facts=drafted.facts,
            produced_by=drafted.produced_by,
            auto_send=step.auto_send,
            status=status,
            created_on=call.as_of,
            **(approved if status == "approved" else {}),
        )
        .returning(OUTBOX.c.id)
    ).scalar_one()
    note_placed(call.ctx.drafter, drafted, "outbox_message", message_id)
    if earlier:
        reason = hold_reason(person.email, earlier, quiet_days)
        record_event(
            call.conn,
            at=call.ctx.now,
            actor=f"play:{call.play.id}",
            actor_kind="play",
            action="hold",
            entity="outbox_message",
            entity_id=message_id,
            account_id=call.account.account_id,
            before=None,
            after={"status": "held", "earlier_message": earlier["id"]},
            reason=reason,
        )
        return StepOutcome("done", f"email to {person.name or person.email} held: {reason}", {"outbox_id": message_id})
    state_word = "approved to send (auto-send)" if step.auto_send else "drafted for approval"
    return StepOutcome("done", f"email to {person.name or person.email} {state_word}", {"outbox_id": message_id})


def _notification_body(call: StepCall, record: NoticeFacts) -> str:
    if call.step.template:
        try:
            return load_template(call.step.template).render(render(record))[1]
        except TemplateError:
            pass  # the title alone still tells the team what happened
    lines = [f"{record.play_name} for {record.account_name} ({record.account_id})."]
    # Each alert's title as its watchtower wrote it; the record carries what the title was printed from.
    titles = [a["title"] for a in (call.facts.get("alert") or {}).values()]
    for title, alert in zip(titles, record.alerts, strict=True):
        lines.append(f"- {title} (open {alert.days_open} days)")
    if record.score is not None:
        lines.append(f"Health: {record.band} ({record.score:.0f})")
    return "\n".join(lines)


def _offer(call: StepCall) -> StepOutcome:
    spec = call.step.offer
    assert spec is not None
    if (found := _existing(call.conn, OFFER, call.key)) is not None:
        return StepOutcome("done", "offer proposed", {"offer_id": found})
    renewing = call.contract or next((c for c in call.account.contracts if c.status == "active"), None)
    terms: dict[str, Any] = dict(spec.terms)
    arr, seats = call.facts.get("arr"), call.facts.get("seats_purchased")
    if spec.seat_uplift is not None:
        if not seats or arr is None:
            return StepOutcome("skipped", "an expansion quote needs the account's seats and ARR")
        added = max(1, math.ceil(seats * spec.seat_uplift))
        price = Decimal(str(arr)) / Decimal(seats)
        terms.update(seats_added=added, seats_after=seats + added, price_per_seat=str(price.quantize(Decimal("0.01"))))
    if spec.kind == "renewal" and renewing is not None:
        terms.setdefault("renewal_arr", renewing.arr)
        terms.setdefault("renewal_on", renewing.end_date.isoformat())
    try:
        submitted = submit(
            call.conn,
            call.ctx.approvals,
            account_id=call.account.account_id,
            contract_id=renewing.id if renewing else None,
            kind=spec.kind,
            terms=terms,
            requester=Actor(f"play:{call.play.id}", "play"),
            run_id=call.state.id,
            rationale=fill(spec.rationale, call.values()),
            evidence=_evidence(call.facts),
            now=call.ctx.now,
            created_on=call.as_of,
            dedupe_key=call.key,
        )
    except OfferError as exc:
        return StepOutcome("skipped", f"offer not proposed: {exc}")
    offer_id = submitted.offer_id
    return StepOutcome("done", f"{spec.kind} offer proposed for approval ({submitted.message})", {"offer_id": offer_id})
