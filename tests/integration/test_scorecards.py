"""Scoring the book through the CLI and the service, on SQLite and Postgres."""

from __future__ import annotations

import csv
import json
from datetime import date, timedelta
from pathlib import Path

import pytest
import yaml
from sqlalchemy import func
from sqlmodel import Session, select
from typer.testing import CliRunner

from api.models import ScoreReason
from cli.main import app
from core.config_files import SHIPPED_DIR
from core.db import make_engine
from core.models import Account, Scorecard
from scorecards.weekly import ScoringConfig, score_book
from sources.importer import import_file
from tests.integration.helpers import AS_OF, seed_small_book

runner = CliRunner()


def wt(url: str, *args: str):
    result = runner.invoke(app, ["--database-url", url, *args])
    return result


def scorecards(engine, as_of: date) -> dict[str, Scorecard]:
    with Session(engine) as session:
        rows = session.exec(
            select(Account.external_id, Scorecard)
            .join(Account, Account.id == Scorecard.account_id)
            .where(Scorecard.as_of == as_of)
        ).all()
        return {ext: card for ext, card in rows}


def test_score_exports_one_row_per_account_with_group_columns(engine, database_url: str, tmp_path: Path) -> None:
    seed_small_book(engine, accounts=20)
    out = tmp_path / "scores.csv"
    result = wt(database_url, "score", "--as-of", AS_OF.isoformat(), "--export", str(out))
    assert result.exit_code == 0, result.output
    with engine.connect() as conn:
        customers = conn.execute(
            select(func.count()).select_from(Account).where(Account.status == "active")
        ).scalar_one()
    assert f"scored {customers} accounts" in result.output
    rows = list(csv.DictReader(out.open()))
    assert len(rows) == customers
    assert list(rows[0]) == [
        "account_external_id", "as_of", "score", "band", "completeness", "trend",
        "product_usage", "adoption", "relationship", "sentiment", "support", "financial",
    ]  # fmt: skip
    assert {r["band"] for r in rows} <= {"Green", "Yellow", "Orange", "Red"}
    assert all(0 <= float(r["score"]) <= 100 for r in rows)


def test_rescoring_a_date_replaces_and_never_duplicates(engine, database_url: str) -> None:
    seed_small_book(engine, accounts=10)
    config = ScoringConfig.load()
    score_book(engine, config, AS_OF)
    score_book(engine, config, AS_OF)
    score_book(engine, config, AS_OF - timedelta(days=7))
    with engine.connect() as conn:
        per_date = dict(conn.execute(select(Scorecard.as_of, func.count()).group_by(Scorecard.as_of)).all())
    assert per_date == {AS_OF: 10, AS_OF - timedelta(days=7): 10}


def test_trend_is_the_change_against_thirty_days_earlier(engine) -> None:
    seed_small_book(engine, accounts=15)
    config = ScoringConfig.load()
    score_book(engine, config, AS_OF - timedelta(days=30))
    score_book(engine, config, AS_OF)
    then, now = scorecards(engine, AS_OF - timedelta(days=30)), scorecards(engine, AS_OF)
    for ext, card in now.items():
        assert card.previous_score == then[ext].score
        assert card.trend == pytest.approx(round(card.score - then[ext].score, 1))


def test_planted_scenarios_land_in_the_expected_bands_for_the_planted_reason(engine, tmp_path: Path) -> None:
    seed_small_book(engine, accounts=150, seed=11, labels_dir=tmp_path)
    score_book(engine, ScoringConfig.load(), AS_OF)
    cards = scorecards(engine, AS_OF)
    labels = [json.loads(line) for line in (tmp_path / "labels.jsonl").read_text().splitlines()]
    cause = {
        "usage_decline": {
            "login_change",
            "login_frequency",
            "recency",
            "quarterly_trend",
            "active_users_vs_baseline",
            "logins_vs_baseline",
        },
        "nps_detractor": {"latest_nps", "detractor_share"},
        "champion_departure": {"champion_present"},
    }
    seen = 0
    for label in labels:
        if label["scenario"] not in (*cause, "healthy_control"):
            continue
        card = cards[label["account_external_id"]]
        if label["scenario"] in cause:
            seen += 1
            assert card.band in ("Yellow", "Orange", "Red"), label
            assert card.reasons[0]["signal"] in cause[label["scenario"]], (label, card.reasons)
        if label["scenario"] == "healthy_control":
            assert card.band == "Green", (label, card.score, card.reasons)
    assert seen >= 12


