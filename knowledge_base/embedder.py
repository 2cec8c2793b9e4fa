"""What the knowledge base needs of a text embedder, whichever model or service is behind it.

Rows come back L2-normalised so a dot product is the cosine similarity: stores and rankers can compare
vectors without knowing which embedder made them. ``name`` keys the vector collection, so vectors of two
models (or two sizes of one model) never end up side by side where their similarities would mean nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import numpy as np


class Embedder(Protocol):
    # Read-only properties rather than plain attributes so an embedder may learn its width from its first
    # answer (an endpoint's model) as well as know it up front (a class attribute satisfies a property).
    @property
    def name(self) -> str:
        """Stable id that keys the vector collection, e.g. ``all-minilm-l6-v2``."""
        ...

    @property
    def dimensions(self) -> int: ...

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """float32 array of shape (len(texts), dimensions), one L2-normalised row per text, in input order."""
        ...


def check_texts(texts: Sequence[str]) -> list[str]:
    """The texts as a list, refusing a lone string: as a sequence it would be embedded one character at a time."""
    if isinstance(texts, str):
        raise TypeError("embed() takes a sequence of texts; wrap a single text in a list")
    listed = list(texts)
    for position, text in enumerate(listed):
        if not isinstance(text, str):
            raise TypeError(f"text {position} is a {type(text).__name__}, not a str")
    return listed


def normalise_rows(vectors: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length in float32; an all-zero row stays zero rather than turning into NaN."""
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.maximum(norms, np.float32(1e-12))
