"""Which intent a question asks: the nearest example questions by embedding cosine, with a threshold.

An intent scores the best cosine of the question against any of its examples; the highest-scoring intent
wins, and below the intents file's threshold the fallback (help) answers instead, so an unrelated question
gets the list of what can be answered rather than a confident wrong answer.

Embedding the ~100 examples costs seconds on the offline model, so the example matrix is computed once and
kept on disk under the data directory, keyed by the embedder's name and the hash of the intents file: an
edited file or another embedder gets its own matrix, an unchanged one is read back in milliseconds.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

from agents.copilot.intents import LoadedIntents

logger = logging.getLogger(__name__)


class Embedder(Protocol):
    """What the classifier needs of an embedder (``knowledge_base.embedder.Embedder`` has this shape)."""

    name: str
    dimensions: int

    def embed(self, texts: Sequence[str]) -> np.ndarray: ...


@dataclass(frozen=True)
class Classification:
    intent: str
    #: Best cosine of the question against the chosen intent's examples (of the best intent, for the fallback).
    score: float
    #: The intent that scored best, even when the threshold sent the question to the fallback.
    nearest: str
    nearest_example: str
    #: Below the threshold: the fallback answered, whichever intent was nearest.
    fell_back: bool = False


def cache_file(cache_dir: Path, embedder_name: str, digest: str) -> Path:
    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", embedder_name)
    return cache_dir / f"intent-vectors-{safe}-{digest}.npz"


class IntentClassifier:
    def __init__(self, loaded: LoadedIntents, embedder: Embedder, *, cache_dir: Path | None = None) -> None:
        self.loaded = loaded
        self.embedder = embedder
        self.examples: list[str] = [e for i in loaded.intents.intents for e in i.examples]
        self.labels: list[str] = [i.id for i in loaded.intents.intents for _ in i.examples]
        self.matrix = self._matrix(cache_dir)

    def _matrix(self, cache_dir: Path | None) -> np.ndarray:
        path = cache_file(cache_dir, self.embedder.name, self.loaded.digest) if cache_dir is not None else None
        if path is not None and path.exists():
            with np.load(path) as stored:
                if list(stored["labels"]) == self.labels and stored["matrix"].shape[1] == self.embedder.dimensions:
                    return stored["matrix"].astype(np.float32)
            logger.warning("intent vectors in %s do not match the intents; computing them again", path)
        matrix = np.asarray(self.embedder.embed(self.examples), dtype=np.float32)
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            partial = path.with_suffix(".partial.npz")
            np.savez(partial, matrix=matrix, labels=np.array(self.labels))
            partial.replace(path)  # a reader never sees a half-written file
        return matrix

    def classify(self, question: str) -> Classification:
        return self.classify_many([question])[0]

    def classify_many(self, questions: Sequence[str]) -> list[Classification]:
        vectors = np.asarray(self.embedder.embed(list(questions)), dtype=np.float32)
        scores = vectors @ self.matrix.T  # rows are unit length: the dot product is the cosine
        intents = self.loaded.intents
        threshold = intents.threshold_for(self.embedder.name)
        out = []
        for row in scores:
            best = int(np.argmax(row))
            nearest, score = self.labels[best], float(row[best])
            chosen = nearest if score >= threshold else intents.fallback
            out.append(Classification(chosen, round(score, 4), nearest, self.examples[best], score < threshold))
        return out