def test_csm_assessment_is_shown_flags_disagreement_and_expires(engine, database_url: str) -> None:
    seed_small_book(engine, accounts=8)
    wt(database_url, "score", "--as-of", AS_OF.isoformat())
    card = scorecards(engine, AS_OF)["ACC-00001"]
    other = "Red" if card.band != "Red" else "Green"
    assessed = wt(
        database_url,
        "assess",
        "ACC-00001",
        "--band",
        other,
        "--as-of",
        (AS_OF - timedelta(days=3)).isoformat(),
        "--note",
        "gut feel",
    )
    assert assessed.exit_code == 0, assessed.output
    wt(database_url, "score", "--as-of", AS_OF.isoformat())
    card = scorecards(engine, AS_OF)["ACC-00001"]
    assert (card.csm_band, card.disagreement) == (other, True)
    later = AS_OF + timedelta(days=28)
    wt(database_url, "score", "--as-of", later.isoformat(), "--accounts", "ACC-00001")
    expired = scorecards(engine, later)["ACC-00001"]
    assert (expired.csm_band, expired.disagreement) == (None, False)
    refused = wt(database_url, "assess", "ACC-00001", "--band", "Purple")
    assert refused.exit_code == 1 and "use one of: Green, Yellow, Orange, Red" in refused.output


def test_a_teams_own_metric_feeds_the_model_without_code_changes(engine, database_url: str, tmp_path: Path) -> None:
    (tmp_path / "a.csv").write_text("external_id,name\nA1,Acme\nA2,Beta\n", encoding="utf-8")
    (tmp_path / "m.csv").write_text(
        "account_external_id,date,name,value\nA1,2026-11-01,exec_qbr_attendance,1\nA2,2026-11-01,exec_qbr_attendance,0\n"
        "A2,2026-01-01,exec_qbr_attendance,1\n",
        encoding="utf-8",
    )
    import_file(engine, "account", tmp_path / "a.csv")
    import_file(engine, "metric", tmp_path / "m.csv")
    model = yaml.safe_load((SHIPPED_DIR / "health_model.yaml").read_text())
    model["groups"].append(
        {
            "name": "exec_alignment",
            "weight": 20,
            "signals": [{"name": "qbr", "source": "metric:exec_qbr_attendance", "scale": {"worst": 0, "best": 1}}],
        }
    )
    path = tmp_path / "model.yaml"
    path.write_text(yaml.safe_dump(model), encoding="utf-8")
    result = wt(
        database_url, "score", "--as-of", AS_OF.isoformat(), "--model", str(path), "--export", str(tmp_path / "s.csv")
    )
    assert result.exit_code == 0, result.output
    rows = {r["account_external_id"]: r for r in csv.DictReader((tmp_path / "s.csv").open())}
    assert rows["A1"]["exec_alignment"] == "100.0"
    assert rows["A2"]["exec_alignment"] == "0.0"  # the older 1 is superseded by the latest value
    assert float(rows["A1"]["score"]) > float(rows["A2"]["score"])
    card = scorecards(engine, AS_OF)["A1"]
    [contribution] = [c for c in card.contributions if c["signal"] == "qbr"]
    assert contribution["evidence"] == ["account_metric exec_qbr_attendance 2026-11-01"]


def test_an_invalid_model_is_one_clear_error(database_url: str, tmp_path: Path) -> None:
    engine = make_engine(database_url)
    wt(database_url, "init")
    path = tmp_path / "m.yaml"
    path.write_text("version: x\ngroups: []\n", encoding="utf-8")
    result = wt(database_url, "score", "--model", str(path), "--as-of", AS_OF.isoformat())
    assert result.exit_code == 1
    assert f"{path}: groups:" in result.output
    assert "Traceback" not in result.output
    engine.dispose()


