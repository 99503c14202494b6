"""Re-ranking the search's candidates: learned fusion weights and the LLM as a judge, in process.

    .venv/bin/python -m bench.rerank                       # learned fusion only (seconds)
    .venv/bin/python -m bench.rerank --llm qwen2.5-0.5b-instruct --llm-depth 10
    .venv/bin/python -m bench.rerank --llm qwen2.5-1.5b-instruct --llm-depth 10

Issue 11 asks to re-rank the fused candidates with a cross-encoder, the LLM or learned fusion weights, and to
measure each. No cross-encoder ships with its weights in a package (README, "Retrieval in process"), so this
measures the other two on bench/answers' scripted meetings, as `bench.retrieval` does (every line a segment,
its words as written, the served int8 query model, the served fusion of `workers.hybrid`):

- served: the fused ranking the search returns today;
- learned fusion: a logistic regression over what the search already knows of each of its top candidates
  (cosine, the keyword half's coverage, both ranks, whether the line is a question, its length) plus the
  cosine of the line said just before it, which is how a reply to a question asked in the meeting can be
  told from the question itself. Trained and scored with the meetings split into folds (a question is only
  ever ranked by weights learned on other meetings' questions), so the figure is a held-out one;
- LLM judge: the model's probability of answering "Yes" to "does this line answer the question?" for each
  of the top `--llm-depth` candidates (the line before it shown as context), those candidates re-ordered by
  it; the time is what the judging adds to one question.
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import argparse  # noqa: E402
import platform  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

from bench.answer_corpus import MEETINGS, QUESTIONS, Question  # noqa: E402
from bench.retrieval import DEPTH, Corpus, kinds_of, print_header  # noqa: E402
from workers import rerank  # noqa: E402
from workers.excerpts import is_question  # noqa: E402
from workers.hybrid import fuse  # noqa: E402

FOLDS = 5


def scripted_speakers(corpus: Corpus) -> list[str]:
    """Who said each line of the scripted meetings."""
    by_key = {m.key: m for m in MEETINGS}
    return [by_key[key].lines[i].speaker for key, i, _text in corpus.lines]


def candidates(
    corpus: Corpus, speakers: list[str], vector: np.ndarray, question: str
) -> tuple[list[int], np.ndarray]:
    """The served fused ranking (line numbers, best first), the re-ranker's features of its first
    `rerank.CANDIDATES` (rows in `rerank.FEATURES` order)."""
    scores = corpus.vectors @ vector
    order = np.argsort(-scores, kind="stable")[:DEPTH]
    vector_hits = [(int(n), float(scores[n])) for n in order]
    keyword_hits = corpus.keyword_hits(question, True)
    fused = fuse(vector_hits, keyword_hits)
    vector_rank = {n: r for r, (n, _s) in enumerate(vector_hits, 1)}
    keyword_rank = {n: r for r, (n, _c) in enumerate(keyword_hits, 1)}
    coverage = dict(keyword_hits)
    best = float(scores.max())
    rows = []
    for n, _score, _cosine in fused[: rerank.CANDIDATES]:
        key, i, text = corpus.lines[n]
        before = corpus.position.get((key, i - 1))
        candidate = rerank.Candidate(
            vid=n,
            cosine=float(scores[n]),
            before_cosine=0.0 if before is None else float(scores[before]),
            before_is_question=before is not None and is_question(corpus.lines[before][2]),
            before_by_another=before is not None and speakers[before] != speakers[n],
            coverage=coverage.get(n, 0.0),
            vector_rank=vector_rank.get(n),
            keyword_rank=keyword_rank.get(n),
            text=text,
        )
        rows.append(list(rerank.features(candidate, best).values()))
    return [n for n, _s, _c in fused], np.asarray(rows, dtype=np.float64)


def fitted(x: np.ndarray, y: np.ndarray):
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    model = make_pipeline(StandardScaler(), LogisticRegression(C=1.0, class_weight="balanced", max_iter=1000))
    return model.fit(x, y)


def raw_weights(model) -> tuple[np.ndarray, float]:
    """The pipeline's weights on unscaled features, and its intercept: what `workers.rerank` serves."""
    scaler, logistic = model[0], model[-1]
    weights = logistic.coef_[0] / scaler.scale_
    return weights, float(logistic.intercept_[0] - weights @ scaler.mean_)


