"""The command line a CSM lives in, on a seeded book after one weekly cycle: one day across commands, the
account screen, and lists filtered to an owner, in every format."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from cli.main import app
from core.db import make_engine
from core.models import Account, Alert, Task
from core.schema import upgrade
from tests.integration.helpers import AS_OF, seed_small_book
from tests.integration.watchtower_support import run

runner = CliRunner()


@pytest.fixture(scope="module")
def book(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One SQLite book for the module: seeding and a weekly cycle cost seconds, the commands only read it."""
    folder = tmp_path_factory.mktemp("csm-book")
    url = f"sqlite:///{folder / 'book.db'}"
    with pytest.MonkeyPatch.context() as env:
        env.setenv("WATCHTOWER_CONFIG_DIR", str(folder / "config"))
        env.setenv("WATCHTOWER_DATA_DIR", str(folder / "data"))
        env.setenv("WATCHTOWER_KB_VECTORS", "false")
        engine = make_engine(url)
        upgrade(engine)
        seed_small_book(engine, accounts=40, seed=11, labels_dir=folder)
        run(engine, url, AS_OF)
        engine.dispose()
    yield url


def wt(url: str, *args: str, env: dict[str, str] | None = None):
    return runner.invoke(app, ["--database-url", url, *args], env={"COLUMNS": "100", **(env or {})})


def test_summary_and_renewals_agree_on_the_day_and_the_count(book: str) -> None:
    for day in (AS_OF, AS_OF + timedelta(days=9)):  # the forecast was made on AS_OF; a later day counts from it
        summary = wt(book, "summary", "--as-of", str(day))
        assert summary.exit_code == 0, summary.output
        assert f"as of {day}" in summary.output
        due = int(re.search(r"Renewals in the next 90 days: (\d+) contracts", summary.output).group(1))
        past = re.search(r"; (\d+) past their date and not yet renewed", summary.output)
        late = int(past.group(1)) if past else 0
        listed = wt(book, "renewals", "--within", "90", "--as-of", str(day), "--limit", "500", "--format", "json")
        assert listed.exit_code == 0, listed.output
        rows = json.loads(listed.stdout)
        assert all(r["days"] == (date.fromisoformat(r["renews"]) - day).days for r in rows)  # days from that day
        assert sum(0 <= r["days"] <= 90 for r in rows) == due > 0
        assert sum(-30 <= r["days"] < 0 for r in rows) == late
        assert len(rows) == due + late
        table = wt(book, "renewals", "--within", "90", "--as-of", str(day))
        assert f"{due} renewals due within 90 days as of {day}" in table.output
    # with no --as-of both take the same today
    today = [
        re.search(r"as of (\d{4}-\d\d-\d\d)", wt(book, *command).output).group(1)
        for command in (["summary"], ["renewals", "--within", "90"])
    ]
    assert today[0] == today[1]


def test_the_account_screen(book: str) -> None:
    engine = make_engine(book)
    with engine.connect() as conn:
        external_id, name, alerts = conn.execute(
            select(Account.external_id, Account.name, func.count(Alert.id))
            .join(Alert, Alert.account_id == Account.id)
            .where(Alert.status == "open")
            .group_by(Account.external_id, Account.name)
            .order_by(func.count(Alert.id).desc(), Account.external_id)
        ).first()
    shown = wt(book, "account", external_id, "--as-of", str(AS_OF))
    assert shown.exit_code == 0, shown.output
    for heading in ("Health", "Open alerts", "People", "Renewal", "Open plays", "Open tasks", "Offers", "Recent"):
        assert heading in shown.output
    assert f"Open alerts ({alerts})" in shown.output
    by_name = wt(book, "account", name, "--as-of", str(AS_OF), "--format", "json")
    view = json.loads(by_name.stdout)
    assert view["account"]["external_id"] == external_id
    assert len(view["alerts"]) == alerts and any(a["numbers"] for a in view["alerts"])
    unknown = wt(book, "account", "ACC-99999")
    assert unknown.exit_code == 1
    assert "no account with external id or name 'ACC-99999'" in unknown.output
    assert "watchtower export accounts" in unknown.output


def test_the_account_screen_flags_tasks_a_day_overdue_and_not_those_due_today(book: str) -> None:
    engine = make_engine(book)
    with engine.connect() as conn:
        external_id, due = conn.execute(
            select(Account.external_id, Task.due_on)
            .join(Account, Account.id == Task.account_id)
            .where(Task.status == "open")
            .order_by(Task.due_on, Task.id)
        ).first()
        dues = list(
            conn.execute(
                select(Task.due_on)
                .join(Account, Account.id == Task.account_id)
                .where(Account.external_id == external_id, Task.status == "open")
            ).scalars()
        )
    on_the_day = wt(book, "account", external_id, "--as-of", str(due))
    assert on_the_day.exit_code == 0 and "OVERDUE" not in on_the_day.output
    day_after = wt(book, "account", external_id, "--as-of", str(due + timedelta(days=1)))
    assert day_after.output.count("OVERDUE 1d") == dues.count(due) >= 1


@pytest.mark.parametrize(
    "command",
    [
        ["alerts"],
        ["renewals", "--within", "365", "--as-of", str(AS_OF)],
        ["plays", "runs"],
        ["tasks", "--as-of", str(AS_OF)],
        ["outbox", "--status", "all"],
        ["offers", "list"],
    ],
)
def test_every_list_filters_to_an_owner_in_every_format(book: str, command: list[str]) -> None:
    engine = make_engine(book)
    with engine.connect() as conn:
        owner = conn.execute(select(Account.owner_csm).order_by(Account.id)).scalars().first()
        owned = set(conn.execute(select(Account.external_id).where(Account.owner_csm == owner)).scalars())
    everyone = json.loads(wt(book, *command, "--limit", "1000", "--format", "json").stdout)
    mine = wt(book, *command, "--limit", "1000", "--format", "json", "--owner", owner)
    assert mine.exit_code == 0, mine.output
    rows = json.loads(mine.stdout)
    assert rows and len(rows) < len(everyone)
    assert {r["account"] for r in rows} <= owned
    assert len(rows) == sum(r["account"] in owned for r in everyone)
    configured = wt(book, *command, "--mine", "--limit", "1000", "--format", "csv", env={"WATCHTOWER_USER": owner})
    lines = configured.stdout.strip().splitlines()
    assert len(lines) == 1 + len(rows)
    nobody = wt(book, *command, "--owner", "nobody@example.com")
    assert nobody.exit_code == 0 and "for owner nobody@example.com" in nobody.output
    few = wt(book, *command, "--limit", "1")
    assert f"showing 1 of {len(everyone)}" in few.output
    unconfigured = wt(book, *command, "--mine", env={"WATCHTOWER_USER": ""})
    assert unconfigured.exit_code == 1 and "WATCHTOWER_USER" in unconfigured.output
