"""The forecast replayed before past renewals: no fact from after the checkpoint, and the CLI around it."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from cli.main import app
from core.models import Account, Contract
from playbooks.forecast import load_forecast_config
from playbooks.forecast_replay import replay_forecast
from playbooks.play_engine import load_play_configs
from scorecards.weekly import ScoringConfig
from tests.integration.helpers import AS_OF, seed_small_book
from tests.integration.play_support import customer_replies

START = AS_OF - timedelta(days=365)


def _replay(engine: Engine) -> dict[tuple[int, int], tuple[str, dict]]:
    _, forecast = load_play_configs()
    rows = replay_forecast(engine, ScoringConfig.load(), forecast, START, AS_OF)
    return {(r.contract_id, r.days_before): (r.category, r.facts) for r in rows}


def test_a_reply_after_a_checkpoint_changes_only_the_checkpoints_after_it(engine: Engine, tmp_path: Path) -> None:
    seed_small_book(engine, accounts=40, seed=11, labels_dir=tmp_path)
    before = _replay(engine)
    assert {d for _, d in before} == {120, 90, 30}
    contract_id = next(c for c, d in before if d == 90)
    with engine.connect() as conn:
        account_id, end = conn.execute(
            select(Contract.account_id, Contract.end_date).where(Contract.id == contract_id)
        ).one()
        external = conn.execute(select(Account.external_id).where(Account.id == account_id)).scalar_one()
    customer_replies(engine, external, end - timedelta(days=60))
    after = _replay(engine)
    assert after[(contract_id, 30)][1]["days_since_engagement"] == 30
    for key, value in before.items():
        if key[1] > 60 or key[0] != contract_id:
            assert after[key] == value, key  # nothing dated after a checkpoint reaches back into it


def test_backtest_scores_the_forecast_and_calibrate_only_proposes(database_url: str, tmp_path: Path) -> None:
    runner = CliRunner()

    def wt(*args: str):
        result = runner.invoke(app, ["--database-url", database_url, *args], env={"COLUMNS": "160"})
        assert result.exit_code == 0, result.output
        return result.output

    wt("init")
    wt("seed", "--accounts", "40", "--seed", "11", "--as-of", AS_OF.isoformat(), "--labels-dir", str(tmp_path))
    shown = wt("backtest", "--from", START.isoformat(), "--to", AS_OF.isoformat())
    for checkpoint in ("T-120", "T-90", "T-30"):
        assert checkpoint in shown
    assert "base-rate Brier" in shown and "Reliability" in shown
    out = tmp_path / "proposal" / "forecast.yaml"
    proposed = wt("calibrate", "--forecast", "--from", START.isoformat(), "--to", AS_OF.isoformat(), "--out", str(out))
    assert "the active forecast is unchanged" in proposed
    text = out.read_text(encoding="utf-8")
    assert text.startswith("# Proposed by `watchtower calibrate --forecast`") and "NOT ACTIVE" in text
    proposal = load_forecast_config(out)
    assert [c.name for c in proposal.categories] == ["churn", "at_risk", "upside", "commit"]
    team = tmp_path / "team"
    assert not (team / "forecast.yaml").exists()
    wt("model", "apply", "--forecast", str(out), "--to", str(team / "forecast.yaml"))
    assert load_forecast_config(team / "forecast.yaml") == proposal
