"""A small embedder with no model: hashed word and word-pair counts, L2-normalised.

It has the embedder shape (``name``, ``dimensions``, ``embed``) and needs nothing installed, so the copilot
classifies questions even where no embedding model is available, and tests run without one. It matches
wording, not meaning: "renew" and "renewal" share a stem here, "churn" and "leave" do not. The offline
sentence model (``knowledge_base.embeddings``) is preferred wherever it loads.
"""

from __future__ import annotations

import hashlib
import itertools
import re
from collections.abc import Sequence

import numpy as np

_WORD = re.compile(r"[a-z0-9]+")
_STOP = frozenset(
    "a an the is are was were do does did of on in at to for and or with it its they them their there this that".split()
)


def _stem(word: str) -> str:
    for suffix in ("ings", "ing", "ed", "es", "s", "al"):
        if len(word) > len(suffix) + 3 and word.endswith(suffix):
            return word[: -len(suffix)]
    return word


def _bucket(feature: str, dimensions: int) -> int:
    return int.from_bytes(hashlib.blake2b(feature.encode(), digest_size=8).digest(), "big") % dimensions


class HashedWordEmbedder:
    def __init__(self, dimensions: int = 1024) -> None:
        self.dimensions = dimensions
        self.name = f"hashed-words-{dimensions}"

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dimensions), dtype=np.float32)
        for row, text in enumerate(texts):
            words = [_stem(w) for w in _WORD.findall(text.lower()) if w not in _STOP]
            for feature in [*words, *(f"{a} {b}" for a, b in itertools.pairwise(words))]:
                out[row, _bucket(feature, self.dimensions)] += 1.0
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.where(norms == 0, 1.0, norms)
