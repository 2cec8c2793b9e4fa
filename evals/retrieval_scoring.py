"""Hit@k and reciprocal rank at the source-row level: a question is answered when any chunk of a labelled
row is in the top k, whichever chunk of that row it is."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from knowledge_base.chunks import Hit

#: Reciprocal rank counts the first answering row down to this depth; below it, 0.
MRR_DEPTH = 10


def first_answer(hits: Sequence[Hit], labels: set[tuple[str, str]]) -> int | None:
    """The 1-based position of the first hit from a labelled row, or None."""
    for position, hit in enumerate(hits, start=1):
        if (hit.chunk.source_table, hit.chunk.source_id) in labels:
            return position
    return None


@dataclass(frozen=True)
class RankingScore:
    questions: int
    hit_at_1: float
    hit_at_5: float
    mrr: float

    @classmethod
    def of(cls, positions: Iterable[int | None]) -> RankingScore:
        found = list(positions)
        n = len(found) or 1
        return cls(
            questions=len(found),
            hit_at_1=round(sum(p == 1 for p in found) / n, 4),
            hit_at_5=round(sum(p is not None and p <= 5 for p in found) / n, 4),
            mrr=round(sum(1 / p for p in found if p is not None and p <= MRR_DEPTH) / n, 4),
        )
