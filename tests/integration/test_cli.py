"""The command line as a person uses it, on SQLite and Postgres."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli.main import app
from core.db import make_engine
from tests.integration.helpers import database_fingerprint

runner = CliRunner()


def wt(database_url: str, *args: str):
    return runner.invoke(app, ["--database-url", database_url, *args])


def test_help_lists_the_commands() -> None:
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    for command in ("init", "import", "export", "seed", "summary", "formats"):
        assert command in result.output


def test_init_seed_summary_export(database_url: str, tmp_path: Path) -> None:
    assert wt(database_url, "init").exit_code == 0
    again = wt(database_url, "init")
    assert "up to date" in again.output
    labels = tmp_path / "labels"
    result = wt(
        database_url, "seed", "--accounts", "30", "--seed", "3", "--as-of", "2026-11-22", "--labels-dir", str(labels)
    )
    assert result.exit_code == 0, result.output
    assert "seeded 30 accounts" in result.output
    planted = [json.loads(line) for line in (labels / "labels.jsonl").read_text().splitlines()]
    assert {"usage_decline", "champion_departure", "nps_detractor", "overdue_invoice"} <= {
        p["scenario"] for p in planted
    }
    # every account still a customer has an outcome at its next renewal; those that already left do not
    lapsed = sum(p["scenario"] == "churned" for p in planted)
    assert lapsed >= 1
    assert (labels / "outcomes.csv").read_text().count("\n") == 1 + 30 - lapsed

    summary = wt(database_url, "summary", "--as-of", "2026-11-22")
    assert summary.exit_code == 0
    assert "Renewals in the next 90 days" in summary.output
    [total] = [line for line in summary.output.splitlines() if "total" in line]
    assert f" {30 - lapsed} " in total  # customers who already left are not in the book

    out = tmp_path / "contracts.csv"
    exported = wt(database_url, "export", "contracts", "--out", str(out))
    assert exported.exit_code == 0
    assert out.read_text().splitlines()[0].startswith("external_id,account_external_id,start_date,end_date")


def test_seed_refuses_to_mix_with_existing_data_unless_told(database_url: str, tmp_path: Path) -> None:
    wt(database_url, "init")
    args = ("seed", "--accounts", "5", "--as-of", "2026-11-22", "--labels-dir", str(tmp_path))
    assert wt(database_url, *args).exit_code == 0
    refused = wt(database_url, *args)
    assert refused.exit_code == 1
    assert "already holds accounts" in refused.output
    assert "--replace" in refused.output
    assert wt(database_url, *args, "--replace").exit_code == 0


def test_seed_is_deterministic_across_databases(database_url: str, tmp_path: Path) -> None:
    other = f"sqlite:///{tmp_path / 'other.db'}"
    for url in (database_url, other):
        wt(url, "init")
        assert (
            wt(
                url, "seed", "--accounts", "25", "--seed", "9", "--as-of", "2026-06-30", "--labels-dir", str(tmp_path)
            ).exit_code
            == 0
        )
    for entity in ("account", "usage", "interaction", "invoice", "survey", "market_signal"):
        assert wt(database_url, "export", entity).output == wt(other, "export", entity).output, entity


def test_bad_import_prints_every_error_and_exits_nonzero(database_url: str, tmp_path: Path) -> None:
    wt(database_url, "init")
    bad = tmp_path / "accounts.csv"
    bad.write_text("external_id,name,arr\nA1,Acme,12\nA2,,x\nA3,Gamma,-5\n", encoding="utf-8")
    before = database_fingerprint(
        __import__("core.db", fromlist=["make_engine"]).make_engine(database_url), database_url
    )
    result = wt(database_url, "import", "accounts", str(bad))
    assert result.exit_code == 1
    assert f"{bad}, line 3, field 'name'" in result.output
    assert f"{bad}, line 3, field 'arr'" in result.output
    assert f"{bad}, line 4, field 'arr'" in result.output
    assert "nothing was written" in result.output
    assert "Traceback" not in result.output
    assert database_fingerprint(make_engine(database_url), database_url) == before


def test_import_before_init_says_what_to_do(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    path = tmp_path / "a.csv"
    path.write_text("external_id,name\nA1,Acme\n", encoding="utf-8")
    result = wt(url, "import", "account", str(path))
    assert result.exit_code == 1
    assert "no Watchtower schema" in result.output and "watchtower init" in result.output


def test_unknown_entity_and_bad_date_are_one_line_errors(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'x.db'}"
    wt(url, "init")
    result = wt(url, "import", "widgets", str(tmp_path / "a.csv"))
    assert result.exit_code == 1 and "unknown entity 'widgets'" in result.output
    result = wt(url, "seed", "--as-of", "31/12/2026")
    assert result.exit_code == 1 and "--as-of must be a date like" in result.output


@pytest.mark.parametrize("day", ["0001-06-30", "9999-06-30"])
def test_a_date_far_outside_any_book_is_a_one_line_error(tmp_path: Path, day: str) -> None:
    """Years 1 and 9999 leave no room for the history or the renewals a book reads around its date."""
    url = f"sqlite:///{tmp_path / 'x.db'}"
    wt(url, "init")
    for args in (("seed", "--accounts", "3", "--as-of", day), ("score", "--as-of", day)):
        result = wt(url, *args)
        assert result.exit_code == 1 and "--as-of must be between 1900-01-01 and 2999-12-31" in result.output
        assert "unexpected" not in result.output


def test_formats_documents_every_entity() -> None:
    result = runner.invoke(app, ["formats"])
    assert result.exit_code == 0
    for name in ("account", "usage_snapshot", "account_metric", "plan_limits.<key>"):
        assert name in result.output


def _run(*args: str, env_extra: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **(env_extra or {})}
    return subprocess.run(
        [sys.executable, "-m", "cli.main", *args], capture_output=True, text=True, env=env, timeout=120
    )


def test_installed_entry_point_runs_and_hides_tracebacks_unless_debug(tmp_path: Path) -> None:
    url = "postgresql+psycopg://nobody@127.0.0.1:1/none"
    plain = _run("--database-url", url, "init")
    assert plain.returncode == 1
    assert plain.stderr.startswith("error: database unavailable")
    assert "hint:" in plain.stderr and "Traceback" not in plain.stderr
    debug = _run("--debug", "--database-url", url, "init")
    assert debug.returncode != 0 and "Traceback" in debug.stderr


@pytest.mark.parametrize("value", ["Not/AZone"])
def test_invalid_setting_from_the_environment_is_named(value: str) -> None:
    result = _run("formats", "account", env_extra={"WATCHTOWER_TIMEZONE": value})
    assert result.returncode == 1
    assert "timezone" in result.stdout + result.stderr


def test_an_unusable_database_path_is_one_line(tmp_path: Path) -> None:
    folder = tmp_path / "var"
    folder.mkdir()
    (folder / "watchtower.db").mkdir()  # a directory where the SQLite file should be
    result = wt(f"sqlite:///{folder / 'watchtower.db'}", "init")
    assert result.exit_code == 1
    assert result.output.startswith("error: ")
    assert "hint:" in result.output and "Traceback" not in result.output


def test_an_unexpected_failure_is_one_line_unless_debug(tmp_path: Path) -> None:
    """A corrupted value in the database is no case any handler knows; it must still not print a traceback."""
    url = f"sqlite:///{tmp_path / 'x.db'}"
    wt(url, "init")
    (tmp_path / "a.csv").write_text("external_id,name\nA1,Acme\n", encoding="utf-8")
    assert wt(url, "import", "accounts", str(tmp_path / "a.csv")).exit_code == 0
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.exec_driver_sql("UPDATE account SET plan_limits = '{not json'")
    engine.dispose()
    plain = _run("--database-url", url, "export", "accounts")
    assert plain.returncode == 1
    assert plain.stderr.startswith("error: unexpected JSONDecodeError")
    assert "--debug" in plain.stderr and "Traceback" not in plain.stderr
    debug = _run("--debug", "--database-url", url, "export", "accounts")
    assert debug.returncode == 1 and "Traceback" in debug.stderr


def test_config_errors_keep_the_bracketed_key_names(tmp_path: Path) -> None:
    """Rich would read groups[usage] as markup and print groups.signals.source; the key must survive."""
    path = tmp_path / "m.yaml"
    path.write_text(
        "version: x\ngroups:\n  - name: usage\n    weight: 1\n    signals:\n"
        "      - {name: logins, source: 'signal:nope', thresholds: {healthy: 2, at_risk: 1}}\n",
        encoding="utf-8",
    )
    result = _run("model", "check", str(path))
    assert result.returncode == 1
    assert "groups[usage].signals[logins].source: unknown derived signal 'nope'" in result.stderr