def served_orders(fused: list[list[int]], rows: list[np.ndarray]) -> list[list[int]]:
    """The candidates as `workers.rerank` orders them with its shipped weights."""
    weights = np.array([dict(rerank.WEIGHTS).get(name, 0.0) for name in rerank.FEATURES])
    orders = []
    for ranking, features in zip(fused, rows, strict=True):
        logit = features @ weights
        top = ranking[: len(features)]
        orders.append([top[j] for j in np.argsort(-logit, kind="stable")] + ranking[len(features) :])
    return orders


def learned_orders(
    fused: list[list[int]], rows: list[np.ndarray], golds: list[set[int]], meetings: list[str]
) -> tuple[list[list[int]], np.ndarray]:
    """Each question's candidates re-ordered by a logistic regression trained on the other folds'
    meetings; the mean weights over the folds (standardised features) for the report."""
    keys = sorted({m.key for m in MEETINGS})
    fold_of = {key: n % FOLDS for n, key in enumerate(keys)}
    orders: list[list[int]] = [[] for _ in fused]
    weights = []
    for fold in range(FOLDS):
        train = [q for q, m in enumerate(meetings) if fold_of[m] != fold]
        x = np.vstack([rows[q] for q in train])
        y = np.concatenate([[n in golds[q] for n in fused[q][: len(rows[q])]] for q in train])
        model = fitted(x, y)
        weights.append(model[-1].coef_[0])
        for q, meeting in enumerate(meetings):
            if fold_of[meeting] == fold:
                top = fused[q][: len(rows[q])]
                probability = model.predict_proba(rows[q])[:, 1]
                ranked = [top[j] for j in np.argsort(-probability, kind="stable")]
                orders[q] = ranked + fused[q][len(top) :]
    return orders, np.mean(weights, axis=0)


class LlmJudge:
    """The chat model asked, for one line at a time, whether it answers the question."""

    SYSTEM = (
        "You check search results from meeting transcripts. Answer Yes if the line states the answer to the "
        "question, No otherwise."
    )

    def __init__(self, name: str, threads: int) -> None:
        from models.assemble import ensure_model
        from workers.llm import LlmEngine

        self.engine = LlmEngine(ensure_model(name) / "model.gguf", name, 2048, threads, 0)
        self.yes = self.engine._llm.tokenize(b"Yes", add_bos=False, special=False)[0]

    def score(self, question: str, before: str, line: str) -> float:
        context = f"Said just before: {before}\n" if before else ""
        messages = [
            {"role": "system", "content": self.SYSTEM},
            {
                "role": "user",
                "content": f"Question: {question}\n{context}Line: {line}\nDoes the line answer the question?",
            },
        ]
        return self.engine.first_token_probability(self.engine.prompt_tokens(messages), self.yes)


def judged_orders(
    judge: LlmJudge,
    corpus: Corpus,
    questions: list[Question],
    fused: list[list[int]],
    depth: int,
    log: Callable[[str], None],
) -> tuple[list[list[int]], float]:
    orders = []
    started = time.perf_counter()
    for q, (question, ranking) in enumerate(zip(questions, fused, strict=True)):
        top = ranking[:depth]
        probability = []
        for n in top:
            key, i, text = corpus.lines[n]
            before = corpus.position.get((key, i - 1))
            probability.append(
                judge.score(question.text, "" if before is None else corpus.lines[before][2], text)
            )
        orders.append([top[j] for j in np.argsort(-np.asarray(probability), kind="stable")] + ranking[depth:])
        if q % 20 == 19:
            log(f"  judged {q + 1} questions")
    return orders, (time.perf_counter() - started) / len(fused)


ANSWERABLE = [q for q in QUESTIONS if q.kind != "unanswerable"]


def first(order: list[int], golds: set[int]) -> int:
    """The rank (0-based) of the first line in `golds`; DEPTH when none is ranked."""
    return next((n for n, item in enumerate(order) if item in golds), DEPTH)


