"""Partial re-imports on SQLite and Postgres: a file or event changes only the columns it carries.

An empty cell (or a JSON null) keeps what is stored unless the import asks to clear (``clear_empty``);
export followed by import reproduces every row, into an empty database or over the same one.
"""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.engine import Engine, make_url
from typer.testing import CliRunner

from api.app import create_app
from cli.main import app as cli_app
from core.db import make_engine
from core.models import Account, Contract, UsageSnapshot
from core.schema import upgrade
from core.settings import Settings
from sources.entities import ENTITIES, IMPORT_ORDER, EntitySpec
from sources.events import ingest_events
from sources.exporter import format_cell
from sources.importer import import_file
from tests.conftest import _libpq_dsn, postgres_url
from tests.integration.approval_support import NOW, POLICY, book_with_people, token_for
from tests.integration.helpers import export_all, seed_small_book, write_exports


@pytest.fixture
def empty_engine(database_url: str, tmp_path: Path) -> Iterator[Engine]:
    """A second, migrated and empty database on the same backend as ``engine``."""
    if database_url.startswith("sqlite"):
        eng = make_engine(f"sqlite:///{tmp_path / 'copy.db'}")
        upgrade(eng)
        yield eng
        eng.dispose()
        return
    schema = f"t_{uuid.uuid4().hex[:12]}"
    dsn = _libpq_dsn(postgres_url())
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    url = make_url(postgres_url()).update_query_dict({"options": f"-csearch_path={schema}"})
    eng = make_engine(url.render_as_string(hide_password=False))
    try:
        upgrade(eng)
        yield eng
    finally:
        eng.dispose()
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def file_columns(spec: EntitySpec) -> set[str]:
    """The columns a file needs to name its rows: the required ones and the natural key, in file terms."""
    key = {next((r.field for r in spec.references if r.column == k), k) for k in spec.key}
    return set(spec.required_fields) | key


def keep_columns(text: str, wanted: set[str], *, blank: set[str] = frozenset()) -> str:
    """The exported CSV cut down to ``wanted`` columns, with the ``blank`` ones emptied."""
    rows = list(csv.DictReader(io.StringIO(text)))
    out = io.StringIO()
    names = [c for c in rows[0] if c in wanted or c.split(".", 1)[0] in wanted]
    writer = csv.DictWriter(out, names, lineterminator="\n", extrasaction="ignore")
    writer.writeheader()
    for row in rows:
        writer.writerow({c: ("" if c in blank or c.split(".", 1)[0] in blank else row[c]) for c in names})
    return out.getvalue()


def optional_column(spec: EntitySpec, exported: str) -> str | None:
    """The first column that is neither required nor key and holds a value somewhere in the export."""
    rows = list(csv.DictReader(io.StringIO(exported)))
    for name in spec.row_fields:
        if name in file_columns(spec) or name == spec.participants_field:
            continue
        cells = [v for row in rows for c, v in row.items() if c == name or c.startswith(f"{name}.")]
        if any(cells):
            return name
    return None


def test_account_file_with_only_a_name_keeps_everything_else(engine, tmp_path: Path) -> None:
    seed_small_book(engine)
    before = _account(engine, "ACC-00002")
    assert before["segment"] and before["arr"] and before["owner_csm"] and before["plan"] and before["seats_purchased"]
    path = tmp_path / "renamed.csv"
    path.write_text("external_id,name\nACC-00002,Renamed Co\n", encoding="utf-8")
    result = import_file(engine, "account", path)
    assert (result.updated, result.inserted) == (1, 0)
    assert _account(engine, "ACC-00002") == {**before, "name": "Renamed Co"}


def test_contract_with_only_required_columns_keeps_its_terms_and_status(engine, tmp_path: Path) -> None:
    seed_small_book(engine)
    with engine.connect() as conn:
        contract = conn.execute(select(Contract).where(Contract.status == "renewed").limit(1)).mappings().one()
        account = conn.execute(select(Account.external_id).where(Account.id == contract["account_id"])).scalar_one()
    path = tmp_path / "contracts.csv"
    path.write_text(
        f"external_id,account_external_id,start_date\n{contract['external_id']},{account},{contract['start_date']}\n",
        encoding="utf-8",
    )
    assert import_file(engine, "contract", path).unchanged == 1
    with engine.connect() as conn:
        after = conn.execute(select(Contract).where(Contract.id == contract["id"])).mappings().one()
    assert dict(after) == dict(contract)
    assert after["end_date"] is not None and after["arr"] is not None and after["status"] == "renewed"


