"""Fusing the vector ranking with the keyword ranking (reciprocal rank fusion).

Ranks, not raw scores, are fused: cosine similarities and BM25 scores live on unrelated scales, while a
segment that both halves rank high is what a person means by "the right moment". A segment found by only
one half still counts, so an exact word (a name, a number) or a paraphrase each get found.

A keyword match's share is scaled by its coverage of the query's words (`fulltext.KeywordHit`): a match on
one common word of a reworded question is weak evidence and must not outvote the vector half's answer. On
bench/answers' scripted memory this took paraphrase recall@5 from 0.26 back to the vector half's 0.50 and
named recall@1 from 0.57 to 0.70.
"""

from __future__ import annotations

from collections.abc import Sequence

RRF_K = 60
VECTOR_WEIGHT = 1.0
KEYWORD_WEIGHT = 1.0


def fuse(
    vector_hits: Sequence[tuple[int, float]],
    keyword_hits: Sequence[tuple[int, float]],
    vector_weight: float = VECTOR_WEIGHT,
    keyword_weight: float = KEYWORD_WEIGHT,
    k: int = RRF_K,
) -> list[tuple[int, float, float | None]]:
    """(id, fused score, cosine similarity or None) best first, from (id, cosine) and (id, coverage in
    0..1) keyword matches, each best first. Ties go to the better vector rank, then the smaller id, so the
    order is deterministic."""
    scores: dict[int, float] = {}
    similarity: dict[int, float] = {}
    vector_rank: dict[int, int] = {}
    for rank, (item, cosine) in enumerate(vector_hits, 1):
        if item in vector_rank:
            continue
        vector_rank[item] = rank
        similarity[item] = cosine
        scores[item] = scores.get(item, 0.0) + vector_weight / (k + rank)
    seen: set[int] = set()
    for rank, (item, coverage) in enumerate(keyword_hits, 1):
        if item in seen:
            continue
        seen.add(item)
        scores[item] = scores.get(item, 0.0) + keyword_weight * coverage / (k + rank)
    order = sorted(scores, key=lambda item: (-scores[item], vector_rank.get(item, 1 << 30), item))
    return [(item, scores[item], similarity.get(item)) for item in order]