def transcribed(memory_file: Path, model_path: str, threads: int) -> tuple[Corpus, list, list[set[int]]]:
    """The memory `bench.answers --workdir` built through the pipeline (its `memory.json`): every
    transcribed segment a line, who the pipeline says said it, and per question the segments that cover
    its answer line (`bench.answers.overlaps`)."""
    import json

    from bench.answers import Placed, overlaps

    memory = json.loads(Path(memory_file).read_text())["memory"]
    lines, speakers, segments = [], [], []
    for key, kept in memory.items():
        for i, segment in enumerate(
            sorted(kept["recording"]["segments"], key=lambda s: (s["start"], s["id"]))
        ):
            lines.append((key, i, segment["text"]))
            speakers.append(segment["speaker_id"])
            segments.append({**segment, "recording_id": key})
    corpus = Corpus(model_path, threads, lines)
    golds = []
    for question in ANSWERABLE:
        line = Placed(**memory[question.meeting]["lines"][question.line])
        golds.append({n for n, segment in enumerate(segments) if overlaps(segment, question.meeting, line)})
    return corpus, speakers, golds


def table_row(
    name: str,
    orders: list[list[int]],
    golds: list[set[int]],
    kinds: list[str],
    questions: list[Question] = ANSWERABLE,
) -> str:
    positions: dict[str, list[int]] = {}
    for order, gold, question in zip(orders, golds, questions, strict=True):
        positions.setdefault(question.kind, []).append(first(order, gold))
    everything = [p for ps in positions.values() for p in ps]

    def cell(ps: list[int]) -> str:
        return f"{np.mean([p < 1 for p in ps]):.2f} / {np.mean([p < 5 for p in ps]):.2f}"

    return f"| {name} | " + " | ".join(cell(positions[k]) for k in kinds) + f" | {cell(everything)} |"


def heldout_lines(
    filler_per_meeting: int = 19, filler_meetings: int = 60
) -> tuple[list, list[str], dict[int, int]]:
    """bench/search's 40 facts, each said once amid everyday talk in a meeting of its own, and meetings of
    everyday talk only: a corpus the weights were never fitted on. Returns its lines, who said each (three
    people a meeting, in any order, so someone often says two lines running) and, per fact, the position
    of its line."""
    import random

    from bench.memory_corpus import SPEAKERS, facts, filler_sentences

    said = facts()
    filler = iter(filler_sentences(len(said) * filler_per_meeting + filler_meetings * 20))
    rng = random.Random(11)
    lines, fact_line = [], {}
    for fact in said:
        at = rng.randrange(filler_per_meeting + 1)
        for i in range(filler_per_meeting + 1):
            if i == at:
                fact_line[fact.index] = len(lines)
            lines.append((f"fact-{fact.index}", i, fact.text if i == at else next(filler)))
    for meeting in range(filler_meetings):
        lines.extend((f"talk-{meeting}", i, next(filler)) for i in range(20))
    people = [rng.sample(SPEAKERS, 3) for _ in range(len(said) + filler_meetings)]
    meeting_of = {key: n for n, key in enumerate(dict.fromkeys(key for key, _i, _t in lines))}
    speakers = [rng.choice(people[meeting_of[key]]) for key, _i, _t in lines]
    return lines, speakers, fact_line