def test_a_usage_event_with_only_its_key_keeps_the_counts(engine) -> None:
    seed_small_book(engine)
    with engine.connect() as conn:
        usage = conn.execute(select(UsageSnapshot).where(UsageSnapshot.logins > 0).limit(1)).mappings().one()
        account = conn.execute(select(Account.external_id).where(Account.id == usage["account_id"])).scalar_one()
    key = {"account_external_id": account, "period_start": str(usage["period_start"]), "period": usage["period"]}
    assert ingest_events(engine, [key], kind="usage").unchanged == 1
    assert ingest_events(engine, [{**key, "logins": None}], kind="usage").unchanged == 1
    assert ingest_events(engine, [{**key, "api_calls": 7}], kind="usage").updated == 1
    after = _usage(engine, usage["id"])
    assert (after["logins"], after["active_users"], after["api_calls"]) == (usage["logins"], usage["active_users"], 7)
    cleared = ingest_events(engine, [{**key, "logins": None}], kind="usage", clear_empty=True)
    assert cleared.updated == 1
    assert (_usage(engine, usage["id"])["logins"], _usage(engine, usage["id"])["active_users"]) == (
        None,
        usage["active_users"],
    )


@pytest.mark.parametrize("entity", IMPORT_ORDER)
def test_a_file_with_only_the_identifying_columns_changes_nothing(engine, tmp_path: Path, entity: str) -> None:
    seed_small_book(engine)
    before = export_all(engine)
    spec = ENTITIES[entity]
    path = tmp_path / f"{entity}.csv"
    path.write_text(keep_columns(before[entity], file_columns(spec)), encoding="utf-8")
    result = import_file(engine, entity, path)
    assert (result.inserted, result.updated) == (0, 0)
    assert export_all(engine) == before


@pytest.mark.parametrize("entity", [e for e in IMPORT_ORDER if set(ENTITIES[e].row_fields) - file_columns(ENTITIES[e])])
def test_empty_cells_keep_values_unless_the_import_clears_them(engine, tmp_path: Path, entity: str) -> None:
    seed_small_book(engine)
    before = export_all(engine)
    spec = ENTITIES[entity]
    column = optional_column(spec, before[entity])
    assert column is not None, entity
    path = tmp_path / f"{entity}.csv"
    path.write_text(keep_columns(before[entity], file_columns(spec) | {column}, blank={column}), encoding="utf-8")
    assert import_file(engine, entity, path).updated == 0
    assert export_all(engine) == before

    result = import_file(engine, entity, path, clear_empty=True)
    assert result.updated > 0
    after = export_all(engine)
    default = spec.row.model_fields[column].get_default(call_default_factory=True)
    shown = {"", format_cell(default)}
    for row in csv.DictReader(io.StringIO(after[entity])):
        cells = [v for c, v in row.items() if c == column or c.startswith(f"{column}.")]
        assert all(cell in shown for cell in cells), (entity, column, cells)
    assert {k: v for k, v in after.items() if k != entity} == {k: v for k, v in before.items() if k != entity}


def test_export_then_import_into_an_empty_database_gives_the_same_rows(engine, empty_engine, tmp_path: Path) -> None:
    seed_small_book(engine)
    files = write_exports(engine, tmp_path / "export")
    for entity in IMPORT_ORDER:
        result = import_file(empty_engine, entity, files[entity])
        assert result.inserted == result.rows > 0, entity
    assert export_all(empty_engine) == export_all(engine)


def test_export_reimported_with_clear_empty_over_itself_changes_nothing(engine, tmp_path: Path) -> None:
    seed_small_book(engine)
    before = export_all(engine)
    files = write_exports(engine, tmp_path / "export")
    for entity in IMPORT_ORDER:
        result = import_file(engine, entity, files[entity], clear_empty=True)
        assert (result.inserted, result.updated) == (0, 0), entity
    assert export_all(engine) == before


def test_named_metrics_merge_by_key(engine, tmp_path: Path) -> None:
    (tmp_path / "a.csv").write_text("external_id,name\nA1,Acme\n", encoding="utf-8")
    import_file(engine, "account", tmp_path / "a.csv")
    usage = tmp_path / "u.csv"
    usage.write_text(
        "account_external_id,period_start,logins,metrics.exports,metrics.errors\nA1,2026-01-05,4,2,1\n",
        encoding="utf-8",
    )
    import_file(engine, "usage", usage)
    usage.write_text("account_external_id,period_start,metrics.exports\nA1,2026-01-05,5\n", encoding="utf-8")
    import_file(engine, "usage", usage)
    assert _only_usage(engine) == (4, {"exports": 5.0, "errors": 1.0})
    usage.write_text("account_external_id,period_start,metrics.errors\nA1,2026-01-05,\n", encoding="utf-8")
    assert import_file(engine, "usage", usage).unchanged == 1
    import_file(engine, "usage", usage, clear_empty=True)
    assert _only_usage(engine) == (4, {"exports": 5.0})


