"""Keyword search over the indexed text: SQLite FTS5 (BM25) or PostgreSQL full-text (ts_rank_cd).

The only dialect branch outside the backends, because the two engines share no syntax. Both match any of the
query's words (a question rarely repeats every word of the answer) and rank by how well each segment matches.

Words that occur in very many segments are left out: they say little about which moment is meant (their
BM25 weight is near zero) and ranking every segment that holds them would cost a scan of much of the memory
for each search. What is left is what keywords are for: names, numbers, rare terms that sentence vectors
blur. The vector half of the search still sees the whole question.

A match is not a vote of full weight: each carries its *coverage*, the share of the query's selective words
(weighted by how rare each is) that it holds. A question put in other words than its answer shares at
most a common word or two with unrelated moments; counting each such match as much as a moment holding
the question's rare words buried the answer under them (bench/answers: paraphrase recall@5 0.27).
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

from app.store.db import Tx
from app.store.sequence import current_sequence

# Words that carry no meaning for matching ("what did she say about ...").
STOP_WORDS = frozenset(
    """a about above after again all am an and any are as at be been before being below between both but by
    can could did do does doing down during each few for from further had has have having he her here hers
    him his how i if in into is it its itself just me more most my no nor not now of off on once only or
    other our ours out over own said same say says she should so some such tell than that the their them
    then there these they this those through to too under until up very was we were what when where which
    while who whom why will with would you your yours anyone anything someone something talk talked told
    mention mentioned""".split()  # noqa: SIM905 - a word list reads better as prose
)
_WORD = re.compile(r"[^\W_]+(?:'[^\W_]+)?", re.UNICODE)
MAX_TERMS = 16
# A word in more segments than this is too common to search by (ranking its matches would cost a scan).
MAX_TERM_SEGMENTS = 2000
# Ranked matches are checked against the store (live, the user's own, filters) this many at a time.
CHECK_CHUNK = 100


def query_terms(query: str) -> list[str]:
    """The distinct meaningful words of a query, lower-cased, in order."""
    terms: list[str] = []
    for word in _WORD.findall(query.lower()):
        word = word.split("'")[0]
        if len(word) > 1 and word not in STOP_WORDS and word not in terms:
            terms.append(word)
    return terms[:MAX_TERMS]


@dataclass(frozen=True)
class KeywordHit:
    """A segment vector matching some of the query's words, and the rarity-weighted share it holds."""

    vid: int
    coverage: float


def _matching(tx: Tx, term: str) -> tuple[str, str, str, str]:
    """(table, id column, condition, parameter) selecting the indexed texts that hold one word."""
    if tx.dialect == "sqlcipher":
        return "memory_fts", "rowid", "memory_fts MATCH ?", '"' + term.replace('"', "") + '"'
    return "segment_vectors", "vid", "tsv @@ plainto_tsquery('english', ?)", term


def term_counts(tx: Tx, terms: list[str]) -> dict[str, int]:
    """How many indexed texts hold each query word, counted up to MAX_TERM_SEGMENTS + 1: a common word
    costs a short read of its posting list, not a scan of all of it."""
    counts: dict[str, int] = {}
    for term in terms:
        table, column, condition, parameter = _matching(tx, term)
        probe = f"SELECT {column} FROM {table} WHERE {condition} LIMIT ?"
        counts[term] = int(
            tx.one(f"SELECT count(*) AS n FROM ({probe}) AS probe", (parameter, MAX_TERM_SEGMENTS + 1))["n"]
        )
    return counts


def term_weights(counts: dict[str, int], population: int) -> dict[str, float]:
    """Inverse document frequency of each word: a word in few segments tells more about which one is
    meant. A word the memory never heard weighs as the rarest (count 1): a match holding the question's
    other words still misses it (bench/retrieval: paraphrase recall@1 0.03 -> 0.12 with it counted).
    `population` is the number of indexed texts (an upper bound does: only the ratios matter)."""
    population = max(population, max(counts.values(), default=1), 1)
    return {term: math.log(1.0 + population / max(count, 1)) for term, count in counts.items()}


