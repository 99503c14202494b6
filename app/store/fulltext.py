"""Keyword search over the indexed text: SQLite FTS5 (BM25) or PostgreSQL full-text (ts_rank_cd).

The only dialect branch outside the backends, because the two engines share no syntax. Both match any of the
query's words (a question rarely repeats every word of the answer) and rank by how well each segment matches.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from app.store.db import Tx

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


def query_terms(query: str) -> list[str]:
    """The distinct meaningful words of a query, lower-cased, in order."""
    terms: list[str] = []
    for word in _WORD.findall(query.lower()):
        word = word.split("'")[0]
        if len(word) > 1 and word not in STOP_WORDS and word not in terms:
            terms.append(word)
    return terms[:MAX_TERMS]


def index_texts(tx: Tx, rows: Sequence[tuple[int, str]]) -> None:
    """Make (vid, text) rows findable. PostgreSQL derives its column itself."""
    if tx.dialect == "sqlcipher":
        tx.executemany("INSERT INTO memory_fts (rowid, text) VALUES (?, ?)", rows)


def forget_texts(tx: Tx, vids: Sequence[int]) -> None:
    if tx.dialect == "sqlcipher":
        tx.executemany("DELETE FROM memory_fts WHERE rowid = ?", [(vid,) for vid in vids])


def keyword_matches(
    tx: Tx, query: str, user_id: str, where: str, params: Sequence[object], limit: int
) -> list[int]:
    """Vector ids of the user's segments that match the query's words, best first.

    `where` is an extra condition over `v` (segment_vectors), `s` (segments) and `r` (recordings), the
    same the vector side uses, so both halves of a hybrid search obey the same filters.
    """
    terms = query_terms(query)
    if not terms:
        return []
    joins = (
        "JOIN segments s ON s.id = v.segment_id AND s.text = v.text "
        "JOIN recordings r ON r.id = s.recording_id"
    )
    if tx.dialect == "sqlcipher":
        match = " OR ".join('"' + term.replace('"', "") + '"' for term in terms)
        rows = tx.all(
            f"SELECT v.vid FROM memory_fts f JOIN segment_vectors v ON v.vid = f.rowid {joins} "
            f"WHERE memory_fts MATCH ? AND v.user_id = ? AND r.user_id = ? {where} "
            "ORDER BY bm25(memory_fts) LIMIT ?",
            (match, user_id, user_id, *params, limit),
        )
    else:
        tsquery = " | ".join(word for word in (re.sub(r"[^\w]", "", term) for term in terms) if word)
        if not tsquery:
            return []
        rows = tx.all(
            f"SELECT v.vid FROM segment_vectors v {joins} "
            "WHERE v.tsv @@ to_tsquery('english', ?) AND v.user_id = ? AND r.user_id = ? "
            f"{where} ORDER BY ts_rank_cd(v.tsv, to_tsquery('english', ?)) DESC LIMIT ?",
            (tsquery, user_id, user_id, *params, tsquery, limit),
        )
    return [row["vid"] for row in rows]
