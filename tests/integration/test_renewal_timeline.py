"""The renewal timeline per contract: when it starts, milestone status over time, rituals and their documents,
evidence that completes milestones, and the forecast beside the CSM's call."""

from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from cli.main import app
from core.faithfulness import check
from core.models import Artifact, Contract, Offer, OutboxMessage, RenewalForecast, Task
from playbooks import play_controls
from playbooks.forecast import record_call
from playbooks.timeline import milestones_for_runs, worst
from sources.importer import import_records
from tests.integration.helpers import AS_OF
from tests.integration.play_support import Book, advance, configs, diary, run_of, seeded_book, walk

PLAY = "renewal_timeline"


@pytest.fixture
def book(engine: Engine, database_url: str, tmp_path: Path) -> Book:
    return seeded_book(engine, database_url, tmp_path)


def _renew_on(book: Book, account: str, end: date) -> int:
    """Move the account's current contract to end on ``end`` (re-imported whole, as a team would)."""
    with book.engine.connect() as conn:
        c = (
            conn.execute(
                select(Contract)
                .where(Contract.account_id == book.account_id(account), Contract.status == "active")
                .order_by(Contract.end_date.desc())
            )
            .mappings()
            .first()
        )
    record = {
        "external_id": c["external_id"],
        "account_external_id": account,
        "start_date": (end - timedelta(days=365)).isoformat(),
        "end_date": end.isoformat(),
        "notice_days": c["notice_days"],
        "auto_renew": c["auto_renew"],
        "arr": str(c["arr"]),
        "plan": c["plan"],
        "seats": c["seats"],
        "products": c["products"],
        "billing_frequency": c["billing_frequency"],
        "status": "active",
    }
    import_records(book.engine, "contract", [record], source="test")
    return c["id"]


def _milestones(book: Book, run_id: int, as_of: date) -> dict[str, str]:
    playbook, forecast = configs()
    with book.engine.connect() as conn:
        found = milestones_for_runs(
            conn, playbook.play(PLAY), [run_id], as_of, stuck_after_days=forecast.stuck_after_days
        )
    return {m.step: m.status for m in found[run_id]} | {"timeline": worst(found[run_id])}


def test_below_green_starts_at_t_minus_180_and_green_at_t_minus_120(book: Book) -> None:
    green = book.planted("healthy_control")[0]
    yellow = book.planted("usage_decline")[0]
    for account in (green, yellow):
        _renew_on(book, account, AS_OF + timedelta(days=150))
    ids = [book.account_id(green), book.account_id(yellow)]
    walk(book.engine, ids, 31)
    early = run_of(book.engine, ids[1], PLAY)
    assert early["started_on"] == AS_OF  # T-150: inside the early window because the account is not Green
    assert diary(book.engine, early["id"])[1][:2] == ["opened", "done early_planning"]
    standard = run_of(book.engine, ids[0], PLAY)
    assert standard["started_on"] == AS_OF + timedelta(days=30)  # T-120
    assert diary(book.engine, standard["id"])[31][:2] == ["opened", "skipped early_planning"]


