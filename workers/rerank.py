"""Re-ordering the search's best fused candidates with weights learned on the answer benchmark.

Reciprocal rank fusion (`workers.hybrid.fuse`) knows two ranks and a keyword coverage. It cannot tell the
question asked in a meeting ("Do we know why the payment page was slow?") from the turn that answers it: the
question shares the asker's words, so it ranks first and the answer is often not in the top five. What tells
them apart is cheap to read for a few dozen candidates: whether a segment is itself a question, and how
close the segment said just before it is to the query (a reply follows what it answers). A logistic model
over those and the fusion's own signals re-orders the first `CANDIDATES`; the rest keep the fused order.

The weights are fitted by `bench.rerank --fit` on bench/answers' scripted meetings, on features of raw
scale, so no scaler is needed here. Held out by meeting (five folds), recall@5 on those questions went
from 0.69 to 0.75 (replies 0.48 to 0.85); on the pipeline's transcripts of the same meetings the shipped
weights take it from 0.67 to 0.77, and on bench/search's separate corpus they lose no named fact (README,
"Re-ranking"). A segment's length is deliberately not a feature: scripted lines are whole turns,
transcript segments are sentences, and what it learned on one hurt the other.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from workers.excerpts import is_question
from workers.hybrid import Ranking, VectorSearch

CANDIDATES = 30

# (feature, weight) as `bench.rerank --fit` printed them; the intercept only shifts every score alike.
WEIGHTS: tuple[tuple[str, float], ...] = (
    ("cosine", -1.2366),
    ("reply to a match", 5.7588),
    ("reply to a matching question", 1.9353),
    ("cosine below the best", 7.0761),
    ("keyword coverage", -5.2672),
    ("vector rank share", 270.3105),
    ("keyword rank share", 695.2390),
    ("is a question", -2.7819),
)
INTERCEPT = -4.1278


@dataclass(frozen=True)
class Candidate:
    """What the search knows of one candidate segment when it re-orders them."""

    vid: int
    cosine: float
    before_cosine: float  # the segment said just before it in its recording; 0 for a recording's first
    before_is_question: bool
    before_by_another: bool  # that segment has a known speaker other than this one's: this is a reply
    coverage: float  # share of the query's weighted words it holds (0 when no keyword matched)
    vector_rank: int | None  # 1-based; None when the vector half did not reach it
    keyword_rank: int | None
    text: str


def features(candidate: Candidate, best_cosine: float) -> dict[str, float]:
    """The model's inputs for one candidate; `best_cosine` is the vector half's best match for the query."""
    vector_rank = candidate.vector_rank or 1000
    keyword_rank = candidate.keyword_rank or 1000
    return {
        "cosine": candidate.cosine,
        "reply to a match": candidate.before_cosine * candidate.before_by_another,
        "reply to a matching question": (
            candidate.before_cosine * candidate.before_is_question * candidate.before_by_another
        ),
        "cosine below the best": candidate.cosine - best_cosine,
        "keyword coverage": candidate.coverage,
        "vector rank share": 1.0 / (60 + vector_rank),
        "keyword rank share": candidate.coverage / (60 + keyword_rank),
        "is a question": float(is_question(candidate.text)),
    }


FEATURES = tuple(features(Candidate(0, 0.0, 0.0, False, False, 0.0, None, None, ""), 0.0))


def relevance(candidate: Candidate, best_cosine: float) -> float:
    """The model's probability that this candidate holds what the query asks (0..1)."""
    values = features(candidate, best_cosine)
    logit = INTERCEPT + sum(weight * values[name] for name, weight in WEIGHTS)
    return 1.0 / (1.0 + math.exp(-max(-60.0, min(60.0, logit))))


def reorder(candidates: Sequence[Candidate], best_cosine: float) -> list[tuple[Candidate, float]]:
    """The candidates with their relevance, most relevant first; ties keep the fused order."""
    scored = [(candidate, relevance(candidate, best_cosine)) for candidate in candidates]
    return sorted(scored, key=lambda pair: -pair[1])


def reranked(
    index: VectorSearch,
    query_vector: np.ndarray,
    ranking: Ranking,
    said: Mapping[int, Mapping[str, Any]],
    depth: int,
) -> list[tuple[int, float, float | None]]:
    """(vid, relevance, cosine) best first: the first `depth` fused candidates re-ordered by relevance,
    then the rest in fused order with relevance 0 (not estimated; a search only reaches them when
    candidates above were deleted since). `said` is `search_results.said_before` of those candidates; one
    missing from it is no longer live and is left out. Cosines the vector half did not compute (a keyword
    match it did not reach, the segment said before a candidate) are computed exactly here."""
    top = ranking.fused[:depth]
    cosine = {vid: value for vid, _fused, value in top if value is not None}
    wanted = [vid for vid, _fused, value in top if value is None]
    wanted += [facts["before_vid"] for facts in said.values() if facts["before_vid"] is not None]
    cosine.update(index.rescore(query_vector, [vid for vid in dict.fromkeys(wanted) if vid not in cosine]))
    candidates = []
    for vid, _fused, _cosine in top:
        facts = said.get(vid)
        if facts is None:
            continue
        before_vid, before_text = facts["before_vid"], facts["before_text"]
        speakers = (facts["speaker_id"], facts["before_speaker_id"])
        candidates.append(
            Candidate(
                vid=vid,
                cosine=cosine.get(vid, 0.0),
                before_cosine=0.0 if before_vid is None else cosine.get(before_vid, 0.0),
                before_is_question=before_text is not None and is_question(before_text),
                before_by_another=None not in speakers and speakers[0] != speakers[1],
                coverage=ranking.coverage.get(vid, 0.0),
                vector_rank=ranking.vector_rank.get(vid),
                keyword_rank=ranking.keyword_rank.get(vid),
                text=facts["text"],
            )
        )
    ordered = [
        (c.vid, relevance, cosine.get(c.vid)) for c, relevance in reorder(candidates, ranking.best_cosine)
    ]
    return ordered + [(vid, 0.0, value) for vid, _fused, value in ranking.fused[depth:]]