def holding(tx: Tx, term: str, vids: Sequence[int]) -> set[int]:
    """Which of `vids` hold `term` (stemmed by the engine, as the match was)."""
    if not vids:
        return set()
    table, column, condition, parameter = _matching(tx, term)
    marks = ", ".join("?" * len(vids))
    rows = tx.all(
        f"SELECT {column} AS vid FROM {table} WHERE {condition} AND {column} IN ({marks})",
        (parameter, *vids),
    )
    return {row["vid"] for row in rows}


def coverages(
    weights: dict[str, float], holders: dict[str, set[int]], ids: Sequence[int]
) -> dict[int, float]:
    """Each id's share of the query words' total weight (1.0: it holds every word), from which ids hold
    each word."""
    total = sum(weights.values()) or 1.0
    return {i: sum(w for term, w in weights.items() if i in holders.get(term, ())) / total for i in ids}


def index_texts(tx: Tx, rows: Sequence[tuple[int, str]]) -> None:
    """Make (vid, text) rows findable. PostgreSQL derives its column itself."""
    if tx.dialect == "sqlcipher":
        tx.executemany("INSERT INTO memory_fts (rowid, text) VALUES (?, ?)", rows)


def forget_texts(tx: Tx, vids: Sequence[int]) -> None:
    if tx.dialect == "sqlcipher":
        tx.executemany("DELETE FROM memory_fts WHERE rowid = ?", [(vid,) for vid in vids])


def keyword_matches(
    tx: Tx, query: str, user_id: str, where: str, params: Sequence[object], limit: int
) -> list[KeywordHit]:
    """The user's live segments that match the query's selective words, best first, with their coverage.

    Every match of those words is ranked (there are at most MAX_TERM_SEGMENTS per word), then joined to
    the segments to keep the user's own, drop edited or deleted ones and apply `where`: the same condition
    over `s` (segments) and `r` (recordings) that the vector half obeys. The words' rarity is taken
    against the store's vector sequence, an upper bound of the number of indexed texts.
    """
    counts = term_counts(tx, query_terms(query))
    terms = [term for term, n in counts.items() if 0 < n <= MAX_TERM_SEGMENTS]
    if not terms:
        return []
    depth = MAX_TERM_SEGMENTS * len(terms)
    if tx.dialect == "sqlcipher":
        words = " OR ".join('"' + term.replace('"', "") + '"' for term in terms)
        ranked = (
            "SELECT rowid AS vid, rank AS score FROM memory_fts "
            "WHERE memory_fts MATCH ? ORDER BY rank LIMIT ?"
        )
        ranked_params: list[object] = [words, depth]
    else:
        tsquery = " || ".join("plainto_tsquery('english', ?)" for _ in terms)  # || is OR for tsquery
        ranked = (
            f"SELECT vid, ts_rank_cd(tsv, {tsquery}) AS score FROM segment_vectors "
            f"WHERE user_id = ? AND tsv @@ ({tsquery}) ORDER BY score DESC LIMIT ?"
        )
        ranked_params = [*terms, user_id, *terms, depth]
    # Two steps, so no planner can choose to walk every segment of the user and probe the matches; the
    # ranked matches are then checked a chunk at a time, best first, until `limit` of them pass.
    ranked_vids = [row["vid"] for row in tx.all(ranked, ranked_params)]
    found: list[int] = []
    for start in range(0, len(ranked_vids), CHECK_CHUNK):
        chunk = ranked_vids[start : start + CHECK_CHUNK]
        allowed = {
            row["vid"]
            for row in tx.all(
                "SELECT v.vid FROM segment_vectors v "
                "JOIN segments s ON s.id = v.segment_id AND s.text = v.text "
                "JOIN recordings r ON r.id = s.recording_id "
                f"WHERE v.vid IN ({', '.join('?' * len(chunk))}) AND v.user_id = ? AND r.user_id = ?{where}",
                (*chunk, user_id, user_id, *params),
            )
        }
        found += [vid for vid in chunk if vid in allowed]
        if len(found) >= limit:
            break
    found = found[:limit]
    weighed = {term: n for term, n in counts.items() if n <= MAX_TERM_SEGMENTS}  # too common: no say
    holders = {term: holding(tx, term, found) for term in terms}
    share = coverages(term_weights(weighed, current_sequence(tx)), holders, found)
    return [KeywordHit(vid, share[vid]) for vid in found]