def heldout_table(path: Path, threads: int, query_model) -> None:
    """Served fusion against the shipped re-ranker on the held-out corpus: named questions and paraphrases."""
    from bench.memory_corpus import facts

    lines, speakers, fact_line = heldout_lines()
    corpus = Corpus(str(path), threads, lines)
    print(f"held out: bench/search's 40 facts among {len(lines)} lines of everyday talk")
    print("| ranking | named (40) | paraphrase (40) |")
    print("| --- | --- | --- |")
    cells: dict[str, list[str]] = {"served fusion": [], "re-ranked (shipped weights)": []}
    for kind in ("question", "paraphrase"):
        said = facts()
        texts = [getattr(fact, kind) for fact in said]
        golds = [{fact_line[fact.index]} for fact in said]
        fused, rows = zip(
            *(candidates(corpus, speakers, query_model.embed_query(text), text) for text in texts),
            strict=True,
        )
        for name, orders in (
            ("served fusion", list(fused)),
            ("re-ranked (shipped weights)", served_orders(list(fused), list(rows))),
        ):
            ranks = [first(order, g) for order, g in zip(orders, golds, strict=True)]
            cells[name].append(
                f"{np.mean([r < 1 for r in ranks]):.2f} / {np.mean([r < 5 for r in ranks]):.2f}"
            )
    for name, row in cells.items():
        print(f"| {name} | " + " | ".join(row) + " |")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument(
        "--memory", type=Path, help="a transcribed memory: bench.answers --workdir DIR leaves DIR/memory.json"
    )
    parser.add_argument(
        "--fit", action="store_true", help="print weights fitted on every question, for workers/rerank.py"
    )
    parser.add_argument("--llm", help="judge with this shipped chat model (e.g. qwen2.5-0.5b-instruct)")
    parser.add_argument("--llm-depth", type=int, default=10, help="how many fused candidates the LLM judges")
    parser.add_argument(
        "--llm-every", type=int, default=1, help="judge every Nth question only (the 1.5B takes ~10 s each)"
    )
    args = parser.parse_args()
    from models.assemble import ensure_model
    from workers.embed import TextEmbedder

    path = ensure_model("all-minilm-l6-v2")
    query_model = TextEmbedder(Path(path), "all-minilm-l6-v2", 1, precision="int8")
    if args.memory:
        corpus, speakers, golds = transcribed(args.memory, str(path), args.threads)
    else:
        corpus = Corpus(str(path), args.threads)
        speakers = scripted_speakers(corpus)
        golds = [{corpus.position[(q.meeting, q.line)]} for q in ANSWERABLE]
    fused, rows = map(
        list,
        zip(
            *(candidates(corpus, speakers, query_model.embed_query(q.text), q.text) for q in ANSWERABLE),
            strict=True,
        ),
    )
    kinds = kinds_of(ANSWERABLE)
    print(
        f"{platform.machine()}, {os.cpu_count()} cores, {args.threads} threads; {len(ANSWERABLE)} questions"
    )
    print_header(ANSWERABLE, kinds)
    print(table_row("served fusion", fused, golds, kinds))
    depth = rerank.CANDIDATES
    ceiling = [sorted(g & set(f[:depth])) for f, g in zip(fused, golds, strict=True)]
    print(table_row(f"ceiling (answer in the top {depth})", ceiling, golds, kinds))
    learned, weights = learned_orders(fused, rows, golds, [q.meeting for q in ANSWERABLE])
    print(table_row(f"learned fusion ({FOLDS} folds by meeting)", learned, golds, kinds))
    if rerank.WEIGHTS:
        print(
            table_row(
                "shipped weights (fitted on the scripted lines)"
                if args.memory
                else "shipped weights (fitted on all of these)",
                served_orders(fused, rows),
                golds,
                kinds,
            )
        )
    if args.llm:
        judge = LlmJudge(args.llm, args.threads)
        picked = list(range(0, len(ANSWERABLE), args.llm_every))
        questions = [ANSWERABLE[q] for q in picked]
        sample = [golds[q] for q in picked]
        judged, seconds = judged_orders(
            judge, corpus, questions, [fused[q] for q in picked], args.llm_depth, print
        )
        if args.llm_every > 1:
            print(f"on every {args.llm_every}th question ({len(picked)}):")
            print(table_row("served fusion", [fused[q] for q in picked], sample, kinds, questions))
            print(table_row("learned fusion", [learned[q] for q in picked], sample, kinds, questions))
        print(table_row(f"{args.llm} judges the top {args.llm_depth}", judged, sample, kinds, questions))
        print(f"LLM judging: {seconds:.2f} s a question")
    print("(cells: recall@1 / recall@5 of the line holding the answer)")
    print(
        "weights (standardised, mean of the folds): "
        + ", ".join(f"{f} {w:+.2f}" for f, w in zip(rerank.FEATURES, weights, strict=True))
    )
    if args.fit:
        x = np.vstack(rows)
        y = np.concatenate(
            [[n in g for n in f[: len(r)]] for f, r, g in zip(fused, rows, golds, strict=True)]
        )
        raw, intercept = raw_weights(fitted(x, y))
        print(
            "WEIGHTS = ("
            + "".join(f'("{f}", {w:.4f}), ' for f, w in zip(rerank.FEATURES, raw, strict=True))
            + ")"
        )
        print(f"INTERCEPT = {intercept:.4f}")
    if rerank.WEIGHTS:
        heldout_table(path, args.threads, query_model)


if __name__ == "__main__":
    main()
