"""Load held: concurrent uploads and a steady stream of searches against a running system, loopback only.

    .venv/bin/python -m bench.load                        # 20 uploaders, 50 searches/s, 10 minutes
    .venv/bin/python -m bench.load --minutes 2 --out load.json

It starts its own web server (gunicorn, as `make up` runs it), GPU, CPU and search workers on a scratch
instance and Redis database, gives the user a small memory to search, then for the duration:

- each of `--uploads` uploaders posts a speech clip (`--clip-seconds`, flite voices), follows its job to
  the end by polling, and starts again;
- searches are fired open-loop at `--search-rate` a second (a fixed schedule, not "after the last one
  answered", so a slow server is not flattered), each from a pool of threads.

It reports, per kind of request, the count, errors (a 5xx, a refused or dropped connection, a timeout; a
429 counts too, the rate limits being off), p50/p90/p99 latency, and the jobs' end-to-end seconds. Nothing
leaves the machine. The search target of issue 12 is p99 under 500 ms with 0 errors.
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import argparse  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import random  # noqa: E402
import tempfile  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
from concurrent.futures import ThreadPoolExecutor  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import requests  # noqa: E402

from bench.chat import Api, remember, speech  # noqa: E402
from bench.corpus import write_wav  # noqa: E402
from bench.memory_corpus import facts, filler_sentences  # noqa: E402
from bench.search import System, percentile, scratch_env, scratch_user  # noqa: E402

# Questions and everyday sentences, thousands of them: a search for the same words twice is rare in use,
# and a small fixed set would flatter anything that remembers a recent query.
QUERY_POOL_SIZE = 3000
CLIP_LINES = [
    "The supplier confirmed the delivery for next Wednesday afternoon.",
    "We still need two more reviewers for the design document.",
    "Remember to renew the parking permits before the end of the month.",
    "The test servers will be offline during the migration on Sunday.",
]
VOICES = ["flite:kal", "flite:slt", "flite:rms", "flite:awb"]


class Recorder:
    """Latencies and errors per kind of request, from many threads."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.latencies: dict[str, list[float]] = {}
        self.errors: dict[str, dict[str, int]] = {}
        # The first message of each kind of exception, to tell a refused connection from a dropped one.
        self.first_messages: dict[str, str] = {}

    def timed(self, kind: str, call) -> requests.Response | None:
        started = time.perf_counter()
        try:
            response = call()
        except requests.RequestException as exc:
            self._error(kind, type(exc).__name__)
            with self.lock:
                self.first_messages.setdefault(f"{kind}: {type(exc).__name__}", str(exc)[:300])
            return None
        elapsed = time.perf_counter() - started
        with self.lock:
            self.latencies.setdefault(kind, []).append(elapsed)
        if response.status_code >= 500 or response.status_code == 429:
            self._error(kind, str(response.status_code))
        elif response.status_code >= 400:
            self._error(kind, f"{response.status_code} (unexpected)")
        return response

    def _error(self, kind: str, what: str) -> None:
        with self.lock:
            counts = self.errors.setdefault(kind, {})
            counts[what] = counts.get(what, 0) + 1

    def table(self) -> dict:
        rows = {}
        for kind, values in sorted(self.latencies.items()):
            rows[kind] = {
                "count": len(values),
                "errors": sum(self.errors.get(kind, {}).values()),
                "error_kinds": self.errors.get(kind, {}),
                "p50_ms": round(percentile(values, 50) * 1000, 1),
                "p90_ms": round(percentile(values, 90) * 1000, 1),
                "p99_ms": round(percentile(values, 99) * 1000, 1),
            }
        for kind, kinds in self.errors.items():
            rows.setdefault(kind, {"count": 0, "errors": sum(kinds.values()), "error_kinds": kinds})
        return rows


def clip(index: int, seconds: float) -> np.ndarray:
    """About `seconds` of one voice reading the clip lines."""
    voice = VOICES[index % len(VOICES)]
    lines = CLIP_LINES[index % len(CLIP_LINES) :] + CLIP_LINES[: index % len(CLIP_LINES)]
    audio = speech(voice, lines)
    repeats = max(1, int(np.ceil(seconds * 16_000 / len(audio))))
    return np.tile(audio, repeats)[: int(seconds * 16_000)]


