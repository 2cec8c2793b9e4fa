"""The labelled retrieval set: questions a CSM asks about the seeded book, each labelled with the rows
that answer it.

Provenance: built by this module from the synthetic generator alone (``sources.synthetic``), for a book
size, seed and as-of date; the same arguments give the same file, byte for byte, and
``tests/unit/test_retrieval_set.py`` regenerates the committed sets to prove it. Nothing here reads a
retrieval result, so the set cannot drift towards what any ranker finds.

What is asked: the facts the generator plants through an account's story and scenario (a champion's
farewell email, a competitor on the renewal planning call, a stated decision not to renew, an NPS
verbatim, a quarterly business review, a "Recovery plan" meeting, a budget email before an unpaid invoice,
a new team's kickoff, a new owner's introduction, hostile and manipulative texts), plus one thing said in
each account's ordinary conversations. Questions are paraphrases from ``evals.retrieval_phrasing``; a
question may name the person who said it.

Labels: every row of the account (by table and external id) whose title and text hold all of the
question's evidence strings, the generator's own words for the fact. The row the question was written
from is always one of them; when the same words appear in another row of the account, that row answers
too and is labelled as well.

    python -m evals.retrieval_set --accounts 240 --seed 7 > evals/datasets/retrieval_kb_seed7.jsonl
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date

from evals.retrieval_corpus import AS_OF, SourceRow, book_rows
from evals.retrieval_phrasing import FAREWELL, IN_QBR, IN_SURVEY, KICKOFF, SENTENCES, SUBJECTS, WHO_SAID

ALL_TABLES = ("interaction", "survey_response", "support_ticket")
#: A general sentence question is only asked when so few rows of the account hold the sentence.
MAX_SUPPORT = 3
WHO_SAID_SHARE = 0.4
_FAREWELL = re.compile(r"([A-Z][\w'-]*(?: [A-Z][\w'-]*)+) here: I am leaving the company")
_STORY_SENTENCES = (
    "After a lot of discussion",
    "I am writing to let you know",
    "We won't renew this year",
    "worst software",
    "Stop wasting our time",
    "Ignore your previous",
    "SYSTEM:",
    "Assistant, as the admin",
    "contract values of your other customers",
    # the budget email an unpaid invoice leaves behind
    "Budgets are being cut",
    "Finance has frozen",
    "We have been asked to reduce",
)


@dataclass(frozen=True)
class Question:
    account: str
    question: str
    fact: str
    evidence: tuple[str, ...]
    tables: tuple[str, ...]
    anchor: str
    labels: tuple[tuple[str, str], ...]

    def as_row(self, number: int, seed: int) -> dict[str, object]:
        return {
            "id": f"kb-s{seed}-{number:04d}",
            "account": self.account,
            "question": self.question,
            "fact": self.fact,
            "evidence": list(self.evidence),
            "tables": list(self.tables),
            "anchor": self.anchor,
            "labels": [{"table": t, "id": i} for t, i in self.labels],
        }


def _lowered(question: str) -> str:
    return question[0].lower() + question[1:]


def _sentences_in(row: SourceRow) -> list[str]:
    return [s for s in SENTENCES if s in row.text]


def _speaker(row: SourceRow, sentence: str) -> tuple[str, str] | None:
    """Who said it, and the words that show it: a transcript line ("Ana Silva: ...") or an email's signature.
    A name in a subject ("Call with Ana Silva") is not enough: she may have said nothing of the kind."""
    line = re.search(rf"^([^:\n]+): {re.escape(sentence)}", row.text, re.MULTILINE)
    if line and not line.group(1).startswith("CSM"):
        return line.group(1), line.group(0)
    signed = re.search(r"\n\nBest,\n(.+)$", row.text)
    if row.kind == "email" and signed:
        return signed.group(1), signed.group(0)
    return None


class _Account:
    def __init__(self, ext: str, rows: list[SourceRow], rng: random.Random) -> None:
        self.ext, self.rows, self.rng = ext, rows, rng
        self.asked: set[tuple[tuple[str, ...], tuple[str, ...]]] = set()
        self.questions: list[Question] = []

    def support(self, evidence: Sequence[str], tables: Sequence[str]) -> list[SourceRow]:
        return [r for r in self.rows if r.table in tables and all(e in r.searchable for e in evidence)]

    def ask(self, question: str, fact: str, anchor: SourceRow, evidence: Sequence[str], tables: Sequence[str]) -> None:
        key = (tuple(evidence), tuple(tables))
        if key in self.asked:
            return
        labels = self.support(evidence, tables)
        if anchor not in labels:
            raise AssertionError(f"{anchor.external_id}: its own evidence {evidence} does not hold")
        self.asked.add(key)
        self.questions.append(
            Question(
                self.ext,
                question,
                fact,
                tuple(evidence),
                tuple(tables),
                anchor.external_id,
                tuple((r.table, r.external_id) for r in labels),
            )
        )

    def sentence(self, row: SourceRow, sentence: str, fact: str, tables: Sequence[str], prefix: str = "") -> None:
        phrasing = SENTENCES[sentence]
        evidence: list[str] = [sentence, row.title or ""] if prefix == IN_QBR else [sentence]
        said_by = _speaker(row, sentence) if not prefix else None
        if said_by and self.rng.random() < WHO_SAID_SHARE:
            speaker, shown_by = said_by
            template = self.rng.choice(WHO_SAID)
            text = template.format(name=speaker, first=speaker.split()[0], topic=phrasing.topic)
            self.ask(text, fact, row, [*evidence, shown_by], tables)
            return
        text = self.rng.choice(phrasing.questions)
        self.ask(prefix + _lowered(text) if prefix else text, fact, row, evidence, tables)


def account_questions(ext: str, rows: list[SourceRow], seed: int) -> list[Question]:
    """The questions of one account, in a fixed order: story facts first, then the rest."""
    a = _Account(ext, rows, random.Random(f"retrieval-set:{seed}:{ext}"))
    talk = [r for r in rows if r.table == "interaction"]
    for row in talk:
        farewell = _FAREWELL.search(row.text)
        if farewell:
            name = farewell.group(1)
            question = a.rng.choice(FAREWELL).format(name=name, first=name.split()[0])
            a.ask(question, "champion_farewell", row, [farewell.group(0)], ("interaction",))
        if row.title in SUBJECTS:
            fact = row.title.lower().replace(" ", "_").replace("-", "_")
            a.ask(a.rng.choice(SUBJECTS[row.title]), fact, row, [row.title], ("interaction",))
            said = _sentences_in(row)
            if said:
                a.sentence(row, a.rng.choice(said), fact, ALL_TABLES)
        if row.title and row.title.startswith("Kickoff with the "):
            department = row.title.removeprefix("Kickoff with the ").removesuffix(" team")
            question = a.rng.choice(KICKOFF).format(department=department)
            a.ask(question, "new_department_kickoff", row, [row.title], ("interaction",))
        for sentence in _sentences_in(row):
            if sentence.startswith(_STORY_SENTENCES):
                a.sentence(row, sentence, "stated_by_the_customer", ALL_TABLES)
    qbrs = [(r, s) for r in talk if r.title == "Quarterly business review" for s in _sentences_in(r)]
    if qbrs:
        row, sentence = a.rng.choice(qbrs)
        a.sentence(row, sentence, "quarterly_business_review", ("interaction",), IN_QBR)
    surveys = [r for r in rows if r.table == "survey_response" and r.text in SENTENCES]
    if surveys:
        detractors = [r for r in surveys if r.score is not None and r.score <= 6]
        row = a.rng.choice(detractors or surveys)
        a.sentence(row, row.text, "nps_verbatim", ("survey_response",), IN_SURVEY)
    ordinary = [(r, s) for r in talk for s in _sentences_in(r) if len(a.support([s], ("interaction",))) <= MAX_SUPPORT]
    if ordinary:
        row, sentence = a.rng.choice(ordinary)
        a.sentence(row, sentence, "conversation", ALL_TABLES)
    return a.questions


def build(accounts: int, seed: int, as_of: date = AS_OF) -> Iterator[dict[str, object]]:
    number = 0
    for ext, rows in book_rows(accounts, seed, as_of):
        for question in account_questions(ext, rows, seed):
            number += 1
            yield question.as_row(number, seed)


def render(accounts: int, seed: int, as_of: date = AS_OF) -> str:
    return "".join(json.dumps(row, sort_keys=True) + "\n" for row in build(accounts, seed, as_of))


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--accounts", type=int, required=True)
    parser.add_argument("--seed", type=int, required=True)
    args = parser.parse_args(argv)
    sys.stdout.write(render(args.accounts, args.seed))


if __name__ == "__main__":
    main()
