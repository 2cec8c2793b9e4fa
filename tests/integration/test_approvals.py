"""Approvals against a real database: segregation of duties, ordered chains, edits, SLA escalation, audit."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from actions.outbox import deliver_notice
from approvals.decisions import Conflict, InvalidDecision, Refused, decide
from approvals.escalation import escalate_overdue
from approvals.queue import APPROVAL, OFFER, Actor
from core.audit import AUDIT
from core.faithfulness import check
from core.models import OutboxMessage
from tests.integration.approval_support import NOW, POLICY, account_ids, actor, book_with_people, propose

OUTBOX = OutboxMessage.__table__  # type: ignore[attr-defined]


def act(engine, approval_id, user_or_actor, decision, reason="checked", *, now=NOW, **extra):
    who = user_or_actor if isinstance(user_or_actor, Actor) else actor(user_or_actor)
    with engine.begin() as conn:
        return decide(conn, POLICY, approval_id, who, {"decision": decision, "reason": reason, **extra}, now=now)


def statuses(engine, approval_id):
    with engine.connect() as conn:
        approval = conn.execute(select(APPROVAL).where(APPROVAL.c.id == approval_id)).mappings().one()
        offer = conn.execute(select(OFFER.c.status).where(OFFER.c.id == approval["offer_id"])).scalar_one()
    return approval["status"], offer


def test_segregation_of_duties(engine):
    people = book_with_people(engine)
    first = account_ids(engine)[0]
    # A CS manager proposes 8% off: only a CS manager may approve it, and not the one who asked.
    offer = propose(engine, first, {"discount_pct": 8}, by=people["cs_manager"])
    with pytest.raises(Refused, match=r"proposed offer \d+ and cannot decide"):
        act(engine, offer.approval_id, people["cs_manager"], "approve")
    with pytest.raises(Refused, match="finance role is not an approver"):
        act(engine, offer.approval_id, people["finance"], "approve")
    with pytest.raises(Refused, match="only people decide"):
        act(engine, offer.approval_id, Actor("agent:financial", "agent"), "approve")
    with pytest.raises(Refused, match="only people decide"):
        act(engine, offer.approval_id, Actor("play:usage_decline", "play"), "approve")
    assert statuses(engine, offer.approval_id) == ("pending", "proposed")

    agent_offer = propose(engine, first, {"discount_pct": 5}, by=Actor("agent:financial", "agent"))
    result = act(engine, agent_offer.approval_id, people["cs_manager"], "approve")
    assert result.settled and statuses(engine, agent_offer.approval_id) == ("approved", "approved")
    with pytest.raises(Conflict, match="already approved"):
        act(engine, agent_offer.approval_id, people["cs_manager"], "reject")


def test_unknown_rule_is_rejected_and_never_approved(engine):
    people = book_with_people(engine)
    offer = propose(engine, account_ids(engine)[0], {"payment_terms_days": 45}, kind="payment_terms", by=people["ae"])
    assert offer.status == "rejected" and "no approval rule matches" in offer.message
    assert statuses(engine, offer.approval_id) == ("rejected", "rejected")
    for role in ("cs_manager", "finance", "cro", "legal"):
        with pytest.raises(Conflict, match="already rejected"):
            act(engine, offer.approval_id, people[role], "approve")


def test_ordered_chain_settles_only_in_order(engine):
    people = book_with_people(engine)
    offer = propose(engine, account_ids(engine)[0], {"discount_pct": 25}, by=people["ae"])
    with pytest.raises(Conflict, match="ordered: finance must approve before cro"):
        act(engine, offer.approval_id, people["cro"], "approve")
    step = act(engine, offer.approval_id, people["finance"], "approve")
    assert not step.settled and "waiting for cro" in step.message
    with pytest.raises(Conflict, match="already approved"):
        act(engine, offer.approval_id, people["finance"], "approve")
    assert act(engine, offer.approval_id, people["cro"], "approve").status == "approved"


def test_edits_are_bounded_by_role_and_reroute(engine):
    people = book_with_people(engine)
    offer = propose(engine, account_ids(engine)[0], {"discount_pct": 25}, by=people["ae"])
    with pytest.raises(Refused, match="finance may set discount_pct up to 30, not 40"):
        act(engine, offer.approval_id, people["finance"], "edit", terms={"discount_pct": 40})
    with pytest.raises(InvalidDecision, match="terms"):
        act(engine, offer.approval_id, people["finance"], "edit")
    # Finance brings it down to 15%: the CRO is no longer needed and the offer is approved.
    done = act(engine, offer.approval_id, people["finance"], "edit", terms={"discount_pct": 15})
    assert done.status == "approved"
    with engine.connect() as conn:
        terms, impact = conn.execute(
            select(OFFER.c.terms, OFFER.c.arr_impact).where(OFFER.c.id == offer.offer_id)
        ).one()
        edit = conn.execute(
            select(AUDIT.c.before, AUDIT.c.after).where(AUDIT.c.action == "edit", AUDIT.c.entity == "offer")
        ).one()
    assert terms == {"discount_pct": 15.0} and impact < 0
    assert edit.before["terms"] == {"discount_pct": 25.0} and edit.after["terms"] == {"discount_pct": 15.0}
    assert edit.before["rules"] == ["discount_over_10", "large_concession"] and edit.after["rules"] == [
        "discount_over_10"
    ]


def test_rejection_needs_a_reason_and_ends_the_chain(engine):
    people = book_with_people(engine)
    offer = propose(engine, account_ids(engine)[0], {"discount_pct": 25}, by=people["ae"])
    with pytest.raises(InvalidDecision, match="reason"):
        act(engine, offer.approval_id, people["finance"], "reject", reason="")
    assert act(engine, offer.approval_id, people["finance"], "reject", reason="margin too thin").status == "rejected"
    with pytest.raises(Conflict):
        act(engine, offer.approval_id, people["cro"], "approve")


def test_sla_escalation_on_a_moving_clock(engine):
    people = book_with_people(engine)
    offer = propose(engine, account_ids(engine)[0], {"discount_pct": 6}, by=people["ae"])  # CS manager, 24h
    assert escalate_overdue(engine, POLICY, now=NOW + timedelta(hours=23, minutes=59), deliver=deliver_notice) == []
    with pytest.raises(Refused):
        act(engine, offer.approval_id, people["cro"], "approve", now=NOW + timedelta(hours=23))
    first = escalate_overdue(engine, POLICY, now=NOW + timedelta(hours=24, minutes=1), deliver=deliver_notice)
    assert [(e.group, e.to_role, e.notified) for e in first] == [("cs_manager", "cro", ["cro@watchtower.example"])]
    # The same moment again changes nothing; the next SLA period only reminds (the CRO has nobody above).
    assert escalate_overdue(engine, POLICY, now=NOW + timedelta(hours=24, minutes=2), deliver=deliver_notice) == []
    second = escalate_overdue(engine, POLICY, now=NOW + timedelta(hours=48, minutes=2), deliver=deliver_notice)
    assert [(e.group, e.to_role) for e in second] == [("cs_manager", None)]
    with engine.connect() as conn:
        events = conn.execute(
            select(AUDIT.c.action, AUDIT.c.reason).where(AUDIT.c.action == "escalate").order_by(AUDIT.c.id)
        ).all()
        notices = conn.execute(
            select(OUTBOX.c.subject, OUTBOX.c.body, OUTBOX.c.facts).where(
                OUTBOX.c.dedupe_key.like(f"approval:{offer.approval_id}:%")
            )
        ).all()
    notes = len(notices)
    # Each notice states only what its record holds: the SLA, the offer, the date it has waited since.
    assert notices and all(check(f"{n.subject}\n{n.body}", n.facts).faithful for n in notices)
    assert [e.reason for e in events] == [
        "cs_manager past its 24h SLA; escalated to cro",
        "cs_manager past its 24h SLA",
    ]
    assert notes == 2
    assert act(engine, offer.approval_id, people["cro"], "approve", now=NOW + timedelta(hours=50)).status == "approved"


def test_audit_rows_cannot_be_changed_even_with_sql(engine):
    people = book_with_people(engine)
    propose(engine, account_ids(engine)[0], {"discount_pct": 6}, by=people["ae"])
    with engine.connect() as conn:
        before = conn.execute(select(AUDIT).order_by(AUDIT.c.id)).all()
    for statement in ("UPDATE audit_event SET reason = 'x'", "DELETE FROM audit_event"):
        with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
            conn.execute(text(statement))
    with engine.connect() as conn:
        assert conn.execute(select(AUDIT).order_by(AUDIT.c.id)).all() == before
    actions = [(r.action, r.entity) for r in before]
    assert ("create", "offer") in actions and ("route", "approval") in actions


def test_an_edit_voids_earlier_approvals_of_other_terms(engine):
    people = book_with_people(engine)
    # 36 months at 8% off: the CS manager (discount) and finance (multi-year discount), in parallel.
    offer = propose(
        engine, account_ids(engine)[0], {"term_months": 36, "discount_pct": 8}, kind="term_change", by=people["ae"]
    )
    assert not act(engine, offer.approval_id, people["cs_manager"], "approve").settled
    # Finance raises the discount to 9%: the CS manager approved 8%, not 9%, and must look again.
    edited = act(engine, offer.approval_id, people["finance"], "edit", terms={"discount_pct": 9})
    assert edited.status == "pending" and "waiting for cs_manager" in edited.message
    assert act(engine, offer.approval_id, people["cs_manager"], "approve", reason="9% is fine").status == "approved"


def test_a_later_approvers_edit_goes_back_down_the_ordered_chain(engine):
    people = book_with_people(engine)
    offer = propose(engine, account_ids(engine)[0], {"discount_pct": 28}, by=people["ae"])
    act(engine, offer.approval_id, people["finance"], "approve")
    # The CRO brings it to 22%; finance approved 28%, so finance must approve 22% before it settles.
    edited = act(engine, offer.approval_id, people["cro"], "edit", terms={"discount_pct": 22})
    assert edited.status == "pending" and "waiting for finance" in edited.message
    with pytest.raises(Conflict, match="already approved"):
        act(engine, offer.approval_id, people["cro"], "approve")
    assert act(engine, offer.approval_id, people["finance"], "approve").status == "approved"