def test_customers_who_already_left_are_not_scored(engine, tmp_path: Path) -> None:
    seed_small_book(engine, accounts=60, seed=2, labels_dir=tmp_path)
    labels = [json.loads(line) for line in (tmp_path / "labels.jsonl").read_text().splitlines()]
    gone = {label["account_external_id"] for label in labels if label["scenario"] == "churned"}
    assert gone
    run = score_book(engine, ScoringConfig.load(), AS_OF)
    assert run.accounts == 60 - len(gone)
    assert not gone & set(scorecards(engine, AS_OF))


def test_reasons_compare_with_the_latest_earlier_scorecard(engine) -> None:
    from scorecards.reasons import explain

    seed_small_book(engine, accounts=20, seed=6)
    config = ScoringConfig.load()
    for days in (60, 30, 0):
        score_book(engine, config, AS_OF - timedelta(days=days))
    latest_before, now = scorecards(engine, AS_OF - timedelta(days=30)), scorecards(engine, AS_OF)
    for ext, card in now.items():
        baseline = latest_before[ext].contributions
        direction = sum(c["points"] for c in card.contributions) - sum(c["points"] for c in baseline)
        expected = [r.as_dict() for r in explain(card.contributions, baseline, direction=direction)]
        assert [r for r in card.reasons if r.get("kind") != "cap"] == expected, ext


def test_the_scorecard_names_the_cap_that_took_an_account_out_of_yellow(
    engine, database_url: str, tmp_path: Path
) -> None:
    (tmp_path / "a.csv").write_text("external_id,name\nA1,Acme\nA2,Beta\nA3,Core\n", encoding="utf-8")
    weeks = [AS_OF - timedelta(days=7 * n) for n in range(26, 0, -1)]  # the last one ends the day before AS_OF
    rows = ["account_external_id,period_start,period,logins,active_users"]
    for n, week in enumerate(weeks):
        collapsed = n >= 22
        rows.append(f"A1,{week},week,400,{30 + n % 2 if collapsed else 80}")
        rows += [f"A2,{week},week,400,80", f"A3,{week},week,400,80"]
    (tmp_path / "u.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    said = AS_OF - timedelta(days=12)
    (tmp_path / "i.csv").write_text(
        "external_id,account_external_id,kind,occurred_at,direction,body\n"
        f'X1,A2,email,{said}T10:00:00Z,inbound,"Hi Sam, we will not renew when the contract ends."\n'
        f'X2,A3,email,{said}T10:00:00Z,outbound,"If you cancel now you lose the discount."\n',
        encoding="utf-8",
    )
    for entity, name in (("account", "a.csv"), ("usage_snapshot", "u.csv"), ("interaction", "i.csv")):
        import_file(engine, entity, tmp_path / name)
    result = wt(database_url, "score", "--as-of", AS_OF.isoformat())
    assert result.exit_code == 0, result.output
    assert "band set by a cap or floor: cap stated_cancel_intent 1, cap usage_collapse 1" in result.output
    cards = scorecards(engine, AS_OF)
    collapsed, intent, ours = cards["A1"], cards["A2"], cards["A3"]
    assert (collapsed.band, intent.band, ours.band) == ("Orange", "Orange", "Green")
    first = collapsed.reasons[0]
    assert first["kind"] == "cap" and first["limit"] == "usage_collapse"
    assert first["text"] == (
        "capped at Orange: active users fell by half or more against the account's own level "
        "(active users vs own level -62%: 30.5 vs 80.0)"
    )
    assert intent.reasons[0]["text"].startswith("capped at Orange: the customer said in writing")
    assert intent.reasons[0]["evidence"] == ["interaction X1"]
    assert ScoreReason.model_validate(first).kind == "cap"
    # a row stored before caps had names still reads as a public reason
    older = {"signal": "login_change", "kind": "cap", "delta_points": -3.1, "text": "logins fell", "evidence": []}
    assert ScoreReason.model_validate(older).text == "logins fell"