def test_milestones_go_on_track_behind_stuck_and_back_when_done(book: Book) -> None:
    account = book.planted("healthy_control")[1]
    _renew_on(book, account, AS_OF + timedelta(days=120))
    account_id = book.account_id(account)
    walk(book.engine, [account_id], 12)
    run_id = run_of(book.engine, account_id, PLAY)["id"]
    assert _milestones(book, run_id, AS_OF) == {
        "early_planning": "skipped",
        "preview": "on_track",
        "value_proof": "on_track",
        "decision_makers": "on_track",
        "contracting": "on_track",
        "verbal_commit": "on_track",
        "finalisation": "on_track",
        "signature_chase": "on_track",
        "final_check": "on_track",
        "renewal_day": "on_track",
        "alignment_qbr": "on_track",
        "negotiation": "on_track",
        "timeline": "on_track",
    }
    one = _milestones(book, run_id, AS_OF + timedelta(days=1))
    assert one["preview"] == one["timeline"] == "behind"
    eleven = _milestones(book, run_id, AS_OF + timedelta(days=11))
    assert eleven["preview"] == "stuck"  # the next milestone (value proof, T-110) is due too
    assert eleven["value_proof"] == "behind" and eleven["timeline"] == "stuck"
    with book.engine.connect() as conn:
        tasks = dict(conn.execute(select(Task.step, Task.id).where(Task.run_id == run_id)).all())
    with book.engine.begin() as conn:
        play_controls.complete_task(conn, tasks["value_proof"], AS_OF + timedelta(days=12), by="dana@cs")
    twelve = _milestones(book, run_id, AS_OF + timedelta(days=12))
    assert twelve["value_proof"] == "on_track" and twelve["preview"] == "stuck"
    with book.engine.begin() as conn:
        play_controls.complete_task(conn, tasks["preview"], AS_OF + timedelta(days=12), by="dana@cs")
    after = _milestones(book, run_id, AS_OF + timedelta(days=12))
    assert after["preview"] == after["value_proof"] == after["timeline"] == "on_track"


def test_rituals_carry_agenda_owner_and_documents(book: Book) -> None:
    account = book.planted("healthy_control")[2]
    _renew_on(book, account, AS_OF + timedelta(days=120))
    account_id = book.account_id(account)
    walk(book.engine, [account_id], 24)
    run_id = run_of(book.engine, account_id, PLAY)["id"]
    with book.engine.connect() as conn:
        tasks = {r["step"]: r for r in conn.execute(select(Task).where(Task.run_id == run_id)).mappings()}
        documents = {r["kind"]: r for r in conn.execute(select(Artifact).where(Artifact.run_id == run_id)).mappings()}
        offers = conn.execute(select(Offer).where(Offer.run_id == run_id)).mappings().all()
        emails = conn.execute(select(OutboxMessage.template).where(OutboxMessage.run_id == run_id)).scalars().all()
    preview = tasks["preview"]
    assert preview["owner_role"] == "csm" and preview["detail"]["audience"] == "internal"
    assert preview["detail"]["agenda"][0].startswith("Health, trend")
    assert tasks["negotiation"]["owner_role"] == "ae" and tasks["negotiation"]["due_on"] == AS_OF + timedelta(days=30)
    assert set(documents) == {"readiness_report", "value_recap", "offer_sheet", "approvals_checklist"}
    report = documents["readiness_report"]
    assert report["produced_by"] == "deterministic" and "Renewal readiness" in report["title"]
    assert "## Health" in report["content"] and "Green" in report["content"]
    assert [o["kind"] for o in offers] == ["renewal"] and offers[0]["status"] == "proposed"
    assert f"Offer {offers[0]['id']}: renewal" in documents["offer_sheet"]["content"]
    assert f"Offer {offers[0]['id']}" in documents["approvals_checklist"]["content"]
    assert "renewal_value_recap" in emails


def test_renewal_evidence_completes_milestones_and_the_run_closes_renewed_at_t_plus_30(book: Book) -> None:
    account = book.planted("healthy_control")[0]
    end = AS_OF + timedelta(days=20)
    _renew_on(book, account, end)
    account_id = book.account_id(account)
    walk(book.engine, [account_id], 10)
    import_records(
        book.engine,
        "contract",
        [
            {
                "external_id": f"{account}-RENEWED",
                "account_external_id": account,
                "start_date": (end + timedelta(days=1)).isoformat(),
                "end_date": (end + timedelta(days=366)).isoformat(),
                "arr": "20000",
                "status": "active",
            }
        ],
        source="test",
    )
    walk(book.engine, [account_id], 42, start=AS_OF + timedelta(days=10))
    run_row = run_of(book.engine, account_id, PLAY)
    assert run_row["status"] == "closed" and run_row["outcome"] == "renewed"
    assert run_row["closed_on"] == end + timedelta(days=30)
    with book.engine.connect() as conn:
        done = dict(conn.execute(select(Task.step, Task.completed_by).where(Task.run_id == run_row["id"])).all())
    for step in ("verbal_commit", "finalisation", "signature_chase", "final_check", "renewal_day"):
        assert done[step] == "evidence: renewed", step
    log = diary(book.engine, run_row["id"])
    assert log[1][:3] == ["opened", "skipped early_planning", "skipped preview"]  # long past when it began


