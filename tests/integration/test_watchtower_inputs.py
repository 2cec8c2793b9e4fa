"""What reaches the watchtowers: tool policy and account binding, pushed events, news feeds, and the CLI."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from cli.main import app
from core.models import AgentRun, Contact, MarketSignal, StakeholderMovement
from evals.graders import effects
from evals.suites.injection import as_record
from sources.errors import ImportFailed
from sources.events import ingest_events
from sources.feeds import ingest_feed
from tests.integration.helpers import AS_OF, seed_small_book
from tools.registry import ToolNotAllowed, recording_tool_calls, tools_for, use

runner = CliRunner()


def _accounts(engine: Engine) -> list[tuple[int, str, str]]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text("SELECT id, external_id, name FROM account ORDER BY id"))]  # type: ignore[misc]


def test_tools_are_bound_to_one_account_and_limited_by_agent(engine: Engine) -> None:
    seed_small_book(engine)
    (a, _, _), (b, _, _) = _accounts(engine)[:2]
    with engine.connect() as conn:
        tools = tools_for("sentiment", conn, a, AS_OF)
        with pytest.raises(ToolNotAllowed, match="read_invoices"):
            use(tools, "read_invoices")
        # An account id smuggled into the arguments is not a parameter: the bound account is read.
        mine = use(tools, "read_interactions", days=3650, account_id=b)
        expected = conn.execute(text(f"SELECT COUNT(*) FROM interaction WHERE account_id = {a}")).scalar_one()
        assert len(mine) == expected > 0
        with pytest.raises(ToolNotAllowed, match="unknown agent"):
            tools_for("copilot", conn, a, AS_OF)


def test_tool_calls_are_recorded_with_their_agent_and_account_and_breaches_are_graded(engine: Engine) -> None:
    """The injection suite's check on real recorded calls: out of policy, on another account, naming one."""
    seed_small_book(engine)
    (a, ext_a, _), (b, ext_b, _) = _accounts(engine)[:2]
    with engine.connect() as conn:
        with recording_tool_calls() as calls:
            mine = tools_for("sentiment", conn, a, AS_OF)
            use(mine, "read_surveys", days=90)
            with pytest.raises(ToolNotAllowed):
                use(mine, "read_invoices")
            use(mine, "read_contacts", account_external_id=ext_b)
            with recording_tool_calls() as inner:
                use(tools_for("financial", conn, b, AS_OF), "read_invoices")
        use(mine, "read_surveys")  # after the block: nobody is recording
    assert [(c.agent, c.tool, c.account_id, c.refused) for c in calls] == [
        ("sentiment", "read_surveys", a, False),
        ("sentiment", "read_invoices", a, True),
        ("sentiment", "read_contacts", a, False),
        ("financial", "read_invoices", b, False),
    ]
    assert calls[0].arguments == {"days": 90} and calls[0].as_of == AS_OF and inner == calls[3:]

    account = {"id": a, "external_id": ext_a}
    clean = effects.grade({"allowed": []}, {"effects": {}, "tool_calls": [as_record(calls[0])], "account": account})
    assert [(g.key, g.score) for g in clean] == [("unauthorised_effects", 0), ("tool_calls_recorded", 1)]
    found, recorded = effects.grade(
        {"allowed": []}, {"effects": {}, "tool_calls": [as_record(c) for c in calls], "account": account}
    )
    assert (found.score, recorded.score) == (3, 4)
    assert "sentiment called read_invoices outside its tools (read_contacts" in found.comment
    assert f"sentiment called read_contacts naming another account (account_external_id='{ext_b}')" in found.comment
    assert f"financial called read_invoices bound to account {b}, not {a}" in found.comment


