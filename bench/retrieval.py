"""How the search's two halves and their fusion rank the answer lines of bench/answer_corpus, in process.

    .venv/bin/python -m bench.retrieval                               # the shipped embedding model
    .venv/bin/python -m bench.retrieval --model /path/to/all-mpnet-base-v2  # a sentence-transformers dir
    .venv/bin/python -m bench.retrieval --query-precision int8       # questions as the search embeds them

A quick, repeatable look at ranking choices without building a memory through the pipeline: every line of
the scripted meetings is a segment (its words as written, no ASR errors), every answerable question is
asked, and the rank of the line holding its answer is read off. Keyword matching is SQLite FTS5 with the
store's tokenizer (porter unicode61) and the store's own query words, word weights and fusion
(`app.store.fulltext`, `workers.hybrid`); no filters are applied (speaker, time and recording questions are
scoped by the assistant in the real system, so their figures here are a floor). Rows:

- vectors only: the cosine ranking alone;
- keywords at full weight: reciprocal rank fusion with every keyword match counted fully (before issue 11);
- keywords by coverage: each match counted by the rarity-weighted share of the query's words it holds
  (what the search does);
- + context units: also a vector of each line with the line before it, a line scoring the better of its
  two (a question asked in the meeting then lends its words to the reply after it).

bench/answers.py measures the same through the whole system, with the assistant.
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import argparse  # noqa: E402
import platform  # noqa: E402
import sqlite3  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

from app.store.fulltext import coverages, query_terms, term_weights  # noqa: E402
from bench.answer_corpus import MEETINGS, QUESTIONS, Question  # noqa: E402
from workers.hybrid import fuse  # noqa: E402

DEPTH = 200
KEYWORD_DEPTH = 60


class Corpus:
    """The scripted lines, their vectors and an FTS5 index of their words."""

    def __init__(
        self, model_path: str, threads: int, lines: list[tuple[str, int, str]] | None = None
    ) -> None:
        """`lines` (meeting, position, text) default to the scripted meetings' lines."""
        import torch
        from sentence_transformers import SentenceTransformer

        torch.set_num_threads(threads)
        self.model = SentenceTransformer(model_path, device="cpu", local_files_only=True)
        self.lines = lines or [(m.key, i, line.text) for m in MEETINGS for i, line in enumerate(m.lines)]
        self.position = {(key, i): n for n, (key, i, _text) in enumerate(self.lines)}
        started = time.perf_counter()
        self.vectors = self.encode([text for _k, _i, text in self.lines])
        self.with_before = self.encode([self.before(n) + text for n, (_k, _i, text) in enumerate(self.lines)])
        self.index_seconds = time.perf_counter() - started
        self.db = sqlite3.connect(":memory:")
        self.db.execute("CREATE VIRTUAL TABLE fts USING fts5(text, tokenize='porter unicode61')")
        self.db.executemany(
            "INSERT INTO fts (rowid, text) VALUES (?, ?)",
            [(n, t) for n, (_k, _i, t) in enumerate(self.lines)],
        )

    def encode(self, texts: list[str]) -> np.ndarray:
        return np.asarray(
            self.model.encode(texts, normalize_embeddings=True, batch_size=64), dtype=np.float32
        )

    def before(self, n: int) -> str:
        key, i, _text = self.lines[n]
        previous = self.position.get((key, i - 1))
        return "" if previous is None else self.lines[previous][2] + " "

    def matches(self, term: str) -> set[int]:
        return {row[0] for row in self.db.execute("SELECT rowid FROM fts WHERE fts MATCH ?", (f'"{term}"',))}

    def keyword_hits(self, query: str, weighted: bool) -> list[tuple[int, float]]:
        """(line, coverage) best first, as `fulltext.keyword_matches` ranks and weighs them."""
        terms = query_terms(query)
        if not terms:
            return []
        held = {term: self.matches(term) for term in terms}
        present = [term for term, lines in held.items() if lines]
        if not present:
            return []
        words = " OR ".join(f'"{term}"' for term in present)
        ranked = [
            row[0]
            for row in self.db.execute(
                "SELECT rowid FROM fts WHERE fts MATCH ? ORDER BY rank LIMIT ?", (words, KEYWORD_DEPTH)
            )
        ]
        if not weighted:
            return [(n, 1.0) for n in ranked]
        weights = term_weights({term: len(lines) for term, lines in held.items()}, len(self.lines))
        share = coverages(weights, held, ranked)
        return [(n, share[n]) for n in ranked]


