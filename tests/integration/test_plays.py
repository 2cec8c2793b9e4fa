"""Each default play walked day by day on the seeded book, with and without customer replies, on both backends.

The book is seeded once per test and its watchtowers run once; the play
engine then advances on a clock, one day at a time. What happened each day is
read back from the run's own log.
"""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import pytest
from sqlalchemy import insert, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from approvals.decisions import decide
from approvals.policy import load_policy
from approvals.queue import Actor
from core.identity import add_user
from core.models import (
    Account,
    Approval,
    Offer,
    OutboxMessage,
    PlayEvent,
    PlayRun,
    PlayStep,
    RiskCase,
    RiskCaseStage,
    Task,
    UsageSnapshot,
)
from playbooks import play_controls
from playbooks.play_engine import in_holdout
from playbooks.risk_cases import case_stats
from sources.importer import import_records
from tests.integration.helpers import AS_OF
from tests.integration.play_support import (
    Book,
    advance,
    configs,
    customer_replies,
    diary,
    play_rows,
    run_of,
    seeded_book,
    walk,
)
from tests.integration.watchtower_support import run


@pytest.fixture
def book(engine: Engine, database_url: str, tmp_path: Path) -> Book:
    return seeded_book(engine, database_url, tmp_path)


def day(n: int) -> date:
    """Day n of a run that opened on AS_OF (day 1)."""
    return AS_OF + timedelta(days=n - 1)


def _tasks(engine: Engine, run_id: int) -> list[dict]:
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(select(Task).where(Task.run_id == run_id).order_by(Task.id)).mappings()]


def _messages(engine: Engine, run_id: int) -> list[dict]:
    with engine.connect() as conn:
        return [
            dict(r)
            for r in conn.execute(
                select(OutboxMessage).where(OutboxMessage.run_id == run_id).order_by(OutboxMessage.id)
            ).mappings()
        ]


def _stages(engine: Engine, case_id: int) -> list[tuple[str, date]]:
    with engine.connect() as conn:
        rows = conn.execute(
            select(RiskCaseStage.stage, RiskCaseStage.entered_on)
            .where(RiskCaseStage.case_id == case_id)
            .order_by(RiskCaseStage.id)
        )
        return [tuple(r) for r in rows]  # type: ignore[misc]


def test_usage_decline_day_by_day_without_a_reply(book: Book) -> None:
    account = book.planted("usage_decline")[0]
    account_id = book.account_id(account)
    walk(book.engine, [account_id], 16)
    run_row = run_of(book.engine, account_id, "usage_decline")
    assert diary(book.engine, run_row["id"]) == {
        1: ["opened", "done flag", "done usage_report"],
        2: ["done email_champion", "waiting await_reply"],
        3: ["escalated flag"],  # the day-1 task, one day overdue, goes to the CS manager
        5: ["done await_reply", "done personal_outreach", "waiting await_outreach"],
        7: ["done await_outreach", "done manager_escalation", "done manager_review"],
        14: ["done executive_save", "done executive_email", "closed completed"],
    }
    assert run_row["trigger"]["facts"]["alert.usage_decline.change"] <= -0.5
    assert run_row["trigger"]["alerts"], "the run records the alert that opened it"
    tasks = _tasks(book.engine, run_row["id"])
    assert [(t["step"], t["owner_role"], t["due_on"]) for t in tasks] == [
        ("flag", "csm", day(1)),
        ("personal_outreach", "csm", day(5)),
        ("manager_review", "csm_manager", day(7)),
        ("executive_save", "executive", day(14)),
    ]
    assert tasks[0]["escalated_on"] == day(3) and tasks[0]["escalated_to"] == "csm_manager"
    messages = _messages(book.engine, run_row["id"])
    customer = [m for m in messages if m["audience"] == "customer"]
    assert [m["status"] for m in customer] == ["drafted", "drafted"], "nothing customer-facing is approved by a play"
    assert {m["template"] for m in customer} == {"usage_decline_champion", "usage_decline_executive"}
    internal = [m for m in messages if m["audience"] == "internal"]
    assert all(m["status"] == "approved" for m in internal)
    assert any("Escalation" in m["subject"] for m in internal) and any("Overdue" in m["subject"] for m in internal)
    assert _stages(book.engine, run_row["risk_case_id"]) == [
        ("at_risk", day(1)),
        ("plan_in_place", day(1)),
        ("saving", day(14)),
    ]


