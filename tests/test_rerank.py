"""The learned re-ranker (`workers.rerank`): what it reads of each candidate and the order it gives."""

from __future__ import annotations

import numpy as np

from workers import rerank
from workers.hybrid import Ranking, fuse


class Vectors:
    """A user's vectors by id, rescored exactly as `workers.vector_index.UserIndex.rescore` does."""

    def __init__(self, vectors: dict[int, np.ndarray]) -> None:
        self.vectors = vectors

    def search(self, query, k, allowed, approximate):
        scored = sorted(((vid, float(v @ query)) for vid, v in self.vectors.items()), key=lambda p: -p[1])
        return scored[:k]

    def rescore(self, query, vids):
        return [(vid, float(self.vectors[vid] @ query)) for vid in vids if vid in self.vectors]


def unit(*parts: float) -> np.ndarray:
    vector = np.array(parts, dtype=np.float32)
    return vector / np.linalg.norm(vector)


def said_by(
    speaker: str,
    text: str,
    before_speaker: str | None = None,
    before_text: str | None = None,
    before_vid=None,
) -> dict:
    """A candidate as `app.store.search_results.said_before` describes it."""
    return {
        "text": text,
        "speaker_id": speaker,
        "before_text": before_text,
        "before_speaker_id": before_speaker,
        "before_vid": before_vid,
    }


def ranking_of(index: Vectors, query: np.ndarray, keyword_hits: list[tuple[int, float]]) -> Ranking:
    vector_hits = index.search(query, 100, None, False)
    return Ranking(
        fused=fuse(vector_hits, keyword_hits),
        vector_rank={vid: n for n, (vid, _c) in enumerate(vector_hits, 1)},
        keyword_rank={vid: n for n, (vid, _c) in enumerate(keyword_hits, 1)},
        coverage=dict(keyword_hits),
        best_cosine=vector_hits[0][1],
    )


def test_the_reply_to_a_question_asked_in_a_meeting_comes_before_the_echo():
    # "Why was the payment page slow?" asked of a memory where Sarah asked just that (vid 1, closest to
    # the query and sharing its words) and Nina answered (vid 2, further away, no shared word).
    query = unit(1, 0.1, 0)
    index = Vectors({1: unit(1, 0.15, 0), 2: unit(0.55, 1, 0), 3: unit(0.3, 0, 1), 4: unit(0, 0.2, 1)})
    asked = "Do we know why the payment page was so slow?"
    said = {
        1: said_by("sarah", asked, "tom", "Let's review.", 4),
        2: said_by(
            "nina", "It was slow because the currency service timed out under load.", "sarah", asked, 1
        ),
        3: said_by("sarah", "How many orders did we lose?"),
        4: said_by("tom", "Let's review."),
    }
    ranking = ranking_of(index, query, [(1, 1.0), (2, 0.3)])
    assert [vid for vid, _s, _c in ranking.fused][:2] == [1, 2]  # fusion alone puts the echo first
    ranked = rerank.reranked(index, query, ranking, said, depth=30)
    assert [vid for vid, _s, _c in ranked][:2] == [2, 1]
    relevance = [score for _vid, score, _cosine in ranked]
    assert relevance == sorted(relevance, reverse=True) and 0 < relevance[-1] < relevance[0] < 1
    # Every result keeps its exact cosine with the query.
    assert {vid: round(c, 4) for vid, _s, c in ranked} == {
        vid: round(float(v @ query), 4) for vid, v in index.vectors.items()
    }


def test_what_the_same_person_says_next_is_no_reply():
    # "Where are we going on vacation?": "We finally booked our holiday in Portugal!" and, from the same
    # person, "The flight leaves on Saturday morning at eight." The second follows a match but answers
    # nothing; said by someone else after a question, it would be a reply.
    query = unit(1, 0.1, 0)
    index = Vectors({1: unit(1, 0.6, 0), 2: unit(0.45, 1, 0.2)})
    ranking = ranking_of(index, query, [])
    holiday, flight = (
        "We finally booked our holiday in Portugal!",
        "The flight leaves on Saturday morning at eight.",
    )
    same = {1: said_by("dana", holiday), 2: said_by("dana", flight, "dana", holiday, 1)}
    assert [vid for vid, _s, _c in rerank.reranked(index, query, ranking, same, depth=30)] == [1, 2]
    asked = {
        1: said_by("dana", "Where are we going?"),
        2: said_by("ken", "Portugal, in May.", "dana", "Where are we going?", 1),
    }
    assert [vid for vid, _s, _c in rerank.reranked(index, query, ranking, asked, depth=30)] == [2, 1]


def test_a_candidate_no_longer_live_is_left_out_and_the_rest_keep_the_fused_order():
    query = unit(1, 0, 0)
    index = Vectors({n: unit(1, n / 10, 0) for n in range(1, 8)})
    ranking = ranking_of(index, query, [])
    said = {n: said_by("ken", f"line {n}.") for n in (1, 2, 4)}
    ranked = rerank.reranked(index, query, ranking, said, depth=4)
    # Vid 3 was deleted after it was indexed (the store no longer has it); 5..7 lie past the depth.
    assert [vid for vid, _s, _c in ranked] == [1, 2, 4, 5, 6, 7]
    assert [score for _vid, score, _c in ranked][3:] == [0.0, 0.0, 0.0]


def test_a_keyword_match_the_vector_half_did_not_reach_gets_its_cosine_and_a_fair_place():
    query = unit(1, 0, 0)
    index = Vectors({1: unit(1, 0.3, 0), 2: unit(0.2, 0, 1)})
    ranking = Ranking(
        fused=fuse([(1, float(index.vectors[1] @ query))], [(2, 1.0)]),
        vector_rank={1: 1},
        keyword_rank={2: 1},
        coverage={2: 1.0},
        best_cosine=float(index.vectors[1] @ query),
    )
    said = {n: said_by("ken", "Northwind renewed for two years.") for n in (1, 2)}
    ranked = dict((vid, cosine) for vid, _s, cosine in rerank.reranked(index, query, ranking, said, depth=30))
    assert ranked[2] is not None and abs(ranked[2] - float(index.vectors[2] @ query)) < 1e-6


def test_the_shipped_weights_name_every_feature_once():
    assert [name for name, _weight in rerank.WEIGHTS] == list(rerank.FEATURES)
