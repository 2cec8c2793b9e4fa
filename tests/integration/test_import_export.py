"""Import and export through the library on SQLite and Postgres: round trips, upserts, references."""

from __future__ import annotations

import json
import tracemalloc
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from core.db import make_engine
from core.models import Account, Contact, InteractionParticipant, MarketSignal, UsageSnapshot
from core.schema import upgrade
from sources.entities import IMPORT_ORDER
from sources.errors import ImportFailed
from sources.events import ingest_events
from sources.importer import import_file
from tests.integration.helpers import database_fingerprint, export_all, import_runs, seed_small_book, write_exports


def count(engine, model) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(model)).scalar_one()


def test_every_table_round_trips_through_import_and_export(engine, tmp_path: Path) -> None:
    seed_small_book(engine)
    first = export_all(engine)
    files = write_exports(engine, tmp_path / "export")

    target = make_engine(f"sqlite:///{tmp_path / 'copy.db'}")
    upgrade(target)
    for entity in IMPORT_ORDER:
        result = import_file(target, entity, files[entity])
        assert result.inserted == result.rows > 0, entity
    assert export_all(target) == first
    assert count(target, InteractionParticipant) == count(engine, InteractionParticipant)


def test_reimporting_the_same_file_updates_nothing_and_duplicates_nothing(engine, tmp_path: Path) -> None:
    seed_small_book(engine)
    files = write_exports(engine, tmp_path)
    for entity in IMPORT_ORDER:
        result = import_file(engine, entity, files[entity])
        assert (result.inserted, result.updated, result.unchanged) == (0, 0, result.rows), entity
    assert count(engine, Account) == 12


def test_changed_rows_are_updated_in_place(engine, tmp_path: Path) -> None:
    path = tmp_path / "accounts.csv"
    path.write_text("external_id,name,arr\nA1,Acme,1000\nA2,Beta,2000\n", encoding="utf-8")
    import_file(engine, "account", path)
    path.write_text("external_id,name,arr\nA1,Acme Corp,1000\nA2,Beta,2000\nA3,Gamma,\n", encoding="utf-8")
    result = import_file(engine, "account", path)
    assert (result.inserted, result.updated, result.unchanged) == (1, 1, 1)
    with engine.connect() as conn:
        names = dict(conn.execute(select(Account.external_id, Account.name)).all())
    assert names == {"A1": "Acme Corp", "A2": "Beta", "A3": "Gamma"}


def test_usage_upserts_on_account_and_period(engine, tmp_path: Path) -> None:
    (tmp_path / "a.csv").write_text("external_id,name\nA1,Acme\n", encoding="utf-8")
    import_file(engine, "account", tmp_path / "a.csv")
    usage = tmp_path / "u.jsonl"
    usage.write_text('{"account_external_id": "A1", "period_start": "2026-01-05", "logins": 3}\n', encoding="utf-8")
    import_file(engine, "usage", usage)
    usage.write_text(
        '{"account_external_id": "A1", "period_start": "2026-01-05", "logins": 9, "metrics": {"exports": 2}}\n'
        '{"account_external_id": "A1", "period_start": "2026-01-05", "period": "day", "logins": 1}\n',
        encoding="utf-8",
    )
    result = import_file(engine, "usage", usage)
    assert (result.inserted, result.updated) == (1, 1)
    with engine.connect() as conn:
        rows = conn.execute(select(UsageSnapshot.period, UsageSnapshot.logins, UsageSnapshot.metrics)).all()
    assert sorted(rows) == [("day", 1, {}), ("week", 9, {"exports": 2.0})]


def test_parents_may_come_later_in_the_same_file(engine, tmp_path: Path) -> None:
    path = tmp_path / "a.json"
    rows = [
        {"external_id": "SUB", "name": "Subsidiary", "parent_external_id": "HQ"},
        {"external_id": "HQ", "name": "Group"},
    ]
    path.write_text(json.dumps(rows), encoding="utf-8")
    import_file(engine, "account", path)
    with engine.connect() as conn:
        parent = {r.external_id: r.parent_id for r in conn.execute(select(Account.external_id, Account.parent_id))}
        ids = dict(conn.execute(select(Account.external_id, Account.id)).all())
    assert parent == {"SUB": ids["HQ"], "HQ": None}