def test_usage_decline_reply_takes_the_recovery_track(book: Book) -> None:
    account = book.planted("usage_decline")[1]
    account_id = book.account_id(account)
    customer_replies(book.engine, account, day(3))
    walk(book.engine, [account_id], 8)
    run_row = run_of(book.engine, account_id, "usage_decline")
    log = diary(book.engine, run_row["id"])
    assert log[2] == ["done email_champion", "waiting await_reply"]
    assert log[3] == [
        "escalated flag",
        "done await_reply",
        *(f"skipped {s}" for s in ("personal_outreach", "await_outreach", "manager_escalation", "manager_review")),
        *(f"skipped {s}" for s in ("executive_save", "executive_email")),
        "track await_reply",
        "done recovery_plan",
    ]
    assert 5 not in log and 7 not in log, "no outreach or escalation once the customer replied"
    assert run_row["track"] == "recovery" and run_row["status"] == "active"
    with book.engine.connect() as conn:
        steps = dict(conn.execute(select(PlayStep.step, PlayStep.status).where(PlayStep.run_id == run_row["id"])).all())
    assert steps["manager_escalation"] == "skipped" and steps["adoption_session"] == "pending"
    assert _stages(book.engine, run_row["risk_case_id"])[-1] == ("saving", day(3))


def test_champion_departure_without_a_reply_then_a_new_champion_closes_it_recovered(book: Book) -> None:
    first, second = book.planted("champion_departure")
    ids = [book.account_id(first), book.account_id(second)]
    walk(book.engine, ids[:1], 15)
    silent = run_of(book.engine, ids[0], "champion_departure")
    assert diary(book.engine, silent["id"]) == {
        1: ["opened", "done alert_team", "done map_stakeholders"],
        2: ["done email_sponsor", "waiting await_sponsor"],
        5: ["escalated map_stakeholders", "done await_sponsor", "done ae_outreach", "waiting await_buyer"],
        10: ["done await_buyer", "done manager_escalation"],
        14: ["done executive_outreach", "closed completed"],
    }
    # The second account names a new champion on day 6: the run closes recovered the next day it advances.
    walk(book.engine, ids[1:], 5)
    import_records(
        book.engine,
        "contact",
        [
            {
                "external_id": f"{second}-NEWCHAMP",
                "account_external_id": second,
                "name": "Robin Vale",
                "email": "robin.vale@example.com",
                "roles": ["champion"],
            }
        ],
        source="test",
    )
    walk(book.engine, ids[1:], 2, start=day(6))
    recovered = run_of(book.engine, ids[1], "champion_departure")
    assert recovered["status"] == "closed" and recovered["outcome"] == "recovered"
    assert recovered["closed_on"] == day(6)
    tasks = _tasks(book.engine, recovered["id"])
    assert {t["status"] for t in tasks} <= {"cancelled"}, "unfinished work is cancelled when the account recovers"
    assert all(m["status"] != "drafted" for m in _messages(book.engine, recovered["id"]))
    with book.engine.connect() as conn:
        case = conn.execute(select(RiskCase).where(RiskCase.id == recovered["risk_case_id"])).mappings().one()
        stats = case_stats(conn, day(16))
    assert (case["outcome"], case["closed_on"]) == ("recovered", day(6))
    # time to resolve is measured from the stage history: opened day 1, recovered day 6
    assert stats.resolved == {"recovered": 1} and stats.median_days_to_resolve["recovered"] == 5
    assert stats.open_by_stage == {"saving": 1}  # the first account's case, still being worked
    assert stats.open_cases[0][1:] == ("saving", 2, 15)  # in saving since day 14, open since day 1


