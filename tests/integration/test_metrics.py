"""`watchtower metrics` on the seeded synthetic book, on SQLite and Postgres, checked against a
straightforward recomputation from the contract rows."""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from cli.main import app
from core.db import make_engine

runner = CliRunner()
START, END = date(2026, 7, 1), date(2026, 9, 30)


def wt(database_url: str, *args: str, columns: int = 100):
    return runner.invoke(app, ["--database-url", database_url, *args], env={"COLUMNS": str(columns)})


@pytest.fixture
def seeded(database_url: str) -> str:
    assert wt(database_url, "init").exit_code == 0
    result = wt(database_url, "seed", "--accounts", "120", "--seed", "11", "--as-of", "2026-11-22")
    assert result.exit_code == 0, result.output
    return database_url


def _day(value: date | str | None) -> date | None:
    """SQLite hands raw-text queries back as ISO strings, Postgres as dates."""
    return date.fromisoformat(value) if isinstance(value, str) else value


def _book_arr(database_url: str, day: date) -> dict[str, Decimal]:
    """ARR per account on ``day`` the plain way: contracts whose dates cover the day, of accounts not yet churned
    (the synthetic book has no gaps between terms and no win-backs, so nothing more is needed)."""
    engine = make_engine(database_url)
    arr: dict[str, Decimal] = defaultdict(Decimal)
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT a.external_id, a.churned_on, c.start_date, c.end_date, c.arr "
                "FROM account a JOIN contract c ON c.account_id = a.id"
            )
        )
        for ext, churned_on, start, end, amount in rows:
            gone = _day(churned_on)
            if _day(start) <= day <= _day(end) and (gone is None or day < gone):
                arr[ext] += Decimal(str(amount or 0))
    engine.dispose()
    return dict(arr)


def test_nrr_grr_and_logo_retention_match_a_plain_recomputation(seeded: str) -> None:
    result = wt(seeded, "metrics", "--from", START.isoformat(), "--to", END.isoformat(), "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    got = {m["key"]: m for m in report["metrics"]}

    at_start = _book_arr(seeded, START)
    at_close = _book_arr(seeded, END + timedelta(days=1))
    start_arr = sum(at_start.values())
    kept = sum(min(at_close.get(a, Decimal(0)), arr) for a, arr in at_start.items())
    net = sum(at_close.get(a, Decimal(0)) for a in at_start)
    churned = [a for a in at_start if a not in at_close]

    assert len(at_start) > 50 and churned, "the seeded book should have a cohort with some churn in Q3"
    assert got["nrr"]["value"] == pytest.approx(float(net / start_arr))
    assert got["grr"]["value"] == pytest.approx(float(kept / start_arr))
    assert got["logo_retention"]["value"] == pytest.approx(1 - len(churned) / len(at_start))
    assert got["nrr"]["denominator"] == pytest.approx(float(start_arr))
    assert sorted(got["nrr"]["account_ids"]) == sorted(at_start)
    assert isinstance(got["nrr"]["components"]["churn"], float)
    assert got["nrr"]["formula"].startswith("NRR = ")


def test_the_table_shows_percent_money_and_formula_at_100_columns(seeded: str) -> None:
    as_json = json.loads(wt(seeded, "metrics", "--from", "2026-07-01", "--to", "2026-09-30", "--json").output)
    nrr = next(m for m in as_json["metrics"] if m["key"] == "nrr")
    result = wt(seeded, "metrics", "--from", "2026-07-01", "--to", "2026-09-30")
    assert result.exit_code == 0, result.output
    assert all(len(line) <= 100 for line in result.output.splitlines() if "│" in line)
    assert "Net revenue retention" in result.output
    assert f"{nrr['value'] * 100:.1f}%" in result.output
    assert f"USD {nrr['denominator']:,.0f}" in result.output
    assert "NRR = (start ARR + expansion" in result.output
    assert "no signed date" in result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--from", "2026-13-01"), "--from must be a date like 2026-03-31"),
        (("--from", "2026-09-30", "--to", "2026-07-01"), "--to 2026-07-01 is before --from 2026-09-30"),
        (("--segment", "Enterprise"), "segment: unknown segment 'Enterprise'; known: Core, Growth, Strategic"),
    ],
)
def test_bad_input_is_one_clear_line(seeded: str, args: tuple[str, ...], message: str) -> None:
    result = wt(seeded, "metrics", *args)
    assert result.exit_code == 1
    assert message in " ".join(result.output.split())
    assert "Traceback" not in result.output