def test_hierarchy_cycles_are_refused(engine, tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_text("external_id,name,parent_external_id\nA,a,B\nB,b,A\n", encoding="utf-8")
    with pytest.raises(ImportFailed) as info:
        import_file(engine, "account", path)
    assert "cycle in the account hierarchy" in str(info.value.errors[0])
    assert count(engine, Account) == 0


def load_people(engine, folder: Path, accounts: str, contacts: str) -> None:
    """Import accounts then contacts from CSV bodies (header included)."""
    (folder / "a.csv").write_text(accounts, encoding="utf-8")
    (folder / "c.csv").write_text(contacts, encoding="utf-8")
    import_file(engine, "account", folder / "a.csv")
    import_file(engine, "contact", folder / "c.csv")


def test_a_row_cannot_point_at_another_accounts_contact(engine, tmp_path: Path) -> None:
    load_people(
        engine,
        tmp_path,
        "external_id,name\nA1,Acme\nA2,Beta\n",
        "external_id,account_external_id,roles\nP1,A1,champion\n",
    )
    survey = tmp_path / "s.csv"
    survey.write_text(
        "external_id,account_external_id,contact_external_id,score,responded_on\nS1,A2,P1,3,2026-01-01\n",
        encoding="utf-8",
    )
    with pytest.raises(ImportFailed) as info:
        import_file(engine, "survey", survey)
    assert "field 'contact_external_id': contact 'P1' belongs to a different account" in str(info.value.errors[0])
    interactions = tmp_path / "x.csv"
    interactions.write_text(
        "external_id,account_external_id,kind,occurred_at,participants\nX1,A2,call,2026-01-01T10:00:00,P1\n",
        encoding="utf-8",
    )
    with pytest.raises(ImportFailed) as info:
        import_file(engine, "interaction", interactions)
    assert "field 'participants': contact 'P1' belongs to a different account" in str(info.value.errors[0])


def test_unmatched_news_takes_its_account_from_the_contact(engine, tmp_path: Path) -> None:
    load_people(engine, tmp_path, "external_id,name\nA1,Acme\n", "external_id,account_external_id\nP1,A1\n")
    news = tmp_path / "m.csv"
    news.write_text(
        "external_id,contact_external_id,kind,title,published_on,source_url\n"
        "M1,P1,job_change,Jo joins Globex,2026-02-01,https://news.example/1\n",
        encoding="utf-8",
    )
    import_file(engine, "market_signal", news)
    exported = export_all(engine)["market_signal"]
    assert "M1,A1,P1,job_change" in exported


def test_participant_changes_replace_the_set(engine, tmp_path: Path) -> None:
    load_people(
        engine, tmp_path, "external_id,name\nA1,Acme\n", "external_id,account_external_id\nP1,A1\nP2,A1\nP3,A1\n"
    )
    x = tmp_path / "x.csv"
    x.write_text(
        "external_id,account_external_id,kind,occurred_at,participants\nX1,A1,qbr,2026-01-01,P1;P2\n", encoding="utf-8"
    )
    import_file(engine, "interaction", x)
    x.write_text(
        "external_id,account_external_id,kind,occurred_at,participants\nX1,A1,qbr,2026-01-01,P2;P3\n", encoding="utf-8"
    )
    result = import_file(engine, "interaction", x)
    assert result.updated == 1
    with engine.connect() as conn:
        who = conn.execute(
            select(Contact.external_id).join(InteractionParticipant, InteractionParticipant.contact_id == Contact.id)
        ).scalars()
        assert sorted(who) == ["P2", "P3"]


BAD_FILES = {
    "wrong_type": (
        "account",
        "accounts.csv",
        "external_id,name,seats_purchased\nA9,Acme,ten\n",
        "line 2, field 'seats_purchased'",
    ),
    "missing_column": (
        "contract",
        "contracts.csv",
        "external_id,account_external_id\nC9,A1\n",
        "line 1, field 'start_date'",
    ),
    "duplicate_id": (
        "account",
        "accounts.csv",
        "external_id,name\nA9,x\nA9,y\n",
        "line 3, field 'external_id': duplicate of line 2",
    ),
    "unknown_account": (
        "contact",
        "contacts.csv",
        "external_id,account_external_id\nP9,NOPE\n",
        "line 2, field 'account_external_id': no account with external_id 'NOPE'",
    ),
    "wrong_encoding": ("account", "accounts.csv", "external_id,name\nA9,Zoë\n".encode("utf-16"), "not valid UTF-8"),
    "empty": ("account", "accounts.csv", "", "is empty"),
    "nul_in_csv": ("account", "accounts.csv", "external_id,name\nA9,Ac\x00me\n", "line 2, field 'name': "),
    "nul_in_json": (
        "account",
        "accounts.json",
        '[{"external_id": "A9", "name": "Ac\\u0000me"}]',
        "record 1, field 'name'",
    ),
    "lone_surrogate": (
        "interaction",
        "x.jsonl",
        '{"external_id": "X9", "account_external_id": "ACC-00001", "kind": "note", '
        '"occurred_at": "2026-01-01T00:00:00", "body": "broken \\ud83d text"}\n',
        "line 1, field 'body': ",
    ),
    "deep_nesting": ("account", "accounts.json", '[{"external_id": "A9", "name": ' + "[" * 50_000 + "]", "record 1"),
    "integer_past_the_column": (
        "account",
        "accounts.csv",
        "external_id,name,seats_purchased\nA9,Acme,3000000000\n",
        "line 2, field 'seats_purchased'",
    ),
    "huge_integer": ("account", "a.jsonl", '{"external_id": "A9", "name": "x", "seats_purchased": 1e30}\n', "line 1"),
    "not_a_finite_number": (
        "account_metric",
        "m.csv",
        "account_external_id,date,name,value\nACC-00001,2026-01-01,x,1\nACC-00001,2026-01-02,x,nan\n",
        "line 3, field 'value'",
    ),
    "infinity_in_json": (
        "usage",
        "u.jsonl",
        '{"account_external_id": "ACC-00001", "period_start": "2026-01-05", "storage_gb": Infinity}\n',
        "line 1, field 'storage_gb'",
    ),
    "duplicate_key": ("account", "accounts.jsonl", '{"external_id": "A9", "name": "a", "name": "b"}\n', "field 'name'"),
}


@pytest.mark.parametrize("case", list(BAD_FILES))
def test_bad_files_name_the_problem_and_leave_the_database_untouched(
    engine, database_url: str, tmp_path: Path, case: str
) -> None:
    seed_small_book(engine, accounts=3)
    before = database_fingerprint(engine, database_url)
    runs = import_runs(engine)
    entity, name, content, expected = BAD_FILES[case]
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    with pytest.raises(ImportFailed) as info:
        import_file(engine, entity, path)
    assert str(path) in str(info.value.errors[0])
    assert expected in "\n".join(str(e) for e in info.value.errors)
    assert database_fingerprint(engine, database_url) == before
    assert import_runs(engine) == runs


def test_a_failure_while_writing_rolls_back_the_whole_file(engine, tmp_path: Path) -> None:
    """Valid rows followed by one that only the database refuses: nothing of the file stays."""
    path = tmp_path / "a.csv"
    path.write_text("external_id,name\n" + "".join(f"A{i},Name {i}\n" for i in range(50)), encoding="utf-8")
    import_file(engine, "account", path)
    with engine.begin() as conn:  # an index the file will collide with, standing in for any write failure
        conn.exec_driver_sql("CREATE UNIQUE INDEX uq_test_name ON account (name)")
    path.write_text("external_id,name\nB1,Fresh\nB2,Name 3\n", encoding="utf-8")
    with pytest.raises(IntegrityError):
        import_file(engine, "account", path)
    assert count(engine, Account) == 50


def test_import_memory_stays_flat_as_the_file_grows(engine, tmp_path: Path) -> None:
    """Rows are checked and written in batches, so five times the rows must not take five times the memory."""

    def peak(prefix: str, rows: int) -> int:
        path = tmp_path / f"{prefix}.csv"
        body = "".join(
            f"{prefix}{i},Company {i},Core,{1000 + i}.50,Team,{i % 90},csm{i % 7}@example.com\n" for i in range(rows)
        )
        path.write_text("external_id,name,segment,arr,plan,seats_purchased,owner_csm\n" + body, encoding="utf-8")
        tracemalloc.start()
        try:
            assert import_file(engine, "account", path).inserted == rows
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()

    small, large = peak("S", 3_000), peak("L", 15_000)
    assert large < 1.5 * small, (small, large)


def test_events_with_a_nul_byte_are_refused_by_name_on_every_backend(engine) -> None:
    """Postgres cannot store a NUL and SQLite would keep it silently; both must refuse it as a located error."""
    seed_small_book(engine, accounts=3)
    event = {"external_id": "EVT-NUL", "kind": "news", "title": "Acme\x00 raises", "published_on": "2026-11-20"}
    with pytest.raises(ImportFailed) as info:
        ingest_events(engine, [{**event, "external_id": "EVT-OK", "title": "Fine"}, event])
    assert [str(e) for e in info.value.errors] == [
        "POST /events, item 2, field 'title': contains a NUL byte (\\0), which cannot be stored; remove it"
    ]
    with engine.connect() as conn:
        assert (
            conn.execute(
                select(func.count()).select_from(MarketSignal).where(MarketSignal.external_id == "EVT-NUL")
            ).scalar_one()
            == 0
        )


@pytest.mark.parametrize("suffix", ["jsonl", "csv"])
def test_a_line_without_end_is_refused_by_its_number_without_being_read_whole(engine, tmp_path: Path, suffix) -> None:
    """A file with one 2 GB line would be read into memory whole (about four times its size) before any check;
    past the longest line a row can need it is an error naming the line, and memory stays bounded."""
    from sources.decoding import MAX_LINE_BYTES

    path = tmp_path / f"a.{suffix}"
    head = "external_id,name\n" if suffix == "csv" else '{"external_id": "A1", "name": "Acme"}\n'
    with path.open("w", encoding="utf-8") as out:
        out.write(head)
        out.write('"' if suffix == "csv" else '{"external_id": "A2", "name": "')
        for _ in range(MAX_LINE_BYTES // (1 << 20) * 2 + 1):
            out.write("x" * (1 << 20))
    tracemalloc.start()
    try:
        with pytest.raises(ImportFailed) as info:
            import_file(engine, "account", path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    said = " | ".join(map(str, info.value.errors))
    assert "line 2" in said and "longer than" in said, said[:300]
    assert peak < 3 * MAX_LINE_BYTES, peak
    assert count(engine, Account) == 0