def test_nps_detractor_hour_deadlines_escalation_and_follow_up_survey(book: Book) -> None:
    account = book.planted("nps_detractor")[0]
    account_id = book.account_id(account)
    walk(book.engine, [account_id], 22)
    run_row = run_of(book.engine, account_id, "nps_detractor")
    assert diary(book.engine, run_row["id"]) == {
        1: ["opened", "done alert_team", "done first_call"],
        2: ["escalated first_call", "done recovery_call", "done recovery_email"],
        14: ["done follow_up_survey", "waiting await_survey"],
        21: ["done await_survey", "done manager_review", "closed completed"],
    }
    opened_at = datetime.combine(day(1), time(9), tzinfo=UTC)
    call = next(t for t in _tasks(book.engine, run_row["id"]) if t["step"] == "first_call")
    assert call["due_at"].replace(tzinfo=UTC) == opened_at + timedelta(hours=4)
    alert = next(m for m in _messages(book.engine, run_row["id"]) if m["audience"] == "internal")
    assert alert["created_on"] == day(1) and alert["status"] == "approved", "the alert goes out the hour it is raised"
    surveys = [m for m in _messages(book.engine, run_row["id"]) if m["template"] == "nps_follow_up_survey"]
    assert len(surveys) == 1 and surveys[0]["created_on"] == day(14)
    with book.engine.connect() as conn:
        respondent = conn.execute(select(Account.id).where(Account.external_id == account)).scalar_one()
    assert respondent == account_id


def test_nps_detractor_answer_to_the_follow_up_closes_it(book: Book) -> None:
    account = book.planted("nps_detractor")[1]
    account_id = book.account_id(account)
    customer_replies(book.engine, account, day(16))
    walk(book.engine, [account_id], 22)
    run_row = run_of(book.engine, account_id, "nps_detractor")
    log = diary(book.engine, run_row["id"])
    assert log[16] == ["done await_survey"]
    assert log[21] == ["skipped manager_review", "closed completed"]


def _set_seat_use(book: Book, account: str, week: date, share: float) -> int:
    """Import one weekly usage row (copied from the last real week) with seats used at ``share`` of the plan."""
    with book.engine.connect() as conn:
        acc = conn.execute(select(Account).where(Account.external_id == account)).mappings().one()
        last = (
            conn.execute(
                select(UsageSnapshot)
                .where(UsageSnapshot.account_id == acc["id"])
                .order_by(UsageSnapshot.period_start.desc())
            )
            .mappings()
            .first()
        )
    seats = int(acc["plan_limits"]["seats"])
    used = math.ceil(seats * share)
    row = {
        "account_external_id": account,
        "period_start": week.isoformat(),
        "period": "week",
        "logins": last["logins"],
        "active_users": last["active_users"],
        "seats_used": used,
        "features": last["features"],
        "api_calls": last["api_calls"],
        "storage_gb": last["storage_gb"],
        "metrics": last["metrics"],
    }
    import_records(book.engine, "usage_snapshot", [row], source="test")
    return acc["id"]