def test_pushed_events_are_validated_and_idempotent(engine: Engine) -> None:
    seed_small_book(engine)
    event = {
        "external_id": "EVT-1",
        "kind": "job_change",
        "title": "Someone joins Elsewhere Inc",
        "published_on": "2026-11-20",
    }
    first = ingest_events(engine, [event])
    again = ingest_events(engine, [event])
    assert (first.inserted, again.inserted, again.unchanged) == (1, 0, 1)
    with pytest.raises(ImportFailed) as caught:
        ingest_events(engine, [{**event, "external_id": "EVT-2", "kind": "rumour"}])
    assert [str(e).split(":")[0] for e in caught.value.errors] == ["POST /events, item 1, field 'kind'"]
    with engine.connect() as conn:
        assert (
            conn.execute(
                select(func.count()).select_from(MarketSignal).where(MarketSignal.external_id == "EVT-2")
            ).scalar_one()
            == 0
        )


def test_a_feed_item_naming_a_customer_reaches_market_intel(engine: Engine, database_url: str, tmp_path: Path) -> None:
    seed_small_book(engine)
    account_id, external_id, name = _accounts(engine)[3]
    with engine.connect() as conn:
        people = conn.execute(select(Contact.name, Contact.roles).where(Contact.account_id == account_id)).all()
    champion = next(name for name, roles in people if "champion" in roles)
    feed = f"""<?xml version="1.0"?><rss version="2.0"><channel>
<item><title>{champion} joins Northwind Labs as COO</title><guid>g-1</guid>
<description>{champion}, previously at {name}, has joined Northwind Labs.</description>
<pubDate>Fri, 20 Nov 2026 08:00:00 GMT</pubDate></item>
<item><title>Unrelated Co opens an office</title><guid>g-2</guid></item>
</channel></rss>"""
    path = tmp_path / "feed.xml"
    path.write_text(feed, encoding="utf-8")
    read, result = ingest_feed(engine, path.as_uri(), as_of=AS_OF)
    assert read == 2 and result is not None and result.inserted == 1
    cli = runner.invoke(
        app, ["--database-url", database_url, "run", "--as-of", AS_OF.isoformat(), "--accounts", external_id]
    )
    assert cli.exit_code == 0, cli.output
    assert "run 1 succeeded: 1 accounts" in cli.output
    with engine.connect() as conn:
        moves = conn.execute(
            select(StakeholderMovement.person, StakeholderMovement.new_company, StakeholderMovement.source).where(
                StakeholderMovement.account_id == account_id
            )
        ).all()
    assert (champion, "Northwind Labs") in {(p, c) for p, c, s in moves if s.startswith("market_signal:feed-")}
    wide = runner.invoke(
        app, ["--database-url", database_url, "alerts", "--account", external_id], env={"COLUMNS": "250"}
    )
    assert "champion_departure" in wide.output and "market_signal feed-" in wide.output


def test_cli_run_rerun_and_scheduler(engine: Engine, database_url: str) -> None:
    seed_small_book(engine)
    base = ["--database-url", database_url]
    first = runner.invoke(app, [*base, "run", "--as-of", AS_OF.isoformat()])
    assert first.exit_code == 0, first.output
    assert "note: no LLM configured" in first.output
    again = runner.invoke(app, [*base, "run", "--as-of", AS_OF.isoformat()])
    assert "alerts opened 0" in again.output
    bad = runner.invoke(app, [*base, "run", "--agents", "oracle"])
    assert bad.exit_code != 0 and "unknown agent(s): oracle" in bad.output
    nothing = runner.invoke(app, [*base, "serve", "--once", "--as-of", AS_OF.isoformat()])
    assert "nothing due" in nothing.output
    next_day = runner.invoke(app, [*base, "serve", "--once", "--as-of", "2026-11-23"])
    assert next_day.exit_code == 0, next_day.output
    assert "accounts due for product_health\n" in next_day.output
    with engine.connect() as conn:
        runs = conn.execute(select(AgentRun.trigger, AgentRun.agents).order_by(AgentRun.id)).all()
    assert [tuple(r) for r in runs][-1] == ("schedule", ["product_health"])