def test_forecast_flags_a_disagreement_from_t_minus_90_once(book: Book) -> None:
    account = book.planted("usage_decline")[1]
    contract_id = _renew_on(book, account, AS_OF + timedelta(days=100))
    account_id = book.account_id(account)
    playbook, forecast = configs()
    with book.engine.begin() as conn:
        record_call(conn, contract_id, AS_OF, "commit", by="dana@cs", note="they always renew")
    for n in range(13):
        advance(book.engine, AS_OF + timedelta(days=n), [account_id], playbook=playbook, forecast=forecast)
    with book.engine.connect() as conn:
        rows = (
            conn.execute(
                select(RenewalForecast)
                .where(RenewalForecast.contract_id == contract_id)
                .order_by(RenewalForecast.as_of)
            )
            .mappings()
            .all()
        )
        flags = conn.execute(
            select(OutboxMessage.subject, OutboxMessage.body, OutboxMessage.facts).where(
                OutboxMessage.dedupe_key.like(f"forecast-flag:{contract_id}:%")
            )
        ).all()
    first = rows[0]
    assert first["category"] == "at_risk" and first["band"] in ("Yellow", "Orange", "Red")
    at_risk = next(c.probability for c in forecast.categories if c.name == "at_risk")
    assert first["probability"] == at_risk
    assert float(first["weighted_arr"]) == pytest.approx(float(first["arr"]) * at_risk)
    assert (first["csm_category"], first["disagreement"], first["flagged"]) == ("commit", True, False)
    flagged = [r["as_of"] for r in rows if r["flagged"]]
    assert flagged and flagged[0] == AS_OF + timedelta(days=10)  # T-90
    assert len(flags) == 1 and "system at_risk, CSM commit" in flags[0].subject
    # Every figure, date and name of the notice traces to the record it was written from.
    assert check(f"{flags[0].subject}\n{flags[0].body}", flags[0].facts).faithful


def _cli(book: Book, *args: str) -> str:
    result = CliRunner().invoke(app, ["--database-url", book.database_url, *args], env={"COLUMNS": "220"})
    assert result.exit_code == 0, result.output
    return result.output


def test_the_list_and_the_detail_view_give_a_contract_the_same_status(book: Book) -> None:
    """The list read the status the forecast stored on the day it ran; the detail view computed it on the
    day asked. Three weeks after the last run they told a CSM 'on track' and 'stuck' for the same contract."""
    account = book.planted("healthy_control")[-1]
    contract_id = _renew_on(book, account, AS_OF + timedelta(days=1))
    playbook, forecast = configs()
    advance(book.engine, AS_OF, [book.account_id(account)], playbook=playbook, forecast=forecast)
    with book.engine.connect() as conn:
        external = conn.execute(select(Contract.external_id).where(Contract.id == contract_id)).scalar_one()
    later = (AS_OF + timedelta(days=20)).isoformat()
    listed = next(line for line in _cli(book, "renewals", "--as-of", later).splitlines() if external in line)
    shown = _cli(book, "renewals", "show", external, "--as-of", later)
    status = re.search(r"^timeline run \d+ \(\w+\), started [\d-]+: (\w+)", shown, re.M)
    assert status is not None and status.group(1) == "stuck"
    assert "stuck" in listed, listed