def test_approaching_plan_limits_walks_80_85_90_and_the_limit_as_usage_rises(book: Book) -> None:
    account = book.planted("approaching_plan_limits")[1]
    last_week = date(2026, 11, 9)  # the last complete week before AS_OF
    account_id = _set_seat_use(book, account, last_week, 0.81)
    for n, share in enumerate((0.81, 0.86, 0.91, 1.0)):
        week = last_week + timedelta(weeks=n)
        _set_seat_use(book, account, week, share)
        as_of = AS_OF + timedelta(weeks=n) + (timedelta(days=1) if n else timedelta(0))
        run(book.engine, book.database_url, as_of, agents=["product_health"], account_ids=[account_id])
    run_row = run_of(book.engine, account_id, "approaching_plan_limits")
    log = diary(book.engine, run_row["id"])
    assert log[1] == ["opened", "done at_80"]
    assert log[9] == ["done at_85"]
    assert log[16] == ["done at_90", "done at_90_proposal"]
    assert log[23] == ["done at_limit", "closed completed"]
    with book.engine.connect() as conn:
        offer = conn.execute(select(Offer).where(Offer.run_id == run_row["id"])).mappings().one()
        acc = conn.execute(select(Account).where(Account.id == account_id)).mappings().one()
    seats = acc["seats_purchased"]
    assert offer["kind"] == "expansion" and offer["status"] == "proposed" and offer["requester_kind"] == "play"
    assert offer["terms"]["seats_added"] == math.ceil(seats * 0.2)
    expected = (acc["arr"] / seats).quantize(offer["arr_impact"]) * offer["terms"]["seats_added"]
    assert abs(offer["arr_impact"] - expected) <= 0.01 * offer["terms"]["seats_added"]
    # The policy routes the play's quote; a person's decision settles it and the run's log records it.
    with book.engine.begin() as conn:
        approval = conn.execute(select(Approval).where(Approval.offer_id == offer["id"])).mappings().one()
        manager = add_user(conn, username="morgan", role="cs_manager", now=datetime(2026, 12, 20, tzinfo=UTC))
        assert approval["rules"] == ["list_price_quote"] and approval["status"] == "pending"
        decide(
            conn,
            load_policy(),
            approval["id"],
            Actor("morgan", "person", "cs_manager", manager.id),
            {"decision": "approve", "reason": "list price"},
            now=datetime(2026, 12, 20, tzinfo=UTC),
        )

    # Approvals never write the play's tables: the engine hears the decision on its next pass, once.
    def heard() -> list[tuple[str, str]]:
        with book.engine.connect() as conn:
            rows = conn.execute(select(PlayEvent.kind, PlayEvent.actor).where(PlayEvent.run_id == run_row["id"]))
            return [tuple(e) for e in rows]

    assert ("offer_approved", "morgan") not in heard()
    advance(book.engine, day(24), [account_id])
    advance(book.engine, day(25), [account_id])
    assert heard().count(("offer_approved", "morgan")) == 1


def test_power_users_without_and_with_a_reply(book: Book) -> None:
    silent, keen = book.planted("power_users")
    customer_replies(book.engine, keen, day(4), kind="call")
    walk(book.engine, [book.account_id(silent), book.account_id(keen)], 15)
    quiet = run_of(book.engine, book.account_id(silent), "power_users")
    assert diary(book.engine, quiet["id"]) == {
        1: ["opened", "done identify"],
        2: ["done tell_ae"],
        3: ["done advocacy_email", "waiting await_reply"],
        10: ["done await_reply", "done follow_up"],
        14: ["done product_feedback", "closed completed"],
    }
    eager = run_of(book.engine, book.account_id(keen), "power_users")
    log = diary(book.engine, eager["id"])
    assert log[4][0] == "done await_reply" and "track await_reply" in log[4] and "done power_user_session" in log[4]
    assert log[10] == ["done expansion_talk", "closed completed"]


def test_department_expansion_reply_leads_to_onboarding_and_an_expansion_quote(book: Book) -> None:
    silent, keen = book.planted("new_department")
    customer_replies(book.engine, keen, day(3))
    walk(book.engine, [book.account_id(silent), book.account_id(keen)], 11)
    quiet = run_of(book.engine, book.account_id(silent), "department_expansion")
    assert diary(book.engine, quiet["id"]) == {
        1: ["opened", "done alert_team"],
        2: ["done onboarding_offer", "waiting await_intro"],
        7: ["done await_intro", "done follow_up"],
        10: ["done ae_handoff", "closed completed"],
    }
    eager = run_of(book.engine, book.account_id(keen), "department_expansion")
    log = diary(book.engine, eager["id"])
    assert "done onboarding_session" in log[3]
    assert log[7] == ["done expansion_quote", "done expansion_proposal", "closed completed"]
    with book.engine.connect() as conn:
        offers = conn.execute(select(Offer.kind, Offer.status).where(Offer.run_id == eager["id"])).all()
    assert [tuple(o) for o in offers] == [("expansion", "proposed")]


