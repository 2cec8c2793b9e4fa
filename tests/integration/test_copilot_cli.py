"""`watchtower copilot` on a seeded book, as a CSM uses it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from typer.testing import CliRunner

from agents.copilot.schema import CopilotAnswer
from agents.copilot.service import ask
from agents.copilot.verify import book_directory, verify
from cli.main import app
from core.glossary import load_glossary
from knowledge_base.retrieval import KnowledgeBase
from tests.integration.copilot_support import AS_OF, Book, seeded_book
from tools.access import resolve_account
from tools.copilot_tools import CopilotTools

runner = CliRunner()


@pytest.fixture(scope="module")
def book(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Book]:
    made = seeded_book(tmp_path_factory.mktemp("copilot-cli"))
    yield made
    made.engine.dispose()


def wt(book: Book, *args: str, stdin: str | None = None):
    env = {"WATCHTOWER_DATA_DIR": str(book.data_dir)}
    return runner.invoke(app, ["--database-url", book.database_url, *args], env=env, input=stdin)


def test_why_at_risk_states_the_band_and_top_reason_with_citations_that_verify(book: Book) -> None:
    done = wt(
        book,
        "copilot",
        "ask",
        book.at_risk,
        "Why is it at risk?",
        "--as",
        "owner-csm",
        "--json",
        "--as-of",
        AS_OF.isoformat(),
    )
    assert done.exit_code == 0, done.output
    answer = CopilotAnswer.model_validate_json(done.output)
    assert answer.produced_by == "deterministic" and answer.intent == "why_at_risk"
    glossary = load_glossary()
    with book.engine.connect() as conn, KnowledgeBase.open(book.data_dir) as kb:
        ref = resolve_account(conn, book.owner, book.at_risk)
        tools = CopilotTools(conn, book.owner, ref, AS_OF, kb)
        card, alerts = tools.scorecard(), tools.open_alerts()
        assert f"in the {card.band} band [1]" in answer.answer
        assert f"{card.reasons[0].text} [" in answer.answer
        assert any(r.kind == "cap" for r in card.reasons), "the at-risk account of the fixture book is capped"
        # What holds it down: the caps first, then the signal that costs the score most, with its points.
        caps = [r.text for r in card.reasons if r.kind == "cap"]
        weakest = min(card.contributions, key=lambda x: (-(x.points_lost or 0), x.signal))  # ties by name
        assert weakest.points_lost and weakest.score is not None
        section = answer.answer.split("then the signals costing most points:\n", 1)[1].split("\n\n", 1)[0]
        lines = [line.removeprefix("- ") for line in section.splitlines()]
        assert [line.rsplit(" [", 1)[0] for line in lines[: len(caps)]] == caps
        first_signal = lines[len(caps)]
        assert first_signal.startswith(f"{weakest.signal.replace('_', ' ')}: signal score {weakest.score:.1f}, ")
        assert f"{weakest.points_lost:.1f} points below full" in first_signal
        changed = answer.answer.split("What changed since the score before", 1)[1].split("\n\n", 1)[0]
        assert not any(cap in changed for cap in caps)
        assert answer.citations[0].source == "scorecard" and answer.citations[0].quote == f"{card.band} band"
        found = verify(
            conn,
            answer,
            account=ref,
            results=[card, alerts],
            kb=kb,
            directory=book_directory(conn),
            quoted=[glossary.wording(k) for k in glossary.terms],
        )
    assert found.ok, found.problems
    assert [c.tool for c in answer.tool_calls] == ["scorecard", "open_alerts"]


def test_another_csms_account_is_no_such_account(book: Book) -> None:
    foreign = wt(book, "copilot", "ask", book.foreign, "Why is it at risk?", "--as", "owner-csm", "--json")
    absent = wt(book, "copilot", "ask", "ACC-99999", "Why is it at risk?", "--as", "owner-csm", "--json")
    assert foreign.exit_code == absent.exit_code == 0
    shown, missing = CopilotAnswer.model_validate_json(foreign.output), CopilotAnswer.model_validate_json(absent.output)
    assert shown.answer.startswith("No such account") and not shown.citations and not shown.tool_calls
    assert shown.answer.replace(book.foreign, "X") == missing.answer.replace("ACC-99999", "X")
    # The manager reaches it.
    seen = wt(book, "copilot", "ask", book.foreign, "Why is it at risk?", "--as", "manager", "--json")
    assert not CopilotAnswer.model_validate_json(seen.output).answer.startswith("No such account")


def test_chat_answers_each_line_until_end_of_input(book: Book) -> None:
    done = wt(
        book,
        "copilot",
        "chat",
        book.at_risk,
        "--as",
        "owner-csm",
        "--as-of",
        AS_OF.isoformat(),
        stdin="Who is our champion there?\n\nWhen do they renew?\n",
    )
    assert done.exit_code == 0, done.output
    assert done.output.count("sources:") + done.output.count("No contact") >= 2
    assert "Renewals of" in done.output or "has no renewal forecast" in done.output


def test_the_python_entry_point_answers_with_the_same_schema(book: Book, monkeypatch: pytest.MonkeyPatch) -> None:
    answer = ask(book.settings, user=book.owner, account=book.at_risk, question="When do they renew?", as_of=AS_OF)
    assert answer.intent == "renewal_status" and answer.produced_by == "deterministic"
    assert all(c.account == book.at_risk for c in answer.citations)
    monkeypatch.setenv("WATCHTOWER_DATA_DIR", str(book.data_dir))  # given an engine, the rest is the environment
    nothing = ask(book.engine, user=book.owner, account=book.foreign, question="When do they renew?", as_of=AS_OF)
    assert nothing.answer.startswith("No such account")


def test_a_question_no_intent_matches_searches_what_was_said_and_an_off_topic_one_finds_nothing(book: Book) -> None:
    with KnowledgeBase.open(book.data_dir) as kb:
        said = [c.text.split(": ", 1)[-1] for c in kb.lexical.chunks_of(book.at_risk_id) if c.contact_ids]
    assert said, "the at-risk account has nothing a customer said"
    word = max((w.strip(".,!?") for w in said[0].split()), key=len)
    done = wt(book, "copilot", "ask", book.at_risk, f"Did anyone bring up {word}?", "--as", "owner-csm",
              "--as-of", AS_OF.isoformat(), "--json")  # fmt: skip
    searched = CopilotAnswer.model_validate_json(done.output)
    assert searched.intent == "what_did_they_say" and searched.citations, searched.answer
    assert all(c.source == "kb" and c.account == book.at_risk for c in searched.citations)
    assert any(word in c.quote for c in searched.citations)
    done = wt(book, "copilot", "ask", book.at_risk, "What is the capital of France?", "--as", "owner-csm", "--json")
    off_topic = CopilotAnswer.model_validate_json(done.output)
    assert off_topic.answer.startswith("I found nothing") and "I can also answer" in off_topic.answer
    assert not off_topic.citations
