"""Behaviours every vector store must show, embedded or on a server: the unit and integration suites each
run them against their own store, so both modes are held to the same promises."""

from __future__ import annotations

from datetime import date

import numpy as np

from knowledge_base.chunks import Chunk
from knowledge_base.store import VectorStore

DIMENSIONS = 8
ACME = 1
GLOBEX = 2


def chunk(
    source_id: str,
    account_id: int | None,
    text: str = "",
    *,
    ordinal: int = 0,
    content_hash: str = "h1",
    source_table: str = "interaction",
    title: str | None = None,
    occurred_on: date | None = date(2026, 10, 1),
    contact_ids: tuple[int, ...] = (3, 4),
) -> Chunk:
    text = text or f"Text of {source_id}."
    return Chunk(
        id=f"{source_table}:{source_id}:{ordinal}",
        account_id=account_id,
        source_table=source_table,
        source_id=source_id,
        ordinal=ordinal,
        text=text,
        start=0,
        end=len(text),
        occurred_on=occurred_on,
        contact_ids=contact_ids,
        title=title,
        content_hash=content_hash,
    )


def unit(*components: float) -> np.ndarray:
    vector = np.zeros(DIMENSIONS, dtype=np.float32)
    vector[: len(components)] = components
    return vector / np.linalg.norm(vector)


def random_units(count: int, seed: int) -> np.ndarray:
    vectors = np.random.default_rng(seed).standard_normal((count, DIMENSIONS)).astype(np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def fill(store: VectorStore) -> dict[str, np.ndarray]:
    """Three Acme chunks at known angles from axis 0, a Globex chunk on axis 1, a team document on axis 2."""
    table = {
        "near": (chunk("ACC-00001-X001", ACME, "Adoption is steady.", title="QBR"), unit(1.0, 0.1)),
        "middle": (chunk("ACC-00001-X002", ACME, "Support answered within the hour."), unit(1.0, 1.0)),
        "far": (chunk("ACC-00001-X003", ACME, "Invoice sent.", occurred_on=None, contact_ids=()), unit(0.1, 1.0)),
        "globex": (chunk("ACC-00002-X001", GLOBEX, "Globex is evaluating a competitor."), unit(0.0, 1.0)),
        "team": (
            chunk("playbook.md", None, "Call the champion 90 days out.", source_table="document"),
            unit(0.0, 0.0, 1.0),
        ),
    }
    store.upsert([c for c, _ in table.values()], np.stack([v for _, v in table.values()]))
    return {key: v for key, (_, v) in table.items()}


def check_order_and_scores(store: VectorStore) -> None:
    fill(store)
    hits = store.search(unit(1.0), [ACME], k=5)
    assert [h.chunk.source_id for h in hits] == ["ACC-00001-X001", "ACC-00001-X002", "ACC-00001-X003"]
    assert [h.rank for h in hits] == [1, 2, 3]
    expected = [float(unit(1.0) @ unit(1.0, 0.1)), float(unit(1.0) @ unit(1.0, 1.0)), float(unit(1.0) @ unit(0.1, 1.0))]
    assert np.allclose([h.score for h in hits], expected, atol=1e-4)
    first = hits[0].chunk
    assert (first.account_id, first.text, first.title, first.occurred_on, first.contact_ids) == (
        ACME,
        "Adoption is steady.",
        "QBR",
        date(2026, 10, 1),
        (3, 4),
    )
    last = hits[2].chunk
    assert (last.title, last.occurred_on, last.contact_ids) == (None, None, ())
    assert [h.chunk.source_id for h in store.search(unit(1.0), [ACME], k=2)] == ["ACC-00001-X001", "ACC-00001-X002"]


def check_account_isolation(store: VectorStore) -> None:
    vectors = fill(store)
    hits = store.search(vectors["globex"], [ACME], k=10)
    assert hits and {h.chunk.account_id for h in hits} == {ACME}
    # Filtered before the neighbours are taken: the three nearest Acme chunks, not the Globex one in their place.
    assert len(store.search(vectors["globex"], [ACME], k=3)) == 3
    assert {h.chunk.account_id for h in store.search(vectors["near"], [GLOBEX], k=10)} == {GLOBEX}
    assert store.search(vectors["globex"], [99], k=10) == []
    assert store.search(vectors["globex"], [], k=10) == []
    both = store.search(vectors["globex"], [ACME, GLOBEX], k=10)
    assert both[0].chunk.account_id == GLOBEX and {h.chunk.account_id for h in both} == {ACME, GLOBEX}


def check_team_documents(store: VectorStore) -> None:
    vectors = fill(store)
    [team] = store.search(vectors["team"], [None], k=5)
    assert (team.chunk.account_id, team.chunk.source_table) == (None, "document")
    assert all(h.chunk.account_id is not None for h in store.search(vectors["team"], [ACME, GLOBEX], k=10))
    assert {h.chunk.account_id for h in store.search(vectors["team"], [None, ACME], k=10)} == {None, ACME}


def check_update_in_place(store: VectorStore) -> None:
    fill(store)
    replaced = chunk("ACC-00001-X003", ACME, "Invoice paid in full.", content_hash="h2")
    store.upsert([replaced], unit(1.0)[np.newaxis, :])
    assert store.count() == 5
    top = store.search(unit(1.0), [ACME], k=1)[0]
    assert (top.chunk.id, top.chunk.text, top.chunk.content_hash) == (replaced.id, "Invoice paid in full.", "h2")
    assert store.hashes()[replaced.id] == "h2"


def check_delete_and_hashes(store: VectorStore) -> None:
    fill(store)
    assert store.hashes() == {
        "interaction:ACC-00001-X001:0": "h1",
        "interaction:ACC-00001-X002:0": "h1",
        "interaction:ACC-00001-X003:0": "h1",
        "interaction:ACC-00002-X001:0": "h1",
        "document:playbook.md:0": "h1",
    }
    assert store.hashes("document") == {"document:playbook.md:0": "h1"}
    assert store.hashes("survey_response") == {}
    store.delete(["interaction:ACC-00001-X001:0", "interaction:no-such:0"])
    assert store.count() == 4
    assert "interaction:ACC-00001-X001:0" not in store.hashes("interaction")
    assert [h.chunk.source_id for h in store.search(unit(1.0), [ACME], k=5)] == ["ACC-00001-X002", "ACC-00001-X003"]


def check_many_accounts(store: VectorStore) -> None:
    """A few hundred chunks over many accounts: whatever the vector, a query sees its account's chunks only."""
    chunks = [chunk(f"ACC-{a:05d}-X{n:03d}", a, ordinal=0) for a in range(1, 41) for n in range(10)]
    vectors = random_units(len(chunks), seed=11)
    store.upsert(chunks, vectors)
    for row in range(0, len(chunks), 37):
        for account in (1, 17, 40):
            hits = store.search(vectors[row], [account], k=10)
            assert len(hits) == 10 and {h.chunk.account_id for h in hits} == {account}
        assert store.search(vectors[row], [chunks[row].account_id], k=1)[0].chunk.id == chunks[row].id


CASES = [
    check_order_and_scores,
    check_account_isolation,
    check_team_documents,
    check_update_in_place,
    check_delete_and_hashes,
    check_many_accounts,
]