def test_running_the_same_day_twice_changes_nothing(book: Book) -> None:
    for n in range(1, 16):
        advance(book.engine, day(n))
        once = play_rows(book.engine)
        again = advance(book.engine, day(n))
        assert play_rows(book.engine) == once, f"day {n} changed on a second run"
        assert not any(".opened." in k or ".step." in k or k.endswith(".escalated") for k in again), again
    with book.engine.connect() as conn:
        plays = {p for (p,) in conn.execute(select(PlayRun.play).distinct())}
    assert {"usage_decline", "nps_detractor", "renewal_timeline"} <= plays


def test_the_same_trigger_never_opens_a_second_run(book: Book) -> None:
    account_id = book.account_id(book.planted("power_users")[0])
    walk(book.engine, [account_id], 3)
    with book.engine.connect() as conn:
        runs = conn.execute(select(PlayRun.id).where(PlayRun.account_id == account_id, PlayRun.play == "power_users"))
        assert len(runs.all()) == 1
    # Even a writer that skips the engine cannot: the database refuses a second open run.
    with pytest.raises(IntegrityError), book.engine.begin() as conn:
        conn.execute(
            insert(PlayRun).values(
                account_id=account_id,
                play="power_users",
                play_version="x",
                subject="account",
                status="active",
                track="main",
                track_started_on=day(3),
                started_on=day(3),
                trigger={},
            )
        )
    # Closed by a person, it stays closed through the cool-down while the alert is still open, then reopens.
    run_id = run_of(book.engine, account_id, "power_users")["id"]
    with book.engine.begin() as conn:
        play_controls.close(conn, run_id, day(3), by="dana@cs", reason="customer asked for no outreach")
    counts = advance(book.engine, day(4), [account_id])
    assert counts.get("power_users.cooling_down") == 1
    counts = advance(book.engine, day(3 + 31), [account_id])
    assert counts.get("power_users.opened.treatment") == 1


def test_people_pause_resume_snooze_reassign_and_close_with_reasons(book: Book) -> None:
    account_id = book.account_id(book.planted("usage_decline")[0])
    advance(book.engine, day(1), [account_id])
    run_id = run_of(book.engine, account_id, "usage_decline")["id"]
    with book.engine.begin() as conn:
        with pytest.raises(play_controls.ControlError, match="give a reason"):
            play_controls.pause(conn, run_id, day(1), by="dana@cs", reason=" ")
        play_controls.pause(conn, run_id, day(1), by="dana@cs", reason="customer on holiday")
    walk(book.engine, [account_id], 5, start=day(2))  # paused: days 2-6 run nothing
    assert set(diary(book.engine, run_id)) == {1}
    with book.engine.begin() as conn:
        assert play_controls.resume(conn, run_id, day(6), by="dana@cs", reason="back") == 5
        play_controls.snooze(conn, run_id, day(6), day(10), by="dana@cs", reason="waiting for their reorg")
        play_controls.reassign(conn, run_id, day(6), "sam@cs", by="lead@cs", reason="territory change")
        with pytest.raises(play_controls.ControlError, match="snoozed, not active"):
            play_controls.pause(conn, run_id, day(6), by="dana@cs", reason="again")
    walk(book.engine, [account_id], 9, start=day(6))
    log = diary(book.engine, run_id)
    assert log[1] == ["opened", "done flag", "done usage_report", "paused"]
    assert log[6] == ["resumed", "snoozed", "reassigned"]
    # Day 2's email moved 5 days for the pause and 4 for the snooze; the flag task's escalation moved with it.
    assert log[10] == ["resumed"]
    assert log[11] == ["done email_champion", "waiting await_reply"]
    assert log[12] == ["escalated flag"]
    assert log[14] == ["done await_reply", "done personal_outreach", "waiting await_outreach"]
    assert set(log) == {1, 6, 10, 11, 12, 14}
    tasks = _tasks(book.engine, run_id)
    assert {t["assignee"] for t in tasks if t["owner_role"] == "csm" and t["status"] == "open"} == {"sam@cs"}
    with book.engine.begin() as conn:
        play_controls.close(conn, run_id, day(15), by="lead@cs", reason="handled by the account team")
        with pytest.raises(play_controls.ControlError, match="is closed"):
            play_controls.resume(conn, run_id, day(15), by="dana@cs", reason="oops")
    assert {t["status"] for t in _tasks(book.engine, run_id)} == {"cancelled"}
    assert {m["status"] for m in _messages(book.engine, run_id) if m["audience"] == "customer"} == {"discarded"}
    assert run_of(book.engine, account_id, "usage_decline")["outcome"] == "withdrawn"


