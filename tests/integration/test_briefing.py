"""The weekly briefing end to end on a seeded book: `watchtower brief` in every format, the archive (one per
audience and week, a new run replaces it), delivery through the outbox under the internal-message rule, and
the model path against a scripted OpenAI-compatible server: a narrative with an invented figure is written
again once with the findings, then replaced by the template's."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from actions.outbox import INTERNAL_APPROVAL
from agents.briefing.service import Briefer
from cli.main import app
from core.faithfulness import check
from core.models import Briefing, OutboxMessage
from tests.cassettes.scripted_model import Reply, ScriptedModel, answer, serving
from tests.integration.briefing_support import AS_OF, BriefingBook, briefing_book

BRIEFING = Briefing.__table__  # type: ignore[attr-defined]
OUTBOX = OutboxMessage.__table__  # type: ignore[attr-defined]
NOW = datetime(2026, 11, 23, 7, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def book(tmp_path_factory: pytest.TempPathFactory) -> BriefingBook:
    return briefing_book(tmp_path_factory, "briefing")


def brief(book: BriefingBook, *args: str) -> Any:
    done = CliRunner().invoke(
        app, ["--database-url", book.database_url, "brief", "--as-of", AS_OF.isoformat(), *args], terminal_width=100
    )
    return done


def stored(book: BriefingBook) -> list[Any]:
    with book.engine.connect() as conn:
        return list(conn.execute(select(BRIEFING).order_by(BRIEFING.c.audience, BRIEFING.c.as_of)))


def test_brief_writes_markdown_html_and_json(book: BriefingBook, tmp_path: Path) -> None:
    md, html, js = tmp_path / "b.md", tmp_path / "b.html", tmp_path / "b.json"
    for fmt, out in (("md", md), ("html", html), ("json", js)):
        done = brief(book, "--audience", "leadership", "--format", fmt, "--out", str(out))
        assert done.exit_code == 0, done.output
        assert "summary template" in done.output
    text = md.read_text()
    assert text.startswith("# Leadership: the week to 22 November 2026")
    for heading in ("## Renewals due", "## Health", "## Alerts", "## Plays", "## Approvals", "## Expansion"):
        assert heading in text
    assert "## By segment" in text and "## By owner" in text and "## Success metrics" in text
    page = html.read_text()
    assert page.startswith("<!doctype html>") and "<svg" in page
    assert not re.search(r"""(?:src|href)=["']?(?:https?:)?//""", page), "the page loads nothing from elsewhere"
    assert "<script" not in page
    record = json.loads(js.read_text())
    assert record["produced_by"] == "template" and record["findings"] == []
    assert record["facts"]["scope"]["audience"] == "leadership"


@pytest.mark.parametrize("who", ["leadership", "csm"])
def test_every_number_name_and_date_of_the_whole_briefing_traces_to_its_facts(book: BriefingBook, who: str) -> None:
    """Not only the summary: the tables print the record's values through the same printers, so a printer that
    rounds wrongly or a layout that states a figure of its own is caught here."""
    audience = "leadership" if who == "leadership" else f"csm:{book.csm}"
    done = brief(book, "--audience", audience, "--format", "json", "--no-send")
    assert done.exit_code == 0, done.output
    record = json.loads(done.output)
    verdict = check(record["markdown"], record["facts"])
    assert verdict.faithful, verdict.problems
    assert verdict.counts()["money"] > 5 and verdict.counts()["date"] > 3 and verdict.counts()["name"] > 5


def test_a_csm_briefing_is_their_book_and_a_bad_audience_is_named(book: BriefingBook) -> None:
    done = brief(book, "--audience", f"csm:{book.csm}", "--format", "json", "--no-send")
    assert done.exit_code == 0, done.output
    facts = json.loads(done.output)["facts"]
    assert facts["scope"]["owner_csm"] == book.csm and facts["rollup"] == []
    assert all(e["owner_csm"] == book.csm for w in facts["renewals"] for e in w["entries"])
    bad = brief(book, "--audience", "everyone")
    assert bad.exit_code != 0
    assert "--audience" in bad.output and "csm:EMAIL" in bad.output
    nobody = brief(book, "--audience", "csm:nobody@example.test")
    assert nobody.exit_code == 1 and "no active account" in nobody.output and "nobody@example.test" in nobody.output


