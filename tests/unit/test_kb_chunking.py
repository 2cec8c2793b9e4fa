"""The chunker cuts along structure and every chunk is a verbatim span of its source."""

from __future__ import annotations

import itertools

from hypothesis import given, settings
from hypothesis import strategies as st

from knowledge_base.chunking import (
    MAX_CHARS,
    MAX_TITLE,
    Source,
    chunk_source,
    cut,
    document_pieces,
    email_pieces,
    transcript_pieces,
)

TRANSCRIPT = (
    "Sam Ortiz: Thanks for making time today. How are things going with the platform?\n"
    "Dana Reyes: Pricing is our biggest concern going into renewal.\n"
    "Sam Ortiz: Understood, I will follow up on that.\n"
    "Lee Park: The reporting module saved us hours\nevery week, honestly.\n"
)


def test_a_transcript_is_cut_at_each_speaker_turn_and_a_turn_keeps_its_continuation_lines() -> None:
    pieces = transcript_pieces(TRANSCRIPT)
    assert [p.speaker for p in pieces] == ["Sam Ortiz", "Dana Reyes", "Sam Ortiz", "Lee Park"]
    assert (
        TRANSCRIPT[pieces[3].start : pieces[3].end]
        == "Lee Park: The reporting module saved us hours\nevery week, honestly."
    )


def test_a_turn_chunk_names_the_speaking_contact_and_a_csm_turn_names_nobody() -> None:
    source = Source(
        "interaction", "INT-1", 7, TRANSCRIPT, "QBR", kind="call", contacts=((11, "Dana Reyes"), (12, "Lee Park"))
    )
    chunks = chunk_source(source)
    assert [c.contact_ids for c in chunks] == [(), (11,), (), (12,)]
    assert [c.id for c in chunks] == [f"interaction:INT-1:{i}" for i in range(4)]
    assert all(source.text[c.start : c.end] == c.text for c in chunks)


def test_an_email_thread_is_cut_per_message() -> None:
    thread = (
        "Hi Sam,\n\nWe are reviewing the budget.\n\nBest,\nDana\n\n"
        "On Mon, 3 Nov 2026, Sam Ortiz wrote:\n> Any news on the renewal?\n> Thanks\n"
    )
    pieces = email_pieces(thread)
    assert len(pieces) == 2
    assert thread[pieces[1].start : pieces[1].end].startswith("On Mon, 3 Nov 2026, Sam Ortiz wrote:")
    assert "> Thanks" in thread[pieces[1].start : pieces[1].end]


def test_a_document_is_cut_by_heading_with_the_path_of_headings_above() -> None:
    doc = "Intro line.\n# Renewals\nStart at T-180.\n## Discounts\nUp to 10% needs a manager.\n# Support\nCall us.\n"
    pieces = document_pieces(doc, "Playbook")
    assert [p.heading for p in pieces] == ["Playbook", "Renewals", "Renewals > Discounts", "Support"]
    assert doc[pieces[2].start : pieces[2].end] == "## Discounts\nUp to 10% needs a manager."


def test_a_heading_of_a_hundred_thousand_characters_is_no_chunk_title() -> None:
    # Every chunk carries its title and the index tokenises it per chunk: a 200 KB heading over 200 chunks was
    # 40 MB to index (kb add of one such HTML or Markdown file ran for hours); the text keeps every word.
    heading = "x " * 100_000
    text = f"# {heading}\n\n" + "y" * 200_000 + "\n## Next\nshort\n"
    chunks = chunk_source(Source("document", "d", None, text, heading.strip(), None, "markdown"))
    assert len(chunks) > 100 and all(len(c.title or "") <= MAX_TITLE for c in chunks)
    assert chunks[-1].title is not None and chunks[-1].title.endswith(" > Next")
    assert all(text[c.start : c.end] == c.text for c in chunks)


def test_a_long_unit_is_cut_at_sentences_with_overlap_and_nothing_is_lost() -> None:
    text = " ".join(f"Sentence number {i} talks about the renewal plan in some detail." for i in range(60))
    spans = cut(text, 0, len(text))
    assert len(spans) > 2
    assert all(e - s <= MAX_CHARS for s, e in spans)
    assert all(text[e - 1] == "." for _, e in spans)  # cut after a sentence, not inside one
    assert all(b[0] < a[1] for a, b in itertools.pairwise(spans))  # neighbours overlap
    assert spans[0][0] == 0 and spans[-1][1] == len(text)


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("ab .!?\n:#>Dn")), max_size=3000), st.sampled_from(["call", "email"]))
def test_every_chunk_is_a_verbatim_bounded_span_and_every_word_is_in_some_chunk(text: str, kind: str) -> None:
    for table in ("interaction", "document", "survey_response"):
        chunks = chunk_source(Source(table, "X", 1, text, kind=kind))
        covered = set()
        for chunk in chunks:
            assert text[chunk.start : chunk.end] == chunk.text
            assert 0 < len(chunk.text) <= MAX_CHARS
            covered.update(range(chunk.start, chunk.end))
        assert all(i in covered for i, ch in enumerate(text) if not ch.isspace())


def test_an_edit_changes_the_content_hash_and_a_title_edit_does_too() -> None:
    base = Source("survey_response", "S-1", 3, "Support is slow.", "NPS survey: 4")
    assert base.content_hash != Source("survey_response", "S-1", 3, "Support is slow!", "NPS survey: 4").content_hash
    assert base.content_hash != Source("survey_response", "S-1", 3, "Support is slow.", "NPS survey: 5").content_hash