def test_cli_clears_empty_cells_only_with_the_flag(database_url: str, engine, tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_text("external_id,name,segment,plan\nA1,Acme,Enterprise,Pro\n", encoding="utf-8")
    runner = CliRunner()
    assert runner.invoke(cli_app, ["--database-url", database_url, "import", "account", str(path)]).exit_code == 0
    path.write_text("external_id,name,segment\nA1,Acme,\n", encoding="utf-8")
    kept = runner.invoke(cli_app, ["--database-url", database_url, "import", "account", str(path)])
    assert kept.exit_code == 0, kept.output
    assert (_account(engine, "A1")["segment"], _account(engine, "A1")["plan"]) == ("Enterprise", "Pro")
    cleared = runner.invoke(cli_app, ["--database-url", database_url, "import", "account", str(path), "--clear-empty"])
    assert cleared.exit_code == 0, cleared.output
    assert (_account(engine, "A1")["segment"], _account(engine, "A1")["plan"]) == (None, "Pro")


def test_events_api_clears_nulls_only_when_asked(engine, database_url: str) -> None:
    people = book_with_people(engine)
    app = create_app(Settings(database_url=database_url), engine=engine, policy=POLICY, clock=lambda: NOW)
    with engine.connect() as conn:
        usage = conn.execute(select(UsageSnapshot).where(UsageSnapshot.logins > 0).limit(1)).mappings().one()
        account = conn.execute(select(Account.external_id).where(Account.id == usage["account_id"])).scalar_one()
    event = {"account_external_id": account, "period_start": str(usage["period_start"]), "period": usage["period"]}
    headers = {"Authorization": f"Bearer {token_for(engine, people['admin'])}"}
    with TestClient(app) as client:
        kept = client.post("/events", headers=headers, json={"type": "usage", "events": [{**event, "logins": None}]})
        assert kept.status_code == 202 and kept.json()["unchanged"] == 1, kept.text
        assert _usage(engine, usage["id"])["logins"] == usage["logins"]
        cleared = client.post(
            "/events",
            headers=headers,
            params={"clear_empty": "true"},
            json={"type": "usage", "events": [{**event, "logins": None}]},
        )
        assert cleared.status_code == 202 and cleared.json()["updated"] == 1, cleared.text
    assert _usage(engine, usage["id"])["logins"] is None
    assert _usage(engine, usage["id"])["active_users"] == usage["active_users"]


def _account(engine, external_id: str) -> dict:
    with engine.connect() as conn:
        return dict(conn.execute(select(Account).where(Account.external_id == external_id)).mappings().one())


def _usage(engine, usage_id: int) -> dict:
    with engine.connect() as conn:
        return dict(conn.execute(select(UsageSnapshot).where(UsageSnapshot.id == usage_id)).mappings().one())


def _only_usage(engine) -> tuple:
    with engine.connect() as conn:
        return tuple(conn.execute(select(UsageSnapshot.logins, UsageSnapshot.metrics)).one())


def test_a_blank_string_in_json_keeps_the_value_like_an_empty_cell(engine, tmp_path: Path) -> None:
    """Systems that export JSON often write "" for a missing value: it must not hand the account to nobody."""
    (tmp_path / "a.csv").write_text("external_id,name,owner_csm,segment\nA1,Acme,csm@x.test,Enterprise\n")
    import_file(engine, "account", tmp_path / "a.csv")
    (tmp_path / "a.jsonl").write_text('{"external_id": "A1", "name": "Acme", "owner_csm": "", "segment": "  "}\n')
    assert import_file(engine, "account", tmp_path / "a.jsonl").unchanged == 1
    assert (_account(engine, "A1")["owner_csm"], _account(engine, "A1")["segment"]) == ("csm@x.test", "Enterprise")
    import_file(engine, "account", tmp_path / "a.jsonl", clear_empty=True)
    assert (_account(engine, "A1")["owner_csm"], _account(engine, "A1")["segment"]) == (None, None)


def test_a_usage_event_with_some_metrics_keeps_the_others(engine, tmp_path: Path) -> None:
    """An event carrying one metric is not a claim that the others are gone; ``metrics.x`` columns merge too."""
    (tmp_path / "a.csv").write_text("external_id,name\nA1,Acme\n", encoding="utf-8")
    import_file(engine, "account", tmp_path / "a.csv")
    key = {"account_external_id": "A1", "period_start": "2026-01-05"}
    ingest_events(engine, [{**key, "logins": 4, "metrics": {"exports": 2, "errors": 1}}], kind="usage")
    assert ingest_events(engine, [{**key, "metrics": {"exports": 5}}], kind="usage").updated == 1
    assert _only_usage(engine) == (4, {"exports": 5.0, "errors": 1.0})
    assert ingest_events(engine, [{**key, "metrics": {"errors": None}}], kind="usage").unchanged == 1
    ingest_events(engine, [{**key, "metrics": {"errors": None}}], kind="usage", clear_empty=True)
    assert _only_usage(engine) == (4, {"exports": 5.0})
