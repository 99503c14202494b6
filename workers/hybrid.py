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
from dataclasses import dataclass
from typing import Protocol

import numpy as np

RRF_K = 60
VECTOR_WEIGHT = 1.0
KEYWORD_WEIGHT = 1.0
# How deep each half looks before fusing. Past rank 50, a keyword match adds under 1/110 to a fused score:
# not worth checking hundreds of them against the store.
DEPTH = 200
KEYWORD_DEPTH = 50


class VectorSearch(Protocol):
    """What ranking needs of one user's vector index (`workers.vector_index.UserIndex`)."""

    def search(
        self, query: np.ndarray, k: int, allowed: np.ndarray | None, approximate: bool
    ) -> list[tuple[int, float]]: ...

    def rescore(self, query: np.ndarray, vids: list[int]) -> list[tuple[int, float]]: ...


def vector_depth(top_k: int) -> int:
    return max(DEPTH, top_k * 4)


@dataclass(frozen=True)
class Ranking:
    """The fused order and what the re-ranker (`workers.rerank`) reads of each half."""

    fused: list[tuple[int, float, float | None]]  # (vid, fused score, cosine or None), best first
    vector_rank: dict[int, int]  # 1-based rank in the vector half
    keyword_rank: dict[int, int]  # 1-based rank in the keyword half
    coverage: dict[int, float]  # the keyword half's coverage of the query's words
    best_cosine: float  # the vector half's best match; 0 when it found nothing


def rank(
    index: VectorSearch,
    query_vector: np.ndarray,
    keyword_hits: Sequence[tuple[int, float]],
    depth: int,
    allowed: np.ndarray | None,
    approximate: bool,
) -> Ranking:
    """The user's segments for a query, best first: the vector half (within `allowed` when filters
    apply), the keyword half's matches it missed scored exactly when the index is approximate, and the two
    fused (`fuse`)."""
    vector_hits = index.search(query_vector, depth, allowed, approximate)
    if approximate and allowed is None:
        keyword_ids = [vid for vid, _coverage in keyword_hits]
        vector_hits = with_keyword_candidates(index, query_vector, vector_hits, keyword_ids)
    keyword_rank: dict[int, int] = {}
    coverage: dict[int, float] = {}
    for position, (vid, share) in enumerate(keyword_hits, 1):
        keyword_rank.setdefault(vid, position)
        coverage.setdefault(vid, share)
    vector_rank: dict[int, int] = {}
    for position, (vid, _cosine) in enumerate(vector_hits, 1):
        vector_rank.setdefault(vid, position)
    return Ranking(
        fused=fuse(vector_hits, keyword_hits),
        vector_rank=vector_rank,
        keyword_rank=keyword_rank,
        coverage=coverage,
        best_cosine=max((cosine for _vid, cosine in vector_hits), default=0.0),
    )


def with_keyword_candidates(
    index: VectorSearch,
    query_vector: np.ndarray,
    vector_hits: list[tuple[int, float]],
    keyword_ids: list[int],
) -> list[tuple[int, float]]:
    """An approximate index misses the vectors that sit far from every cluster, and a distinctive moment
    (the one a question is after) is often one of them. Keyword matches it missed are scored exactly and
    ranked among its hits, so the vector half agrees with the keyword half about them."""
    seen = {vid for vid, _score in vector_hits}
    extra = index.rescore(query_vector, [vid for vid in keyword_ids if vid not in seen])
    if not extra:
        return vector_hits
    return sorted([*vector_hits, *extra], key=lambda hit: -hit[1])


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