def test_one_briefing_per_audience_and_week_and_a_new_run_replaces_it(book: BriefingBook) -> None:
    assert brief(book, "--audience", "leadership", "--format", "json").exit_code == 0
    first = [r for r in stored(book) if r.audience == "leadership"]
    assert brief(book, "--audience", "leadership", "--format", "json").exit_code == 0
    again = [r for r in stored(book) if r.audience == "leadership"]
    assert len(first) == len(again) == 1
    assert again[0].created_at >= first[0].created_at
    assert again[0].markdown == first[0].markdown  # the same facts give the same briefing


def test_delivery_through_the_outbox_follows_the_internal_message_rule_once_per_week(book: BriefingBook) -> None:
    assert brief(book, "--audience", "leadership", "--format", "json").exit_code == 0
    assert brief(book, "--audience", "leadership", "--format", "json").exit_code == 0
    with book.engine.connect() as conn:
        rows = conn.execute(
            select(OUTBOX).where(OUTBOX.c.dedupe_key.like(f"briefing:leadership:{AS_OF.isoformat()}:%"))
        ).all()
    emails = sorted(r.recipient for r in rows if r.channel == "email")
    assert emails == ["cro@example.test", "cs-manager@example.test"]  # readers of the leadership briefing
    slack = [r for r in rows if r.channel == "slack"]
    assert len(slack) == 1 and "/briefings/" in slack[0].body
    assert all(r.audience == "internal" and r.status == "approved" for r in rows)
    assert all(r.approved_by == INTERNAL_APPROVAL for r in rows)
    assert next(r for r in rows if r.channel == "email").body.startswith("# Leadership")


# The model path, against a scripted server


def facts_sent(request: dict[str, Any]) -> dict[str, Any]:
    user = next(m["content"] for m in request["messages"] if m["role"] == "user")
    return json.loads(user.split("The facts record as of", 1)[1].split(":\n", 1)[1])


def faithful(request: dict[str, Any]) -> Reply:
    """A narrative built from the facts the "model" was sent, with its citations, as a model should write it."""
    facts = facts_sent(request)
    soon = facts["renewals"][0]
    return answer(
        {
            "narrative": f"{soon['renewals']} renewals are due in the next 90 days [renewals.90]. "
            f"{facts['approvals']['pending']} approvals are pending [approvals]."
        }
    )


def inventing(request: dict[str, Any]) -> Reply:
    facts = facts_sent(request)
    return answer({"narrative": f"{facts['renewals'][0]['renewals'] + 1000} renewals are due [renewals.90]."})


def produce(book: BriefingBook, script: ScriptedModel, audience: str = "leadership") -> Any:
    with serving(script):
        settings = book.settings.model_copy(
            update={
                "llm_model": "scripted",
                "llm_base_url": script.base_url,
                "llm_structured_method": "json_mode",
                "llm_max_attempts": 1,
                "llm_backoff_max_seconds": 0,
            }
        )
        return Briefer.from_settings(book.engine, settings).produce(audience=audience, as_of=AS_OF, now=NOW)


def test_a_faithful_model_narrative_is_used(book: BriefingBook) -> None:
    script = ScriptedModel([faithful])
    out = produce(book, script)
    assert out["produced_by"] == "model", out["findings"]
    assert len(script.requests) == 1
    assert "renewals are due in the next 90 days." in out["markdown"] and "[renewals.90]" not in out["markdown"]


def test_an_invented_figure_is_written_again_once_with_the_findings(book: BriefingBook) -> None:
    script = ScriptedModel([inventing, faithful])
    out = produce(book, script)
    assert out["produced_by"] == "model_after_retry"
    assert len(script.requests) == 2
    retry = script.requests[1]["messages"][-1]["content"]
    assert "rejected" in retry and "is not in the facts" in retry
    assert any("attempt 1" in f for f in out["findings"])