def test_holdout_accounts_get_no_steps_and_keep_their_arm(book: Book, database_url: str) -> None:
    playbook, _ = configs()
    plays = [p.model_copy(update={"holdout_pct": 50.0}) if p.id == "power_users" else p for p in playbook.plays]
    held_out_book = playbook.model_copy(update={"plays": plays})
    play = held_out_book.play("power_users")
    accounts = book.planted("power_users")
    arms = {a: "holdout" if in_holdout(play, a) else "treatment" for a in accounts}
    ids = [book.account_id(a) for a in accounts]
    walk(book.engine, ids, 15, playbook=held_out_book)
    for account, account_id in zip(accounts, ids, strict=True):
        run_row = run_of(book.engine, account_id, "power_users")
        assert run_row["arm"] == arms[account]
        if arms[account] == "holdout":
            assert diary(book.engine, run_row["id"]) == {1: ["opened"]}
            assert _tasks(book.engine, run_row["id"]) == [] and _messages(book.engine, run_row["id"]) == []
        else:
            assert "done identify" in diary(book.engine, run_row["id"])[1]


def test_only_a_step_marked_auto_send_skips_the_person_who_approves(book: Book) -> None:
    playbook, _ = configs()
    raw = playbook.model_dump(mode="json", by_alias=True)
    usage = next(p for p in raw["plays"] if p["id"] == "usage_decline")
    next(s for s in usage["steps"] if s["id"] == "email_champion")["auto_send"] = True
    auto = type(playbook).model_validate(raw)
    first, second = book.planted("usage_decline")
    walk(book.engine, [book.account_id(first)], 2, playbook=auto)
    walk(book.engine, [book.account_id(second)], 2)
    sent_by_play = _messages(book.engine, run_of(book.engine, book.account_id(first), "usage_decline")["id"])
    held = _messages(book.engine, run_of(book.engine, book.account_id(second), "usage_decline")["id"])
    [auto_email] = [m for m in sent_by_play if m["audience"] == "customer"]
    assert auto_email["status"] == "approved" and auto_email["auto_send"]
    assert auto_email["approved_by"] == "auto-send: play usage_decline step email_champion"
    [email] = [m for m in held if m["audience"] == "customer"]
    assert email["status"] == "drafted" and email["approved_by"] is None


def test_a_customer_who_leaves_mid_play_has_its_runs_closed_lost_by_the_next_cycle(book: Book) -> None:
    account_id = book.account_id(book.planted("usage_decline")[0])
    advance(book.engine, day(1), [account_id])
    with book.engine.begin() as conn:
        conn.execute(update(Account).where(Account.id == account_id).values(status="churned", churned_on=day(3)))
    _, result = run(book.engine, book.database_url, day(4), agents=["product_health"])
    assert result["status"] == "succeeded"
    closed = run_of(book.engine, account_id, "usage_decline")
    assert (closed["status"], closed["outcome"], closed["closed_on"]) == ("closed", "lost", day(4))
    with book.engine.connect() as conn:
        case = conn.execute(select(RiskCase).where(RiskCase.id == closed["risk_case_id"])).mappings().one()
    assert (case["stage"], case["outcome"]) == ("lost", "lost")
    assert {t["status"] for t in _tasks(book.engine, closed["id"])} == {"cancelled"}
