"""Calibration, model apply and backtest through the CLI, on SQLite and Postgres."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select
from typer.testing import CliRunner

from cli.main import app
from core.config_files import PACKAGES_ROOT, SHIPPED_DIR
from core.models import HealthModelVersion
from scorecards.calibration import build_dataset, calibrate, read_outcomes
from scorecards.health_model import load_health_model
from scorecards.weekly import ScoringConfig
from tests.integration.helpers import AS_OF, seed_small_book

runner = CliRunner()


def wt(url: str, *args: str):
    return runner.invoke(app, ["--database-url", url, *args])


def test_calibration_learns_from_outcomes_and_never_applies_by_itself(
    engine, database_url: str, tmp_path: Path
) -> None:
    seed_small_book(engine, accounts=400, seed=4, labels_dir=tmp_path)
    active = (SHIPPED_DIR / "health_model.yaml").read_text()
    out = tmp_path / "proposed.yaml"
    result = wt(
        database_url,
        "calibrate",
        "--outcomes",
        str(tmp_path / "outcomes.csv"),
        "--as-of",
        AS_OF.isoformat(),
        "--out",
        str(out),
    )
    assert result.exit_code == 0, result.output
    assert "current model" in result.output and "proposed model (cross-validated)" in result.output
    assert "the logistic regression: cross-validated ROC AUC" in result.output
    assert "bands: proposed from the outcomes" in result.output or "bands: kept the current ones" in result.output
    assert (SHIPPED_DIR / "health_model.yaml").read_text() == active  # nothing activated
    proposal = load_health_model(out)  # the proposal is a valid model a person can review
    assert proposal.version.startswith(f"calibrated-{AS_OF}")
    assert "NOT ACTIVE" in out.read_text()
    # team metrics are candidates too, not only the signals already in the model
    sources = {s.source for g in proposal.groups for s in g.signals}
    assert sources - load_health_model(SHIPPED_DIR / "health_model.yaml").sources


def test_the_regression_beats_chance_on_seeded_outcomes(engine, tmp_path: Path) -> None:
    seed_small_book(engine, accounts=400, seed=4, labels_dir=tmp_path)
    config = ScoringConfig.load()
    dataset = build_dataset(engine, config, read_outcomes(tmp_path / "outcomes.csv"), AS_OF)
    result = calibrate(dataset, config.model, folds=4, as_of=AS_OF)
    assert result.logistic_cv.roc_auc > 0.6
    assert result.current.roc_auc > 0.6
    assert set(result.current.churn_by_band) <= {"Green", "Yellow", "Orange", "Red", "no data"}


def test_bad_outcomes_files_are_named(engine, database_url: str, tmp_path: Path) -> None:
    seed_small_book(engine, accounts=5)
    bad = tmp_path / "o.csv"
    bad.write_text("account_external_id,churned\nACC-00001,maybe\nACC-00002,1\n", encoding="utf-8")
    result = wt(database_url, "calibrate", "--outcomes", str(bad), "--out", str(tmp_path / "p.yaml"))
    assert result.exit_code == 1 and f"{bad}, line 2, field 'churned': must be 1 or 0" in result.output
    bad.write_text("account_external_id,churned\nNOPE,1\nACC-00002,0\n", encoding="utf-8")
    result = wt(database_url, "calibrate", "--outcomes", str(bad), "--out", str(tmp_path / "p.yaml"))
    assert result.exit_code == 1 and "not in the database, e.g. NOPE" in result.output


def test_model_apply_activates_a_reviewed_file_and_records_the_version(
    engine, database_url: str, tmp_path: Path
) -> None:
    seed_small_book(engine, accounts=10)
    target = tmp_path / "config" / "health_model.yaml"
    source = SHIPPED_DIR / "health_model_framework.yaml"
    result = wt(database_url, "model", "apply", str(source), "--to", str(target), "--by", "lead@cs.example")
    assert result.exit_code == 0, result.output
    assert target.read_text() == source.read_text()
    with engine.connect() as conn:
        version, by = conn.execute(select(HealthModelVersion.version, HealthModelVersion.applied_by)).one()
    assert (version, by) == ("framework-40-30-20-10-1", "lead@cs.example")
    broken = tmp_path / "broken.yaml"
    broken.write_text("version: x\ngroups: []\n", encoding="utf-8")
    refused = wt(database_url, "model", "apply", str(broken), "--to", str(target))
    assert refused.exit_code == 1 and "nothing was applied" in refused.output
    assert target.read_text() == source.read_text()


def test_backtest_measures_lead_time_and_retention_by_band(engine, database_url: str, tmp_path: Path) -> None:
    seed_small_book(engine, accounts=120, seed=8, labels_dir=tmp_path)
    churned = [json.loads(line) for line in (tmp_path / "labels.jsonl").read_text().splitlines() if '"churned"' in line]
    start = AS_OF - timedelta(days=300)
    in_window = [c for c in churned if c["planted_on"] >= start.isoformat()]
    result = wt(database_url, "backtest", "--from", start.isoformat(), "--to", AS_OF.isoformat())
    assert result.exit_code == 0, result.output
    assert f"{len(in_window)} churned in the period" in result.output
    assert "Renewals by band at T-90" in result.output
    for figure in ("Orange or Red at least 8 weeks before:", "in the 12 weeks before:", "at T-90: churn among Green"):
        assert figure in result.output
    assert "forecast at T-90: Brier" in result.output
    figures = json.loads(
        wt(database_url, "backtest", "--from", start.isoformat(), "--to", AS_OF.isoformat(), "--json").output
    )
    assert figures["churned_accounts"] == len(in_window)
    assert {"flagged_early_share", "false_alarm_share", "churn_ratio_t90"} <= set(figures["early_warning"])
    assert figures["forecast"]["t90"]["improvement"] is not None


def test_calibrate_never_writes_its_proposal_over_the_active_model_or_into_the_program(
    engine, database_url: str, tmp_path: Path, monkeypatch
) -> None:
    """A proposal is not active until a person applies it: ``--out`` may not be the shipped default (which is
    the active model of a team without its own copy), the team's active copy, or a file among the packages."""
    seed_small_book(engine, accounts=60, seed=4, labels_dir=tmp_path)
    team = tmp_path / "team"
    team.mkdir()
    (team / "health_model.yaml").write_bytes((SHIPPED_DIR / "health_model.yaml").read_bytes())
    targets = [SHIPPED_DIR / "health_model.yaml", team / "health_model.yaml", PACKAGES_ROOT / "scorecards" / "p.yaml"]
    saved = {t: t.read_bytes() for t in targets if t.exists()}
    try:
        for target in targets:
            monkeypatch.setenv("WATCHTOWER_CONFIG_DIR", str(team if target.parent == team else tmp_path / "none"))
            result = wt(
                database_url, "calibrate", "--outcomes", str(tmp_path / "outcomes.csv"), "--as-of",
                AS_OF.isoformat(), "--out", str(target),
            )  # fmt: skip
            assert result.exit_code == 1 and "nothing was written" in result.output, (target, result.output)
            assert (target.read_bytes() if target.exists() else None) == saved.get(target), target
    finally:  # a failure must not leave the shipped default or the checkout changed
        for target in targets:
            if target in saved:
                target.write_bytes(saved[target])
            else:
                target.unlink(missing_ok=True)
