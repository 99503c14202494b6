"""Search over a synthetic memory at 10k, 100k and 1M segments, through HTTP, against the real system.

    .venv/bin/python -m bench.search                       # 10k, 100k, 1M on a fresh SQLCipher store
    .venv/bin/python -m bench.search --sizes 10000,100000 --database-url postgresql://postgres@127.0.0.1/test

It starts its own web server (gunicorn), search worker and CPU worker on a scratch instance directory and
Redis database, creates a user, and then:

- indexing throughput: recordings of distinct sentences indexed by the real `indexing` task (embedding and
  store writes), segments per second;
- grows the memory to each size (meetings over two years, twelve named speakers, emotions from the shipped
  classifier; filler sentences embedded once and reused, with the hand-written facts each said once) and
  asks the question set through `POST /api/v1/search`, with the exact and with the approximate index:
  recall@1 and @5 (the fact's segment among the results), p50 and p99 latency of the whole HTTP call;
  a speaker-filtered variant of each question for the filtered latency;
- recall@10 of the approximate index against the exact one (tie-aware: the filler repeats, so a result
  scoring as high as the exact tenth counts), on the questions and 200 filler sentences as queries;
- the search worker's resident and peak memory (its processes together);
- emotion accuracy and macro-F1 of the configured classifier on the held-out labelled set.

The bulk of each memory is written straight into the store (the same store functions the indexing task
uses), because embedding a million segments one by one would take this machine most of an hour: indexing
speed is measured on its own, above.

The memory is written by `bench/memory_writer.py` and the system started by `bench/harness.py`; this module
holds the measurements and the command line.
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import argparse  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import secrets  # noqa: E402
import signal  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import uuid  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import requests  # noqa: E402

# Other benches and tests/test_faults.py import System, free_port, percentile, scratch_env and scratch_user
# from here.
from bench.harness import System, percentile, scratch_env  # noqa: E402
from bench.harness import free_port as free_port  # noqa: E402
from bench.harness import scratch_user as scratch_user  # noqa: E402
from bench.memory_corpus import SPEAKERS, facts, filler_sentences  # noqa: E402
from bench.memory_writer import MemoryWriter, cached_embeddings, synthetic_recording  # noqa: E402

# (index, ranking) pairs asked in each memory: both indexes with the learned re-ranker (served), and fusion
# alone, in the same run, for the comparison.
MODES = (("exact", "learned"), ("approximate", "learned"), ("exact", "fused"), ("approximate", "fused"))


def memory_mib(pid: int) -> tuple[float, float]:
    """(resident, peak resident) of a process and all its descendants, MiB: the search worker's prefork
    children hold the replicas, its parent only supervises them."""
    resident = peak = 0.0
    for member in [pid, *descendants(pid)]:
        fields = {}
        for line in Path(f"/proc/{member}/status").read_text().splitlines():
            key, _, value = line.partition(":")
            fields[key] = value
        resident += int(fields["VmRSS"].split()[0]) / 1024
        peak += int(fields["VmHWM"].split()[0]) / 1024
    return resident, peak


def descendants(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        for child in (task / "children").read_text().split():
            found += [int(child), *descendants(int(child))]
    return found


def measure_indexing(url: str, store, user_id: str, texts: list[str], celery) -> float:
    """Segments per second through the real indexing task, from send to the last vector stored."""
    import celeryconfig

    per_recording = 250
    recording_ids = []
    with store.tx() as tx:
        for start in range(0, len(texts), per_recording):
            recording = synthetic_recording(tx, user_id, "indexing", 1000.0, time.time())
            recording_ids.append(recording["id"])
            tx.executemany(
                "INSERT INTO segments (id, recording_id, chunk_index, seq, start_s, end_s, text) "
                "VALUES (?, ?, 0, ?, ?, ?, ?)",
                [
                    (uuid.uuid4().hex, recording["id"], seq, seq * 4.0, seq * 4.0 + 3.7, text)
                    for seq, text in enumerate(texts[start : start + per_recording])
                ],
            )
    # Load the model in the worker first: throughput, not start-up, is the figure.
    celery.send_task(celeryconfig.REINDEX_TASK, args=[recording_ids[0]])
    deadline = time.monotonic() + 120
    while _vectors(store, recording_ids[:1]) == 0 and time.monotonic() < deadline:
        time.sleep(0.2)
    done_before = _vectors(store, recording_ids)
    started = time.perf_counter()
    for recording_id in recording_ids[1:]:
        celery.send_task(celeryconfig.REINDEX_TASK, args=[recording_id])
    while _vectors(store, recording_ids) < len(texts):
        time.sleep(0.1)
    return (len(texts) - done_before) / (time.perf_counter() - started)


def _vectors(store, recording_ids: list[str]) -> int:
    marks = ", ".join("?" * len(recording_ids))
    with store.tx() as tx:
        return tx.one(
            f"SELECT count(*) AS n FROM segment_vectors WHERE recording_id IN ({marks})", recording_ids
        )["n"]


def ask(
    session: requests.Session,
    url: str,
    query: str,
    index: str,
    filters: dict | None = None,
    ranking: str = "auto",
):
    started = time.perf_counter()
    body = {"query": query, "top_k": 10, "index": index, "filters": filters or {}, "ranking": ranking}
    response = session.post(f"{url}/api/v1/search", json=body)
    elapsed = (time.perf_counter() - started) * 1000
    response.raise_for_status()
    return elapsed, [hit["segment_id"] for hit in response.json()["results"]]


def approximate_recall(
    store, user_id: str, query_sets: list[np.ndarray], approximate_from: int
) -> list[float]:
    """Recall@10 of the approximate index against the exact one, per set of query vectors."""
    from app.store import memory
    from workers.vector_index import Replica

    index = Replica(memory.StoredVectors(store), query_sets[0].shape[1], approximate_from).user(user_id)
    if index.approximate is None:
        return [float("nan")] * len(query_sets)
    recalls = []
    for queries in query_sets:
        found = 0
        for query in queries:
            exact = index.search(query, 10, None, approximate=False)
            approx = index.search(query, 10, None, approximate=True)
            floor = exact[-1][1] - 1e-5
            found += sum(1 for _vid, score in approx if score >= floor)
        recalls.append(found / (10 * len(queries)))
    return recalls


def emotion_scores(classifier) -> tuple[float, float]:
    from sklearn.metrics import accuracy_score, f1_score

    from workers.emotion import HELDOUT_SET, load_labelled

    texts, labels = load_labelled(HELDOUT_SET)
    predicted = [r.emotion for r in classifier.classify(texts)]
    return accuracy_score(labels, predicted), f1_score(labels, predicted, average="macro")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument(
        "--database-url", default="", help="PostgreSQL URL; default: a scratch SQLCipher file"
    )
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/13", help="flushed before the run")
    parser.add_argument("--pool", type=int, default=20000, help="distinct filler sentences")
    parser.add_argument("--repeats", type=int, default=5, help="times each question is asked per mode")
    parser.add_argument("--approximate-from", type=int, default=5000)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]

    workdir = Path(tempfile.mkdtemp(prefix="nemo-bench-search-"))
    database_url = args.database_url
    if database_url:
        import psycopg

        name = f"nemo_bench_{secrets.token_hex(4)}"
        admin = psycopg.connect(database_url, autocommit=True)
        admin.execute(f"CREATE DATABASE {name}")
        database_url = database_url.rsplit("/", 1)[0] + f"/{name}"
    env = scratch_env(
        workdir,
        args.redis_url,
        args.threads,
        database_url,
        NEMO_SEARCH_APPROXIMATE_FROM=str(args.approximate_from),
        # The first search after a bulk load waits for the replica to catch up (timed separately).
        NEMO_SEARCH_TIMEOUT="600",
    )
    os.environ.update(env)
    import redis

    redis.Redis.from_url(args.redis_url).flushdb()

    from app import create_app
    from app.store import users, voices
    from workers.emotion import emotion_engine
    from workers.pool import ModelPool

    app = create_app()
    store = app.extensions["nemo.store"]
    config = app.extensions["nemo.config"]
    with store.tx() as tx:
        user = users.create_user(tx, "bench", secrets.token_urlsafe(16))
        token, _ = users.create_token(tx, user["id"], "bench")
        voice_ids = [voices.create_voice(tx, user["id"], name)["id"] for name in SPEAKERS]

    pool = ModelPool(config.MODEL_BUDGET_BYTES)
    classifier = emotion_engine(
        pool, config.EMOTION_MODEL, config.EMBEDDING_MODEL, args.threads, config.INSTANCE_DIR / "models"
    )
    embedder = classifier.embedder
    accuracy, macro_f1 = emotion_scores(classifier)
    print(f"emotion on the held-out set: accuracy {accuracy:.3f}, macro-F1 {macro_f1:.3f}", flush=True)

    pool_texts = filler_sentences(args.pool)
    pool_vectors = cached_embeddings(embedder, pool_texts, "filler")
    pool_scores = classifier.probabilities(classifier.features_of(pool_texts, pool_vectors))
    fact_list = facts()
    fact_vectors = embedder.embed([f.text for f in fact_list])
    fact_scores = classifier.probabilities(classifier.features_of([f.text for f in fact_list], fact_vectors))
    question_vectors = embedder.embed([f.question for f in fact_list] + [f.paraphrase for f in fact_list])

    system = System(env, workdir)
    # A SIGTERM (or Ctrl-C) still stops the workers and web server this run started.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    rows = []
    try:
        url = system.start()
        session = requests.Session()
        session.headers["Authorization"] = f"Bearer {token}"
        with app.app_context():
            index_texts = filler_sentences(args.pool + 5000, seed=99)[-5000:]
            indexing_rate = measure_indexing(url, store, user["id"], index_texts, app.extensions["celery"])
        print(f"indexing: {indexing_rate:.0f} segments/s", flush=True)

        writer = MemoryWriter(
            store, user["id"], voice_ids, embedder.name, pool_texts, pool_vectors, pool_scores
        )
        writer.count = len(index_texts)
        from models.labels import EMOTIONS

        planted = [
            (
                f.text,
                fact_vectors[i],
                EMOTIONS[int(fact_scores[i].argmax())],
                json.dumps({e: round(float(p), 4) for e, p in zip(EMOTIONS, fact_scores[i], strict=True)}),
            )
            for i, f in enumerate(fact_list)
        ]
        answers: dict[int, str] = {}
        fact_speaker: dict[int, str] = {}
        chunk = 10
        for n in range(0, len(planted), chunk):
            ids = writer.add_recording(planted[n : n + chunk])
            answers.update({n + k: segment_id for k, segment_id in enumerate(ids)})
        with store.tx() as tx:
            for k, segment_id in answers.items():
                fact_speaker[k] = tx.one(
                    "SELECT v.name FROM segments s JOIN voices v ON v.id = s.voice_id WHERE s.id = ?",
                    (segment_id,),
                )["name"]
        for size in sizes:
            started = time.perf_counter()
            while writer.count < size:
                writer.add_recording()
            store.optimize()  # what the indexing task does after each recording
            store.checkpoint()
            print(f"memory at {writer.count} segments (+{time.perf_counter() - started:.0f} s)", flush=True)
            started = time.perf_counter()
            ask(session, url, "warm up the replica", "exact")
            catch_up = time.perf_counter() - started
            row = {"size": writer.count, "catch_up_s": catch_up}
            for mode, ranking in MODES:
                latencies = []
                hits = {"named1": 0, "named5": 0, "paraphrase1": 0, "paraphrase5": 0}
                for _ in range(args.repeats):
                    for fact in fact_list:
                        for kind, question in (("named", fact.question), ("paraphrase", fact.paraphrase)):
                            elapsed, ranked = ask(session, url, question, mode, None, ranking)
                            latencies.append(elapsed)
                            hits[f"{kind}1"] += ranked[:1] == [answers[fact.index]]
                            hits[f"{kind}5"] += answers[fact.index] in ranked[:5]
                total = args.repeats * len(fact_list)
                row[f"{mode} {ranking}"] = {
                    "p50": percentile(latencies, 50),
                    "p99": percentile(latencies, 99),
                    **{key: value / total for key, value in hits.items()},
                }
            filtered = []
            for fact in fact_list:
                elapsed, ranked = ask(
                    session, url, fact.question, "exact", {"speaker": fact_speaker[fact.index]}
                )
                filtered.append(elapsed)
            row["filtered_p50"] = statistics.median(filtered)
            row["ann_recall10"], row["ann_recall10_filler"] = approximate_recall(
                store, user["id"], [question_vectors, pool_vectors[:200]], args.approximate_from
            )
            row["rss"], row["hwm"] = memory_mib(system.procs["search"].pid)
            rows.append(row)
            print(json.dumps(row), flush=True)
    finally:
        system.stop()

    backend = "PostgreSQL" if database_url else "SQLCipher"
    print()
    print(
        f"Machine: {platform.machine()}, {os.cpu_count()} cores, {platform.python_version()}, store {backend}"
    )
    print(f"Indexing (embedding + store writes, real `indexing` task): {indexing_rate:.0f} segments/s")
    print(
        f"Emotion ({classifier.name}) on the held-out set: accuracy {accuracy:.3f}, macro-F1 {macro_f1:.3f}"
    )
    print()
    print(
        "| segments | index, ranking | recall@1 named / paraphrase | recall@5 named / paraphrase "
        "| p50 ms | p99 ms "
        "| p50 ms, speaker filter | approx recall@10 vs exact: questions (filler) "
        "| search worker RSS (peak) MiB |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for row in rows:
        for mode, ranking in MODES:
            m = row[f"{mode} {ranking}"]
            print(
                f"| {row['size']:,} | {mode}, {ranking} | {m['named1']:.3f} / {m['paraphrase1']:.3f} "
                f"| {m['named5']:.3f} / {m['paraphrase5']:.3f} | {m['p50']:.1f} | {m['p99']:.1f} "
                + (f"| {row['filtered_p50']:.1f} " if (mode, ranking) == MODES[0] else "| - ")
                + (
                    f"| {row['ann_recall10']:.3f} ({row['ann_recall10_filler']:.3f}) "
                    if (mode, ranking) == MODES[1]
                    else "| - "
                )
                + (f"| {row['rss']:.0f} ({row['hwm']:.0f}) |" if (mode, ranking) == MODES[0] else "| |")
            )
    if database_url:
        admin.execute(f"DROP DATABASE IF EXISTS {database_url.rsplit('/', 1)[1]} WITH (FORCE)")


if __name__ == "__main__":
    main()
