"""Shared parts of the fault-injection suite (tests/test_faults.py, and bench/faults.py for the long form):
a Redis server the suite owns (with its append-only file, so it can be killed and started again), a
whole system on it, a batch of recordings, and the end checks every fault must pass: each job done or
failed with a reason, each chunk's segments there exactly once, no blob left that nothing refers to, and
the web answering."""

from __future__ import annotations

import shutil
import subprocess
import threading
import time
from collections import Counter
from pathlib import Path

import redis
import requests

from deploy.launcher import redis_argv
from tests.conftest import free_port
from tests.helpers import TERMINAL, synthesize

SENTENCES = [
    "The first topic today is the budget for the new warehouse in the north.",
    "After that we will talk about hiring two more engineers before the summer.",
    "Finally the team wants to decide on the date of the next product launch.",
]


def batch_text(index: int, parts: int = 12) -> str:
    return " ".join(f"Recording {index}, part {n}. {SENTENCES[(n + index) % 3]}" for n in range(1, parts + 1))


class OwnRedis:
    """A redis-server with an append-only file, on a free port; `kill()` is a crash (SIGKILL), `start()`
    after it reloads what the file holds."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.folder.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        argv = redis_argv(self.port, self.folder)  # as `make up` starts its own
        self.proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, start_new_session=True)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if redis.Redis.from_url(self.url, socket_connect_timeout=1).ping():
                    return
            except redis.RedisError:
                time.sleep(0.1)
        raise RuntimeError("the suite's Redis did not start")

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.kill()
        self.proc.wait()

    def forget(self) -> None:
        """After `kill()`: what a Redis without persistence comes back with, nothing."""
        assert self.proc is None or self.proc.poll() is not None
        shutil.rmtree(self.folder)
        self.folder.mkdir()

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=30)


class WebProbe(threading.Thread):
    """Asks the web every 0.2 s (health and the recordings list) and counts each status it got."""

    def __init__(self, url: str, headers: dict) -> None:
        super().__init__(daemon=True)
        self.url, self.headers = url, headers
        self.statuses: Counter = Counter()
        self.stopping = threading.Event()

    def run(self) -> None:
        while not self.stopping.is_set():
            for path in ("/api/v1/health", "/api/v1/recordings"):
                try:
                    code = requests.get(self.url + path, headers=self.headers, timeout=10).status_code
                    self.statuses[code] += 1
                except requests.RequestException as exc:
                    self.statuses[type(exc).__name__] += 1
            time.sleep(0.2)

    def stop(self) -> Counter:
        self.stopping.set()
        self.join(timeout=30)
        return self.statuses


def upload_batch(url: str, headers: dict, folder: Path, count: int, parts: int = 12) -> list[dict]:
    accepted = []
    for index in range(count):
        wav = synthesize(batch_text(index, parts), folder / f"batch-{index}.wav")
        with wav.open("rb") as handle:
            response = requests.post(
                f"{url}/api/v1/recordings", files={"audio": handle}, headers=headers, timeout=60
            )
        assert response.status_code == 202, response.text
        accepted.append(response.json())
    return accepted


def wait_all(
    url: str, headers: dict, accepted: list[dict], timeout: float, redis_url: str | None = None
) -> list[dict]:
    """Each job's final row, polling through whatever the web answers meanwhile (503 while Redis is down).
    On a timeout the message names where each unfinished job stood and what the broker held for it."""
    deadline = time.monotonic() + timeout
    finals: dict[str, dict] = {}
    last_seen: dict[str, dict] = {}
    while time.monotonic() < deadline and len(finals) < len(accepted):
        for job in accepted:
            if job["job_id"] in finals:
                continue
            try:
                response = requests.get(f"{url}/api/v1/jobs/{job['job_id']}", headers=headers, timeout=10)
            except requests.RequestException:
                continue
            if response.status_code == 200:
                last_seen[job["job_id"]] = response.json()
                if response.json()["state"] in TERMINAL:
                    finals[job["job_id"]] = response.json()
        time.sleep(1)
    missing = {j["job_id"]: last_seen.get(j["job_id"]) for j in accepted if j["job_id"] not in finals}
    assert not missing, f"jobs not ended after {timeout:.0f} s: {missing}; broker: {broker_state(redis_url)}"
    return [finals[j["job_id"]] for j in accepted]


def broker_state(redis_url: str | None) -> dict:
    """What Redis holds that says where work is: queue lengths, unacknowledged messages (task, arguments,
    age) and task leases (task, arguments, owner)."""
    if redis_url is None:
        return {}
    import json

    client = redis.Redis.from_url(redis_url, decode_responses=True)
    try:
        queues = {key: client.llen(key) for key in client.keys("*") if client.type(key) == "list"}
        delivered = client.zrange("unacked_index", 0, -1, withscores=True)
        unacked = []
        for tag, at in delivered:
            raw = client.hget("unacked", tag)
            if raw:
                message = json.loads(raw)[0]
                headers = message.get("headers") or {}
                unacked.append((headers.get("task"), headers.get("argsrepr"), round(time.time() - at)))
        leases = [
            (lease["name"], lease["args"], lease["owner"], round(time.time() - lease["at"]))
            for lease in map(json.loads, client.hvals("nemo:leases"))
        ]
        return {"queues": queues, "unacked": unacked, "leases": leases}
    except redis.RedisError as exc:
        return {"error": repr(exc)}


def check_segments(store, recording_id: str) -> None:
    """Every chunk has its segments, and none is there twice (no overlapping repeats)."""
    with store.tx() as tx:
        chunks = tx.all("SELECT idx, done FROM chunks WHERE recording_id = ?", (recording_id,))
        rows = tx.all(
            "SELECT chunk_index, start_s, end_s, text FROM segments WHERE recording_id = ? ORDER BY start_s",
            (recording_id,),
        )
    assert chunks and all(c["done"] for c in chunks), chunks
    assert {r["chunk_index"] for r in rows} == {c["idx"] for c in chunks}, "every chunk has its segments"
    for before, after in zip(rows, rows[1:], strict=False):
        assert after["start_s"] >= before["end_s"] - 0.5, ("a segment is there twice", before, after)


def orphan_blobs(store, blob_dir: Path, since: float) -> list[str]:
    """Blob files written since `since` that no row refers to."""
    with store.tx() as tx:
        referenced = {
            value
            for sql in (
                "SELECT blob_id AS b FROM recordings UNION SELECT pcm_blob_id AS b FROM recordings",
                "SELECT pcm_blob_id AS b FROM live_chunks",
                "SELECT blob_id AS b FROM voice_samples",
            )
            for value in (r["b"] for r in tx.all(sql))
            if value
        }
    files = [p for p in blob_dir.rglob("*") if p.is_file() and p.stat().st_mtime >= since]
    return [p.name for p in files if p.name not in referenced]


def remove(folder: Path) -> None:
    shutil.rmtree(folder, ignore_errors=True)