def test_a_second_failure_gives_the_template_narrative_and_says_so(book: BriefingBook) -> None:
    script = ScriptedModel([inventing, inventing])
    out = produce(book, script, audience=f"csm:{book.csm}")
    assert out["produced_by"] == "template_after_model_failed"
    assert len(script.requests) == 2
    assert [f.split(":")[0] for f in out["findings"]] == ["attempt 1", "attempt 2"]
    with book.engine.connect() as conn:
        row = conn.execute(
            select(BRIEFING).where(BRIEFING.c.audience == f"csm:{book.csm}", BRIEFING.c.as_of == AS_OF)
        ).one()
    assert row.produced_by == "template_after_model_failed" and row.findings == out["findings"]
    assert "because the model's draft stated figures the records do not hold" in row.markdown


def test_an_unreachable_model_gives_the_template_narrative(book: BriefingBook) -> None:
    script = ScriptedModel([Reply(status=500)])
    out = produce(book, script)
    assert out["produced_by"] == "template_after_model_failed"
    assert out["findings"] and "model unavailable" in out["findings"][0]
    assert "written from the template, because the model could not be reached" in out["markdown"]


def test_briefings_are_counted_once_per_audience(book: BriefingBook) -> None:
    with book.engine.connect() as conn:
        counts = conn.execute(select(BRIEFING.c.audience, func.count()).group_by(BRIEFING.c.audience)).all()
    assert all(n == 1 for _, n in counts)


def test_serve_writes_the_weeks_briefings_once(tmp_path_factory: pytest.TempPathFactory) -> None:
    made = briefing_book(tmp_path_factory, "briefing-serve")
    monday = "2026-11-23"
    runner = CliRunner()
    args = ["--database-url", made.database_url, "serve", "--once", "--as-of", monday]
    first = runner.invoke(app, args, terminal_width=100)
    assert first.exit_code == 0, first.output
    with made.engine.connect() as conn:
        rows = conn.execute(select(BRIEFING.c.audience, BRIEFING.c.as_of, BRIEFING.c.id)).all()
    owners = {r.audience for r in rows}
    assert "leadership" in owners and f"csm:{made.csm}" in owners
    assert {r.as_of.isoformat() for r in rows} == {monday}
    assert f"{monday}: {len(rows)} briefing(s) written" in first.output
    second = runner.invoke(app, [*args[:-1], "2026-11-25"], terminal_width=100)  # later the same week
    assert second.exit_code == 0, second.output
    with made.engine.connect() as conn:
        again = conn.execute(select(BRIEFING.c.audience, BRIEFING.c.as_of, BRIEFING.c.id)).all()
    assert sorted(again) == sorted(rows)
    assert "briefing(s) written" not in second.output


def test_a_briefing_is_stored_with_its_messages_or_not_at_all(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A process that dies between storing the briefing and queueing its messages must not leave a stored week
    without them: the scheduler skips a stored week, so those messages would never be queued."""
    made = briefing_book(tmp_path_factory, "briefing-crash")
    briefer = Briefer.from_settings(made.engine, made.settings)

    def dies(*args: Any, **kwargs: Any) -> Any:
        raise SystemExit("killed while queueing the briefing's messages")

    monkeypatch.setattr("agents.briefing.graph.deliver", dies)
    with pytest.raises(SystemExit):
        briefer.produce(audience="leadership", as_of=AS_OF, now=NOW)
    monkeypatch.undo()
    with made.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(BRIEFING)).scalar_one() == 0
    briefer.produce_missing(as_of=AS_OF, now=NOW)
    with made.engine.connect() as conn:
        weeks = conn.execute(select(BRIEFING.c.audience)).scalars().all()
        keys = conn.execute(select(OUTBOX.c.dedupe_key).where(OUTBOX.c.dedupe_key.like("briefing:%"))).scalars().all()
    assert "leadership" in weeks
    assert any(k.startswith(f"briefing:leadership:{AS_OF.isoformat()}") for k in keys), keys