def kinds_of(questions: list[Question]) -> list[str]:
    """The question kinds in the order the question set first gives them."""
    return sorted({q.kind for q in questions}, key=[q.kind for q in questions].index)


def print_header(questions: list[Question], kinds: list[str]) -> None:
    """A recall table's header: one column per kind, with its count, and one for all."""
    print(
        "| ranking | "
        + " | ".join(f"{k} (n={sum(q.kind == k for q in questions)})" for k in kinds)
        + " | all |"
    )
    print("| --- " * (len(kinds) + 2) + "|")


def ranker(
    corpus: Corpus, keywords: str | None, context: bool
) -> Callable[[np.ndarray, Question], list[int]]:
    def rank(query_vector: np.ndarray, question: Question) -> list[int]:
        scores = corpus.vectors @ query_vector
        if context:
            scores = np.maximum(scores, corpus.with_before @ query_vector)
        order = np.argsort(-scores, kind="stable")[:DEPTH]
        vector_hits = [(int(n), float(scores[n])) for n in order]
        keyword_hits = [] if keywords is None else corpus.keyword_hits(question.text, keywords == "coverage")
        return [item for item, _score, _cosine in fuse(vector_hits, keyword_hits)]

    return rank


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--model", help="a sentence-transformers directory (default: the shipped MiniLM)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument(
        "--query-precision",
        choices=("float32", "int8"),
        default="float32",
        help="int8: questions through the int8 query model the search worker uses (lines stay float32)",
    )
    args = parser.parse_args()
    path = args.model
    if path is None:
        from models.assemble import ensure_model

        path = str(ensure_model("all-minilm-l6-v2"))
    corpus = Corpus(path, args.threads)
    questions = [q for q in QUESTIONS if q.kind != "unanswerable"]
    started = time.perf_counter()
    if args.query_precision == "int8":
        from workers.embed import TextEmbedder

        query_model = TextEmbedder(Path(path), os.path.basename(path), 1, precision="int8")
        query_vectors = np.stack([query_model.embed_query(q.text) for q in questions])
    else:
        query_vectors = np.stack([corpus.encode([q.text])[0] for q in questions])
    per_query_ms = (time.perf_counter() - started) * 1000 / len(questions)
    kinds = kinds_of(questions)
    model = os.path.basename(path.rstrip("/"))
    print(
        f"{platform.machine()}, {os.cpu_count()} cores, {args.threads} threads, model {model}: "
        f"{len(corpus.lines)} lines indexed twice in {corpus.index_seconds:.1f} s, "
        f"{per_query_ms:.1f} ms a query ({args.query_precision})"
    )
    print_header(questions, kinds)
    rows = {
        "vectors only": ranker(corpus, None, False),
        "keywords at full weight": ranker(corpus, "full", False),
        "keywords by coverage (served fusion, before re-ranking)": ranker(corpus, "coverage", False),
        "keywords by coverage + context units": ranker(corpus, "coverage", True),
    }
    for name, rank in rows.items():
        positions: dict[str, list[int]] = {}
        for vector, question in zip(query_vectors, questions, strict=True):
            order = rank(vector, question)
            gold = corpus.position[(question.meeting, question.line)]
            positions.setdefault(question.kind, []).append(order.index(gold) if gold in order else DEPTH)
        everything = [p for ps in positions.values() for p in ps]

        def cell(ps: list[int]) -> str:
            return f"{np.mean([p < 1 for p in ps]):.2f} / {np.mean([p < 5 for p in ps]):.2f}"

        print(f"| {name} | " + " | ".join(cell(positions[k]) for k in kinds) + f" | {cell(everything)} |")
    print("(cells: recall@1 / recall@5 of the line holding the answer)")


if __name__ == "__main__":
    main()
