"""The embedded vector store: cosine order, account isolation inside the query, update, delete and hashes,
plus what only the embedded mode shows (its folder, surviving a reopen, batches past Chroma's limit)."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import numpy as np
import pytest

from core.settings import Settings
from knowledge_base.chunks import Hit
from knowledge_base.hybrid import hybrid_search
from knowledge_base.store import EXACT_ACCOUNTS, VectorStore, collection_name, dense_ranker, open_store, store_path
from tests.vector_store_cases import ACME, CASES, DIMENSIONS, chunk, fill, random_units, unit


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "var", chroma_host=None)


@pytest.fixture
def store(settings: Settings) -> Iterator[VectorStore]:
    with open_store(settings, name="test-embedder", dimensions=DIMENSIONS) as opened:
        yield opened


@pytest.mark.parametrize("case", CASES, ids=[c.__name__ for c in CASES])
def test_embedded_store(store: VectorStore, case: Callable[[VectorStore], None]) -> None:
    case(store)


def test_the_store_lives_under_the_data_dir_and_survives_a_reopen(settings: Settings) -> None:
    with open_store(settings, name="test-embedder", dimensions=DIMENSIONS) as first:
        fill(first)
    assert store_path(settings.data_dir) == settings.data_dir / "kb" / "chroma"
    assert (settings.data_dir / "kb" / "chroma" / "chroma.sqlite3").is_file()
    with open_store(settings, name="test-embedder", dimensions=DIMENSIONS) as again:
        assert again.count() == 5
        assert again.search(unit(1.0), [ACME], k=1)[0].chunk.source_id == "ACC-00001-X001"
    with open_store(settings, name="other-model", dimensions=DIMENSIONS) as other:
        assert other.count() == 0  # another embedder's vectors never share a collection


def test_the_collection_uses_cosine_and_no_embedding_function_of_chromas(store: VectorStore) -> None:
    assert store.name == "chunks__test-embedder__8"
    configuration = store._collection.configuration
    assert configuration["hnsw"]["space"] == "cosine"
    assert configuration["embedding_function"] is None


def test_collection_names_keep_to_what_chroma_accepts() -> None:
    assert collection_name("all-minilm-l6-v2", 384) == "chunks__all-minilm-l6-v2__384"
    assert collection_name("openai/text-embedding-3-small", 1536) == "chunks__openai-text-embedding-3-small__1536"
    with pytest.raises(ValueError, match="no letters or digits"):
        collection_name("//", 384)


def test_an_upsert_larger_than_chromas_batch_limit_is_split(store: VectorStore) -> None:
    size = store.batch_size + 10
    chunks = [chunk(f"ACC-{n % 50 + 1:05d}-X{n:05d}", n % 50 + 1) for n in range(size)]
    store.upsert(chunks, random_units(size, seed=3))
    assert store.count() == size


def test_vectors_of_the_wrong_shape_are_refused_with_the_collection_named(store: VectorStore) -> None:
    with pytest.raises(ValueError, match="chunks__test-embedder__8"):
        store.upsert([chunk("ACC-00001-X001", ACME)], np.zeros((1, DIMENSIONS + 1), dtype=np.float32))
    with pytest.raises(ValueError, match="shape"):
        store.search(np.zeros(DIMENSIONS + 1, dtype=np.float32), [ACME], k=5)


def test_account_zero_is_not_an_account(store: VectorStore) -> None:
    with pytest.raises(ValueError, match="start at 1"):
        store.upsert([chunk("ACC-00000-X001", 0)], unit(1.0)[np.newaxis, :])
    with pytest.raises(ValueError, match="start at 1"):
        store.search(unit(1.0), [0], k=5)


class AxisEmbedder:
    """Puts every text on axis 0: enough to see the ranker embed the query and search one account."""

    name = "axis"
    dimensions = DIMENSIONS

    def __init__(self) -> None:
        self.asked: list[str] = []

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        self.asked.extend(texts)
        return np.stack([unit(1.0) for _ in texts])


def test_the_dense_ranker_embeds_the_query_and_keeps_to_the_account(store: VectorStore) -> None:
    fill(store)
    embedder = AxisEmbedder()
    ranker = dense_ranker(store, embedder)
    hits = ranker("how is adoption going", ACME, 2)
    assert embedder.asked == ["how is adoption going"]
    assert [h.chunk.source_id for h in hits] == ["ACC-00001-X001", "ACC-00001-X002"]

    def nothing(query: str, account_id: int | None, k: int) -> list[Hit]:
        return []

    fused = hybrid_search("how is adoption going", ACME, 3, ranker, nothing)
    assert [h.chunk.source_id for h in fused] == ["ACC-00001-X001", "ACC-00001-X002", "ACC-00001-X003"]


class LeakyCollection:
    """A Chroma collection that ignores the account filter, as a bug in Chroma would."""

    def __init__(self, wheres: list[object]) -> None:
        self.wheres = wheres

    def query(self, **kwargs: object) -> dict[str, list[list[object]]]:
        self.wheres.append(kwargs.get("where"))
        meta = {"account_id": 2, "source_table": "interaction", "source_id": "ACC-00002-X001", "ordinal": 0}
        own = {"account_id": 1, "source_table": "interaction", "source_id": "ACC-00001-X001", "ordinal": 0}
        span = {"start": 0, "end": 4, "content_hash": "h1", "contact_ids": ""}
        return {
            "ids": [["interaction:ACC-00002-X001:0", "interaction:ACC-00001-X001:0"]],
            "documents": [["Globex", "Acme"]],
            "metadatas": [[meta | span, own | span]],
            "distances": [[0.0, 0.5]],
        }

    def get(self, **kwargs: object) -> dict[str, list[object]]:
        """The exact path's read: the same two rows, with vectors at cosine 1.0 and 0.5 to ``unit(1.0)``."""
        self.wheres.append(kwargs["where"])
        rows = self.query()
        self.wheres.pop()
        return {
            "ids": rows["ids"][0],
            "embeddings": [unit(1.0), unit(0.5, 0.8660254)],
            "documents": rows["documents"][0],
            "metadatas": rows["metadatas"][0],
        }


class LeakyClient:
    def __init__(self) -> None:
        self.wheres: list[object] = []

    def get_or_create_collection(self, name: str, **kwargs: object) -> LeakyCollection:
        return LeakyCollection(self.wheres)

    def get_max_batch_size(self) -> int:
        return 100


def test_a_hit_outside_the_accounts_is_dropped_even_when_chroma_returns_it() -> None:
    client = LeakyClient()
    store = VectorStore(client, name="leaky", dimensions=DIMENSIONS)  # type: ignore[arg-type]
    hits = store.search(unit(1.0), [ACME], k=5)
    assert client.wheres == [{"account_id": ACME}]
    assert [(h.chunk.account_id, h.rank, round(h.score, 3)) for h in hits] == [(ACME, 1, 0.5)]


def test_beyond_the_exact_limit_the_filtered_query_answers_and_is_checked_too() -> None:
    client = LeakyClient()
    store = VectorStore(client, name="leaky", dimensions=DIMENSIONS)  # type: ignore[arg-type]
    many = [1, *range(3, EXACT_ACCOUNTS + 3)]  # account 2, whose chunk Chroma leaks, is not among them
    hits = store.search(unit(1.0), many, k=5)
    assert client.wheres == [{"account_id": {"$in": many}}]
    assert [(h.chunk.account_id, h.chunk.source_id) for h in hits] == [(1, "ACC-00001-X001")]
    client.wheres.clear()
    assert [h.chunk.account_id for h in store.search(unit(1.0), many[1:], k=5)] == []
