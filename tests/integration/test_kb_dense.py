"""The vector side of the knowledge base follows the lexical ledger: embedded once, updated, removed, repaired."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import delete, select, update
from sqlalchemy.engine import Engine

from core.models import Interaction
from core.settings import Settings
from knowledge_base.open import open_knowledge_base
from tests.integration.helpers import seed_small_book


@pytest.fixture
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    monkeypatch.setenv("WATCHTOWER_KB_VECTORS", "true")
    return Settings(data_dir=tmp_path / "data")


def test_vectors_follow_edits_deletions_and_a_store_that_lost_some(engine: Engine, settings: Settings) -> None:
    seed_small_book(engine, accounts=4)
    with engine.connect() as conn:
        rows = conn.execute(select(Interaction.external_id, Interaction.account_id).order_by(Interaction.id)).all()
    edited, dropped = rows[0], rows[1]
    with open_knowledge_base(settings) as kb:
        assert kb.mode == "hybrid"
        with engine.connect() as conn:
            report = kb.ingest_book(conn)
        assert report.embedded == len(kb.lexical.chunk_hashes()) > 0
        assert kb.dense is not None and kb.dense.store.hashes() == kb.lexical.chunk_hashes()
        with engine.connect() as conn:
            assert kb.ingest_book(conn).embedded == 0  # nothing changed, nothing embedded

        with engine.begin() as conn:
            conn.execute(
                update(Interaction).where(Interaction.external_id == edited.external_id)
                .values(body="Dana Reyes: Our board asked us to find a cheaper supplier before March.")
            )  # fmt: skip
            conn.execute(delete(Interaction).where(Interaction.external_id == dropped.external_id))
        with engine.connect() as conn:
            report = kb.ingest_book(conn)
        assert report.embedded == 1 and report.vectors_removed >= 1
        assert kb.dense.store.hashes() == kb.lexical.chunk_hashes()

        # A paraphrase with none of the text's words is found by the vectors, and only in its own account.
        hits = kb.dense_search("they want a less expensive vendor", [edited.account_id], 3)
        assert hits[0].chunk.source_id == edited.external_id
        others = [a for a in {r.account_id for r in rows} if a != edited.account_id]
        assert all(h.chunk.account_id in others for h in kb.dense_search("less expensive vendor", others, 5))
        assert kb.search("they want a less expensive vendor", [edited.account_id], 3)[0].chunk.source_id == (
            edited.external_id
        )

        # Vectors lost (a crash between the two stores, a wiped collection) come back on the next run.
        lost = sorted(kb.dense.store.hashes())[:5]
        kb.dense.store.delete(lost)
        with engine.connect() as conn:
            assert kb.ingest_book(conn).embedded == 5
        assert kb.dense.store.hashes() == kb.lexical.chunk_hashes()
        assert report.embedded_fresh <= report.embedded
