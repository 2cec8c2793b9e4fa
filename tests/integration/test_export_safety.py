"""CSV export is safe to open in a spreadsheet, and still reads back to the same values, on SQLite and Postgres."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from sqlalchemy import select
from typer.testing import CliRunner

from cli.main import app as cli_app
from core.models import Account, AccountMetric, Interaction
from sources.exporter import export_csv
from sources.importer import import_file

#: name -> what a spreadsheet would do with it unescaped
FORMULAS = {
    "F1": '=HYPERLINK("http://evil.example","Click")',
    "F2": "+cmd|' /C calc'!A0",
    "F3": "-2+3",
    "F4": "@SUM(A1:A9)",
    "F5": "'=already quoted",
    "F6": "'plain apostrophe",
    "F7": "Plain Co",
}


def load(engine, tmp_path: Path) -> None:
    accounts = [{"external_id": k, "name": v, "plan": v} for k, v in FORMULAS.items()]
    (tmp_path / "a.json").write_text(json.dumps(accounts), encoding="utf-8")
    import_file(engine, "account", tmp_path / "a.json")
    metrics = [
        {"account_external_id": "F1", "date": "2026-01-01", "name": "net_change", "value": -5.5},
        {"account_external_id": "F1", "date": "2026-01-02", "name": "net_change", "value": 3},
    ]
    (tmp_path / "m.json").write_text(json.dumps(metrics), encoding="utf-8")
    import_file(engine, "account_metric", tmp_path / "m.json")
    interaction = {
        "external_id": "X1",
        "account_external_id": "F2",
        "kind": "email",
        "occurred_at": "2026-01-01T10:00:00",
        "subject": "=1+1",
        "body": "@everyone please =SUM(1)",
    }
    (tmp_path / "x.jsonl").write_text(json.dumps(interaction) + "\n", encoding="utf-8")
    import_file(engine, "interaction", tmp_path / "x.jsonl")


def export(engine, entity: str, *, raw: bool = False) -> str:
    buffer = io.StringIO()
    export_csv(engine, entity, buffer, raw=raw)
    return buffer.getvalue()


def cells(text: str, column: str) -> dict[str, str]:
    rows = list(csv.DictReader(io.StringIO(text)))
    key = "external_id" if "external_id" in rows[0] else "date"
    return {row[key]: row[column] for row in rows}


def test_text_cells_that_a_spreadsheet_would_run_are_quoted(engine, tmp_path: Path) -> None:
    load(engine, tmp_path)
    names = cells(export(engine, "account"), "name")
    assert names == {
        "F1": "'" + FORMULAS["F1"],
        "F2": "'" + FORMULAS["F2"],
        "F3": "'-2+3",
        "F4": "'@SUM(A1:A9)",
        "F5": "''=already quoted",
        "F6": "'plain apostrophe",
        "F7": "Plain Co",
    }
    interaction = next(csv.DictReader(io.StringIO(export(engine, "interaction"))))
    assert (interaction["subject"], interaction["body"]) == ("'=1+1", "'@everyone please =SUM(1)")


def test_negative_numbers_stay_numbers(engine, tmp_path: Path) -> None:
    load(engine, tmp_path)
    assert cells(export(engine, "account_metric"), "value") == {"2026-01-01": "-5.5", "2026-01-02": "3.0"}


def test_raw_export_writes_values_verbatim(engine, tmp_path: Path) -> None:
    load(engine, tmp_path)
    assert cells(export(engine, "account", raw=True), "name") == FORMULAS


def test_both_exports_read_back_to_the_stored_values(engine, tmp_path: Path) -> None:
    load(engine, tmp_path)
    before = _stored(engine)
    safe, raw = tmp_path / "safe.csv", tmp_path / "raw.csv"
    safe.write_text(export(engine, "account"), encoding="utf-8")
    raw.write_text(export(engine, "account", raw=True), encoding="utf-8")
    assert import_file(engine, "account", safe).unchanged == len(FORMULAS)
    assert import_file(engine, "account", raw, raw=True).unchanged == len(FORMULAS)
    x = tmp_path / "x.csv"
    x.write_text(export(engine, "interaction"), encoding="utf-8")
    assert import_file(engine, "interaction", x).unchanged == 1
    m = tmp_path / "m.csv"
    m.write_text(export(engine, "account_metric"), encoding="utf-8")
    assert import_file(engine, "account_metric", m).unchanged == 2
    assert _stored(engine) == before


def test_cli_export_and_import_take_raw(database_url: str, engine, tmp_path: Path) -> None:
    load(engine, tmp_path)
    runner = CliRunner()
    out = tmp_path / "raw.csv"
    result = runner.invoke(cli_app, ["--database-url", database_url, "export", "account", "--raw", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert cells(out.read_text(encoding="utf-8"), "name") == FORMULAS
    back = runner.invoke(cli_app, ["--database-url", database_url, "import", "account", str(out), "--raw"])
    assert back.exit_code == 0, back.output
    assert "7 unchanged" in back.output


def _stored(engine) -> tuple:
    with engine.connect() as conn:
        return (
            sorted(conn.execute(select(Account.external_id, Account.name, Account.plan)).all()),
            sorted(conn.execute(select(AccountMetric.date, AccountMetric.value)).all()),
            sorted(conn.execute(select(Interaction.subject, Interaction.body)).all()),
        )
