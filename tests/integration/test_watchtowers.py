"""The weekly cycle on a seeded book: planted scenarios raise their alerts, controls stay quiet,
re-runs change nothing, a dead LLM endpoint degrades to rules, and untrusted text changes nothing."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import delete, select, text, update
from sqlalchemy.engine import Engine

from core.models import (
    Account,
    AgentOutput,
    AgentRun,
    Alert,
    Contact,
    Interaction,
    Invoice,
    Offer,
    OutboxMessage,
    PlayRun,
    RiskCase,
    Scorecard,
    SurveyResponse,
)
from evals.alert_labels import EXPECTED, evaluate, read_labels
from scorecards.weekly import account_ids_for
from sources.synthetic import text as pools
from tests.integration.helpers import AS_OF, seed_small_book, watchtower_rows
from tests.integration.watchtower_support import run

BOOK = 140  # 4 accounts per planted scenario, 7 healthy controls, 1 injection attempt, 1 hostile text


@pytest.fixture
def book(engine: Engine, tmp_path: Path) -> dict[str, set[str]]:
    seed_small_book(engine, accounts=BOOK, seed=11, labels_dir=tmp_path)
    return read_labels(tmp_path / "labels.jsonl")


def _alerts(engine: Engine, account: str | None = None) -> set[tuple[str, str, str]]:
    query = "SELECT a.external_id, al.type, al.reason FROM alert al JOIN account a ON a.id = al.account_id"
    query += " WHERE al.status = 'open'"
    with engine.connect() as conn:
        rows = conn.execute(text(query)).all()
    return {tuple(r) for r in rows if account is None or r[0] == account}  # type: ignore[misc]


def test_every_planted_scenario_raises_its_alert_and_controls_stay_quiet(
    engine: Engine, database_url: str, book: dict[str, set[str]]
) -> None:
    _, result = run(engine, database_url, AS_OF)
    assert result["status"] == "succeeded"
    report = evaluate(engine, book)
    for scenario, alert_type in EXPECTED.items():
        score = report.scores[alert_type]
        assert score.planted > 0, scenario
        assert report.missed[scenario] == [], f"{scenario}: no {alert_type} alert on {report.missed[scenario]}"
    assert report.controls >= 5
    assert report.controls_alerted == []
    for alert_type in EXPECTED.values():
        # The seeds' usage alert fires on a 10% fall: a nine-seat team one login short of its month
        # is that, in a book whose usage varies week to week as real usage does. One such account in
        # the book is noise; more would be the alert, not the data.
        allowed = 1 if alert_type == "usage_decline" else 0
        assert len(report.unexpected[alert_type]) <= allowed, f"{alert_type} on unplanted accounts"


def test_rerunning_the_same_date_changes_nothing(engine: Engine, database_url: str, book: dict[str, set[str]]) -> None:
    run(engine, database_url, AS_OF)
    first = watchtower_rows(engine)
    _, again = run(engine, database_url, AS_OF)
    assert watchtower_rows(engine) == first
    assert again["counts"]["alerts_opened"] == 0
    assert again["counts"].get("alerts_resolved", 0) == 0
    assert again["counts"].get("movements_logged", 0) == 0
    with engine.connect() as conn:
        runs = conn.execute(select(AgentRun.status, AgentRun.llm_calls).order_by(AgentRun.id)).all()
    assert [tuple(r) for r in runs] == [("succeeded", 0), ("succeeded", 0)]


def test_alerts_resolve_when_the_condition_clears_and_reopen_as_new(
    engine: Engine, database_url: str, book: dict[str, set[str]]
) -> None:
    overdue = sorted(a for a, s in book.items() if "overdue_invoice" in s)[0]
    run(engine, database_url, AS_OF)
    assert (overdue, "overdue_invoice", "days_overdue") in _alerts(engine)
    with engine.begin() as conn:
        account_id = conn.execute(text(f"SELECT id FROM account WHERE external_id = '{overdue}'")).scalar_one()
        open_invoices = update(Invoice).where(Invoice.account_id == account_id, Invoice.paid_on.is_(None))
        conn.execute(open_invoices.values(paid_on=AS_OF, status="paid"))
    run(engine, database_url, AS_OF + timedelta(days=1), account_ids=[account_id])
    assert (overdue, "overdue_invoice", "days_overdue") not in _alerts(engine)
    with engine.connect() as conn:
        resolved = conn.execute(
            select(Alert.status, Alert.resolved_on).where(
                Alert.account_id == account_id, Alert.type == "overdue_invoice"
            )
        ).all()
    assert [tuple(r) for r in resolved] == [("resolved", AS_OF + timedelta(days=1))]


def test_a_dead_llm_endpoint_degrades_to_rules_and_loses_nothing(
    engine: Engine, database_url: str, book: dict[str, set[str]]
) -> None:
    dead = {
        "llm_model": "any",
        "llm_base_url": "http://127.0.0.1:9/v1",  # discard port: connection refused
        "llm_max_attempts": 2,
        "llm_backoff_max_seconds": 0,
        "llm_timeout_seconds": 2,
    }
    accounts = sorted(a for a, s in book.items() if s & {"nps_detractor", "champion_departure"})[:3]
    chosen = account_ids_for(engine, accounts)
    _, down = run(engine, database_url, AS_OF, account_ids=chosen, settings=dead)
    assert down["status"] == "degraded"
    degraded = _alerts(engine)
    with engine.connect() as conn:
        record = conn.execute(select(AgentRun).order_by(AgentRun.id.desc())).mappings().first()
        produced = set(conn.execute(text("SELECT DISTINCT produced_by FROM agent_output")).scalars())
    assert record["llm_fallbacks"] > 0 and record["llm_calls"] == 2 * record["llm_fallbacks"]
    assert any("model unavailable (could not connect)" in n for n in record["notes"])
    assert "llm_with_fallback" in produced
    # The same accounts on the rule path from the start give the same alerts.
    with engine.begin() as conn:
        conn.execute(delete(Alert))
    run(engine, database_url, AS_OF, account_ids=chosen)
    assert _alerts(engine) == degraded
    assert {a for a, *_ in degraded} == set(accounts)


def test_manipulative_text_changes_nothing_but_honest_sentiment(
    engine: Engine, database_url: str, book: dict[str, set[str]]
) -> None:
    planted = sorted(a for a, s in book.items() if "injection_attempt" in s)
    assert planted
    run(engine, database_url, AS_OF)
    with_text = {a: _alerts(engine, a) for a in planted}
    with engine.connect() as conn:
        scores = dict(
            conn.execute(
                text("SELECT a.external_id, s.score FROM scorecard s JOIN account a ON a.id = s.account_id")
            ).all()
        )
    plays_with = _plays(engine, planted)
    # The texts read as neither threats nor cancellations, and ask for nothing that happens.
    for account, alerts in with_text.items():
        assert not {t for _, t, _ in alerts} & {"escalation", "cancel_intent"}, account
    assert not any(kind == "discount" for _, kind in plays_with["offers"]), "no text can propose a discount"
    # Remove the manipulative texts and run again on a clean slate: the same alerts, scores and plays.
    with engine.begin() as conn:
        for line in pools.MANIPULATIVE:
            conn.execute(delete(Interaction).where(Interaction.body.contains(line)))
        for table in (Offer, OutboxMessage, PlayRun, RiskCase, Alert, Scorecard):
            conn.execute(delete(table))
    run(engine, database_url, AS_OF)
    assert {a: _alerts(engine, a) for a in planted} == with_text
    assert _plays(engine, planted) == plays_with
    with engine.connect() as conn:
        after = dict(
            conn.execute(
                text("SELECT a.external_id, s.score FROM scorecard s JOIN account a ON a.id = s.account_id")
            ).all()
        )
    assert {a: after[a] for a in planted} == {a: scores[a] for a in planted}


def _plays(engine: Engine, accounts: list[str]) -> dict[str, set[tuple[str, str]]]:
    """The plays opened and the offers proposed on these accounts, by what they are rather than by id."""
    with engine.connect() as conn:
        runs = conn.execute(
            select(Account.external_id, PlayRun.play)
            .join(PlayRun, PlayRun.account_id == Account.id)
            .where(Account.external_id.in_(accounts))
        ).all()
        offers = conn.execute(
            select(Account.external_id, Offer.kind)
            .join(Offer, Offer.account_id == Account.id)
            .where(Account.external_id.in_(accounts))
        ).all()
    return {"runs": {tuple(r) for r in runs}, "offers": {tuple(o) for o in offers}}  # type: ignore[misc]


def test_stakeholder_map_names_roles_quotes_and_departures(
    engine: Engine, database_url: str, book: dict[str, set[str]]
) -> None:
    departed = sorted(a for a, s in book.items() if "champion_departure" in s)[0]
    detractor = sorted(a for a, s in book.items() if "nps_detractor" in s)[0]
    run(engine, database_url, AS_OF, agents=["sentiment", "market_intel"])
    with engine.connect() as conn:
        payloads = {
            (ext, agent): payload if isinstance(payload, dict) else json.loads(payload)
            for ext, agent, payload in conn.execute(
                text(
                    "SELECT a.external_id, o.agent, o.payload FROM agent_output o JOIN account a ON a.id = o.account_id"
                )
            )
        }
        texts = " ".join(conn.execute(select(Interaction.body)).scalars())
        texts += " ".join(v for v in conn.execute(select(SurveyResponse.verbatim)).scalars() if v)
    stakeholders = payloads[(departed, "sentiment")]["stakeholders"]
    champion = next(s for s in stakeholders if "champion" in s["roles"])
    assert champion["departed"] is True
    movements = payloads[(departed, "market_intel")]["movements"]
    assert {m["source"].split(":")[0] for m in movements if m["person"] == champion["name"]} >= {
        "contact",
        "market_signal",
    }
    sentiment = payloads[(detractor, "sentiment")]
    assert sentiment["detractors"]
    assert sentiment["risk_themes"]
    quotes = [q["quote"] for s in sentiment["stakeholders"] for q in s["quotes"]]
    assert quotes and all(q in texts for q in quotes)
    for s in sentiment["stakeholders"]:
        assert s["engagement_trend"] in {"rising", "steady", "falling", "none"}


def test_bad_data_in_one_account_skips_it_alone_and_a_rerun_completes_it(
    engine: Engine, database_url: str, book: dict[str, set[str]]
) -> None:
    with engine.connect() as conn:
        ids = list(conn.execute(text("SELECT id FROM account WHERE churned_on IS NULL ORDER BY id")).scalars())
        contact_id, roles = conn.execute(
            select(Contact.id, Contact.roles).where(Contact.account_id == ids[-1]).order_by(Contact.id)
        ).first()
    # Roles that are not a list (written around the importer, which would refuse them).
    with engine.begin() as conn:
        conn.execute(update(Contact).where(Contact.id == contact_id).values(roles="champion"))
    _, result = run(engine, database_url, AS_OF)
    with engine.connect() as conn:
        record = conn.execute(select(AgentRun.status, AgentRun.notes, AgentRun.counts)).one()
        reviewed = set(conn.execute(select(AgentOutput.account_id).distinct()).scalars())
    assert result["status"] == record.status == "partial"
    assert record.counts["accounts_failed"] == 1
    assert any(note.startswith(f"account {ids[-1]} skipped: ValidationError") for note in record.notes)
    assert reviewed == set(ids) - {ids[-1]}  # nothing half-written for the bad account
    with engine.begin() as conn:
        conn.execute(update(Contact).where(Contact.id == contact_id).values(roles=roles))
    _, again = run(engine, database_url, AS_OF)
    assert again["status"] == "succeeded"
    done = watchtower_rows(engine)
    assert len(done["agent_output"]) == 4 * len(ids)
    report = evaluate(engine, book)
    assert all(not missed for missed in report.missed.values())
    run(engine, database_url, AS_OF)
    assert watchtower_rows(engine) == done