def uploader(api: Api, recorder: Recorder, path: Path, until: float, jobs: list[dict]) -> None:
    while time.monotonic() < until:
        with path.open("rb") as handle:
            response = recorder.timed(
                "upload",
                lambda handle=handle: api.session.post(
                    f"{api.url}/api/v1/recordings", files={"audio": handle}, timeout=120
                ),
            )
        if response is None or response.status_code != 202:
            time.sleep(1)
            continue
        job_id, started = response.json()["job_id"], time.monotonic()
        state = "queued"
        while state not in ("done", "failed", "cancelled"):
            time.sleep(2)
            polled = recorder.timed(
                "job poll",
                lambda job_id=job_id: api.session.get(f"{api.url}/api/v1/jobs/{job_id}", timeout=30),
            )
            if polled is not None and polled.status_code == 200:
                state = polled.json()["state"]
            if time.monotonic() > until + 1800:
                state = "unfinished"
        jobs.append(
            {
                "state": state,
                "seconds": time.monotonic() - started,
                "ended_in_window": time.monotonic() < until,
            }
        )


def query_pool() -> list[str]:
    """The memory corpus's questions (named and paraphrased) and its everyday sentences."""
    asked = [question for fact in facts() for question in (fact.question, fact.paraphrase)]
    return asked + filler_sentences(QUERY_POOL_SIZE - len(asked))


def searches(api: Api, recorder: Recorder, rate: float, until: float) -> int:
    """Open loop: one search every 1/rate s on a fixed schedule, whatever the answers' speed."""
    rng = random.Random(7)
    queries = query_pool()
    fired = 0
    with ThreadPoolExecutor(max_workers=64) as pool:
        next_at = time.monotonic()
        while next_at < until:
            time.sleep(max(0.0, next_at - time.monotonic()))
            query = rng.choice(queries)
            pool.submit(
                recorder.timed,
                "search",
                lambda query=query: api.session.post(
                    f"{api.url}/api/v1/search", json={"query": query, "top_k": 5}, timeout=30
                ),
            )
            fired += 1
            next_at += 1 / rate
    return fired


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/14", help="flushed before the run")
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--uploads", type=int, default=20, help="concurrent uploaders")
    parser.add_argument("--search-rate", type=float, default=50.0, help="searches a second")
    parser.add_argument("--clip-seconds", type=float, default=30.0)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--web-workers", type=int, default=2, help="gunicorn processes")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="nemo-bench-load-"))
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores; work dir {workdir}", flush=True)
    env = scratch_env(
        workdir, args.redis_url, args.threads, NEMO_SUMMARIES="0", NEMO_WEB_WORKERS=str(args.web_workers)
    )
    os.environ.update(env)
    _store, token = scratch_user(args.redis_url, "load")
    clips = []
    for index in range(min(args.uploads, len(VOICES) * len(CLIP_LINES))):
        path = workdir / f"clip-{index}.wav"
        write_wav(clip(index, args.clip_seconds), path)
        clips.append(path)
    system = System(env, workdir, kinds=("gpu", "cpu", "search"))
    try:
        api = Api(system.start(), token)
        api.session.mount("http://", requests.adapters.HTTPAdapter(pool_connections=4, pool_maxsize=128))
        remember(api, workdir)
        api("POST", "/search", json={"query": "warm up", "top_k": 1})

        recorder, jobs = Recorder(), []
        started = time.monotonic()
        until = started + args.minutes * 60
        threads = [
            threading.Thread(
                target=uploader, args=(api, recorder, clips[i % len(clips)], until, jobs), daemon=True
            )
            for i in range(args.uploads)
        ]
        for thread in threads:
            thread.start()
        fired = searches(api, recorder, args.search_rate, until)
        for thread in threads:
            thread.join(timeout=3600)
        report = {
            "machine": f"{platform.machine()}, {os.cpu_count()} cores",
            "minutes": args.minutes,
            "uploaders": args.uploads,
            "search_rate": args.search_rate,
            "searches_fired": fired,
            "distinct_queries": len(set(query_pool())),
            "batch_nice": os.environ.get("NEMO_BATCH_NICE", "default"),
            "clip_seconds": args.clip_seconds,
            "requests": recorder.table(),
            "error_messages": recorder.first_messages,
            "jobs": {
                "count": len(jobs),
                "done": sum(j["state"] == "done" for j in jobs),
                "not_done": [j["state"] for j in jobs if j["state"] != "done"],
                "p50_s": round(percentile([j["seconds"] for j in jobs], 50), 1) if jobs else None,
                "p99_s": round(percentile([j["seconds"] for j in jobs], 99), 1) if jobs else None,
            },
        }
    finally:
        system.stop()
    print(json.dumps(report, indent=2), flush=True)
    if args.out:
        args.out.write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