def test_segment_filter_and_default_period(seeded: str) -> None:
    result = wt(seeded, "metrics", "--segment", "Core", "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["segment"] == "Core"
    start, end = date.fromisoformat(report["period_start"]), date.fromisoformat(report["period_end"])
    assert start.day == 1 and start.month in (1, 4, 7, 10) and (end - start).days in range(89, 92)


def test_to_alone_starts_at_its_quarter(seeded: str) -> None:
    report = json.loads(wt(seeded, "metrics", "--to", "2026-08-31", "--json").output)
    assert (report["period_start"], report["period_end"]) == ("2026-07-01", "2026-08-31")


def test_the_hand_computed_book_gives_the_same_figures_on_each_database(engine) -> None:
    """The unit tests' book (tests/unit/metrics_book.py), here also on Postgres: dates, money and the band query."""
    import metrics
    from tests.unit import metrics_book

    with engine.begin() as conn:
        metrics_book.build(conn)
        report = metrics.compute(conn, start=metrics_book.START, end=metrics_book.END, kinds=metrics_book.KINDS)
    assert report.get("nrr").numerator == Decimal("45500")
    assert report.get("grr").numerator == Decimal("38500")
    assert report.get("logo_retention").value == pytest.approx(5 / 6)
    assert {band: m.value for band, m in report.by_band.items()} == {"Green": 1.0, "Yellow": 0.75, "no score": 0.0}
    assert report.get("expansion_from_plays").value == 5_000.0
    assert report.get("risk_case_median_days").value == 40.0


def test_trend_shows_complete_periods_and_each_equals_its_single_period_report(seeded: str) -> None:
    result = wt(seeded, "metrics", "--trend", "quarter", "--count", "3", "--to", "2026-11-22", "--json")
    assert result.exit_code == 0, result.output
    reports = json.loads(result.output)
    assert [(r["period_start"], r["period_end"]) for r in reports] == [
        ("2026-01-01", "2026-03-31"),
        ("2026-04-01", "2026-06-30"),
        ("2026-07-01", "2026-09-30"),
    ]
    single = json.loads(wt(seeded, "metrics", "--from", "2026-04-01", "--to", "2026-06-30", "--json").output)
    assert reports[1]["metrics"] == single["metrics"]
    table = wt(seeded, "metrics", "--trend", "quarter", "--count", "3", "--to", "2026-11-22")
    assert table.exit_code == 0, table.output
    nrr_row = next(line for line in table.output.splitlines() if "Net revenue retention" in line)
    for report in reports:
        assert f"{report['metrics'][0]['value'] * 100:.1f}%" in nrr_row
    assert "2026 Q1" in table.output and "2026 Q3" in table.output
    bad = wt(seeded, "metrics", "--trend", "year")
    assert bad.exit_code == 1 and "--trend must be month or quarter, got 'year'" in bad.output


def test_a_broken_plays_file_is_named_not_a_traceback(seeded: str, tmp_path, monkeypatch) -> None:
    (tmp_path / "plays.yaml").write_text("plays: [\n", encoding="utf-8")
    monkeypatch.setenv("WATCHTOWER_CONFIG_DIR", str(tmp_path))
    result = wt(seeded, "metrics", "--from", "2026-07-01", "--to", "2026-09-30")
    assert result.exit_code == 1
    assert "plays.yaml (line 2): not valid YAML" in result.output
    assert "unexpected" not in result.output and "run 'watchtower config'" in result.output
