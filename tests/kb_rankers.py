"""A dense ranker stand-in for tests: bag-of-words cosine over a fixed in-memory table of vectors.

It ranks by shared words where an embedding ranker ranks by shared meaning; that is enough to test fusion
and the suite's plumbing, and says nothing about how well the real embeddings retrieve.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence

from knowledge_base.chunks import Chunk, Hit


class BagOfWords:
    def __init__(self, chunks: Sequence[Chunk]) -> None:
        self.table = [(c, self.embed(f"{c.title or ''} {c.text}")) for c in chunks]

    @staticmethod
    def embed(text: str) -> Counter[str]:
        return Counter(re.findall(r"[a-z0-9]+", text.lower()))

    def __call__(self, query: str, account_id: int | None, k: int) -> list[Hit]:
        q = self.embed(query)
        q_norm = math.sqrt(sum(x * x for x in q.values()))
        scored = []
        for c, v in self.table:
            if c.account_id != account_id:
                continue
            dot = sum(q[w] * v[w] for w in q)
            if dot:
                scored.append((dot / (q_norm * math.sqrt(sum(x * x for x in v.values()))), c))
        scored.sort(key=lambda s: (-s[0], s[1].id))
        return [Hit(c, s, r) for r, (s, c) in enumerate(scored[:k], start=1)]
