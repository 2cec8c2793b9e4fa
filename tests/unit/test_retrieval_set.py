"""The labelled retrieval set: reproducible from the generator, and every label a row that answers."""

from __future__ import annotations

import json
import re
from collections import Counter

import pytest

from evals.retrieval_corpus import SourceRow, book_rows
from evals.retrieval_phrasing import SENTENCES
from evals.retrieval_scoring import RankingScore, first_answer
from evals.retrieval_set import render
from evals.spec import DATASETS
from evals.suites.retrieval_kb import chance_hit_at_5, read_questions
from knowledge_base.chunks import Chunk, Hit

BOOKS = [(240, 7, "retrieval_kb_seed7.jsonl"), (300, 21, "retrieval_kb_seed21.jsonl")]


@pytest.fixture(scope="module")
def seed7() -> tuple[list[dict], dict[str, list[SourceRow]]]:
    return read_questions("retrieval_kb_seed7.jsonl"), dict(book_rows(240, 7))


@pytest.mark.parametrize(("accounts", "seed", "name"), BOOKS)
def test_the_committed_set_is_what_the_generator_writes(accounts: int, seed: int, name: str) -> None:
    assert render(accounts, seed) == (DATASETS / name).read_text(encoding="utf-8")


def test_the_set_is_large_and_covers_every_planted_fact(seed7) -> None:
    questions, _ = seed7
    assert len(questions) >= 200
    facts = Counter(q["fact"] for q in questions)
    assert set(facts) >= {
        "champion_farewell",
        "renewal_planning",
        "recovery_plan",
        "quarterly_business_review",
        "nps_verbatim",
        "stated_by_the_customer",
        "new_department_kickoff",
        "introduction_to_the_new_owner",
        "concerns_before_renewal",
        "check_in",
    }
    assert len({q["id"] for q in questions}) == len(questions)


def test_every_label_is_a_row_of_the_account_whose_text_holds_the_evidence(seed7) -> None:
    questions, book = seed7
    for q in questions:
        rows = {(r.table, r.external_id): r for r in book[q["account"]]}
        labels = {(label["table"], label["id"]) for label in q["labels"]}
        assert labels, q["id"]
        for key in labels:
            assert key in rows, (q["id"], key)
            assert all(e in rows[key].searchable for e in q["evidence"]), (q["id"], key)
        assert ("interaction", q["anchor"]) in labels or ("survey_response", q["anchor"]) in labels
        # and no row of the account that holds the evidence is left unlabelled
        holding = {
            k for k, r in rows.items() if r.table in q["tables"] and all(e in r.searchable for e in q["evidence"])
        }
        assert holding == labels, q["id"]


def test_questions_paraphrase_rather_than_copy(seed7) -> None:
    questions, _ = seed7
    for q in questions:
        for sentence in SENTENCES:
            assert sentence.lower().rstrip(".") not in q["question"].lower(), q["id"]
        assert q["question"].endswith("?")


NAMED = re.compile(
    r"^(?:What did (?P<name>.+) say about|Did (?P<first>[A-Z]\S*) bring up|Did (?P<leaver>[A-Z]\S*) tell us|"
    r"Is (?P<leaving>.+) leaving\?|When did (?P<bye>.+) say goodbye)"
)


def test_a_question_naming_someone_is_labelled_with_rows_that_name_them(seed7) -> None:
    questions, book = seed7
    named = 0
    for q in questions:
        match = NAMED.match(q["question"])
        if not match:
            continue
        named += 1
        who = next(v for v in match.groupdict().values() if v)
        for label in q["labels"]:
            row = next(r for r in book[q["account"]] if r.external_id == label["id"])
            assert who in row.text, (q["id"], who)
    assert named >= 50


def chunk(table: str, source_id: str, ordinal: int = 0) -> Chunk:
    return Chunk(f"{table}:{source_id}:{ordinal}", 1, table, source_id, ordinal, "t", 0, 1, None)


def test_a_hit_is_any_chunk_of_a_labelled_row() -> None:
    hits = [Hit(chunk("interaction", "X1"), 1, 1), Hit(chunk("interaction", "X2", 3), 1, 2)]
    assert first_answer(hits, {("interaction", "X2")}) == 2
    assert first_answer(hits, {("survey_response", "X2")}) is None
    score = RankingScore.of([1, 2, None, 6, 11])
    assert (score.hit_at_1, score.hit_at_5) == (0.2, 0.4)
    assert score.mrr == pytest.approx(round((1 + 1 / 2 + 1 / 6) / 5, 4))


def test_chance_hit_at_5() -> None:
    assert chance_hit_at_5(5, 1) == 1.0
    assert chance_hit_at_5(10, 1) == pytest.approx(0.5)
    assert chance_hit_at_5(10, 6) == 1.0


def test_question_rows_are_json_objects_with_the_fields_the_suite_reads() -> None:
    line = (DATASETS / "retrieval_kb_seed7.jsonl").read_text(encoding="utf-8").splitlines()[0]
    assert {"id", "account", "question", "fact", "evidence", "tables", "anchor", "labels"} <= set(json.loads(line))
