"""Hybrid retrieval: a dense ranker and the lexical ranker fused by reciprocal rank.

Reciprocal rank fusion reads only ranks, never scores, so a cosine similarity and a BM25 score that live on
different scales need no calibration against each other: a chunk scores the sum of ``1 / (k + rank)`` over
the lists it appears in. ``k`` (60 in the paper that introduced it, Cormack et al. 2009) damps the head of
each list, so a chunk both rankers place fairly high beats one that only one ranker places first.
Dense retrieval finds paraphrases; the lexical side finds the names, ids, numbers and product terms that
embeddings blur. Both rankers are handed the same account, so the fused list cannot hold another's chunk.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from knowledge_base.chunks import Chunk, Hit

#: Any ranker: (query, account id or None for team documents, how many) -> hits best first.
Ranker = Callable[[str, int | None, int], list[Hit]]

RRF_K = 60
#: Each ranker is asked for this many times ``k`` candidates, so a chunk ranked just below the cut-off in
#: both lists can still be fused into the top ``k``.
DEPTH = 4


def reciprocal_rank_fusion(rankings: Sequence[Sequence[Hit]], *, k: int = RRF_K, limit: int | None = None) -> list[Hit]:
    """Fuse ranked lists by chunk id. Ties go to the chunk with the better single best rank, then by id,
    so the order never depends on which ranker was listed first or on set iteration order."""
    if k < 0:
        raise ValueError(f"the fusion constant k must be 0 or more, not {k}")
    scores: dict[str, float] = {}
    best_rank: dict[str, int] = {}
    chunks: dict[str, Chunk] = {}
    for ranking in rankings:
        seen: set[str] = set()
        for position, hit in enumerate(ranking, start=1):
            chunk_id = hit.chunk.id
            if chunk_id in seen:  # a ranker that lists a chunk twice gets counted once
                continue
            seen.add(chunk_id)
            scores[chunk_id] = scores.get(chunk_id, 0.0) + 1.0 / (k + position)
            best_rank[chunk_id] = min(best_rank.get(chunk_id, position), position)
            chunks.setdefault(chunk_id, hit.chunk)
    order = sorted(scores, key=lambda c: (-scores[c], best_rank[c], c))
    if limit is not None:
        order = order[:limit]
    return [Hit(chunks[c], scores[c], rank) for rank, c in enumerate(order, start=1)]


def hybrid_search(
    query: str,
    account_id: int | None,
    k: int,
    dense: Ranker,
    lexical: Ranker,
    *,
    rrf_k: int = RRF_K,
    depth: int = DEPTH,
) -> list[Hit]:
    """The ``k`` best chunks of one account by both rankers fused; a chunk of another account that a ranker
    returns by mistake is dropped here too, so isolation does not rest on one ranker alone."""
    wanted = max(k * depth, k)
    lists = [
        [hit for hit in ranker(query, account_id, wanted) if hit.chunk.account_id == account_id]
        for ranker in (dense, lexical)
    ]
    return reciprocal_rank_fusion(lists, k=rrf_k, limit=k)
