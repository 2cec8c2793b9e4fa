"""What every embedder offers: a stable name, a width, and unit-length vectors for a batch of texts."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import numpy as np


class Embedder(Protocol):
    name: str  # stable id: it keys the vector collection and the vector cache
    dimensions: int

    def embed(self, texts: Sequence[str]) -> np.ndarray:  # (len(texts), dimensions) float32, L2-normalised rows
        ...
