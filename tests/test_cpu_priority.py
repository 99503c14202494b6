"""Batch work gives way to what people wait on: the workers that serve batch queues (transcription,
diarization, emotions, indexing) run at a lower CPU priority than the search worker and the web."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import redis

import celeryconfig

ROOT = Path(__file__).resolve().parents[1]


def niceness(pid: int, thread: int | None = None) -> int:
    """A process's (or one of its threads') niceness, from /proc (field 19 of stat)."""
    stat = Path(f"/proc/{pid}/task/{thread}/stat" if thread else f"/proc/{pid}/stat").read_text()
    return int(stat.rsplit(")", 1)[1].split()[16])


def autogroup_niceness(pid: int) -> int | None:
    try:
        return int(Path(f"/proc/{pid}/autogroup").read_text().split("nice")[1])
    except (OSError, IndexError, ValueError):
        return None


def test_batch_workers_run_below_the_search_worker(workers, environment):
    client = redis.Redis.from_url(environment["REDIS_URL"])
    seen = {}
    for key in client.scan_iter("nemo:worker:*"):
        info = json.loads(client.get(key))
        seen[info["hostname"].split("@")[0]] = info
    assert {"gpu", "cpu", "search"} <= set(seen), seen
    for kind, info in seen.items():
        pid = info["pid"]
        batch = bool(set(info["queues"]) & set(celeryconfig.BATCH_QUEUES))
        threads = [int(p.name) for p in Path(f"/proc/{pid}/task").iterdir()]
        levels = {niceness(pid, tid) for tid in threads}
        if batch:
            # Every thread, the ones the models started after boot included (default NEMO_BATCH_NICE).
            assert levels == {19}, (kind, levels)
            group = autogroup_niceness(pid)
            # Each worker leads its own session here: its session's share of the CPU is lowered too.
            assert group in (None, 19), (kind, group)
        else:
            assert levels == {0}, (kind, levels)
            assert autogroup_niceness(pid) in (None, 0)


def test_lowering_reaches_threads_that_already_run():
    """Niceness is per thread on Linux: a thread started before the worker lowers itself must be lowered
    too (the CPU worker's pool and the models' threads are started later and inherit it)."""
    script = """
import os, threading, time
from workers.boot import lower_cpu_priority
started = threading.Event()
def wait():
    started.set(); time.sleep(5)
thread = threading.Thread(target=wait, daemon=True); thread.start(); started.wait()
lower_cpu_priority(7)
later = threading.Thread(target=lambda: time.sleep(5), daemon=True); later.start()
print(os.getpid(), thread.native_id, later.native_id, flush=True)
time.sleep(3)
"""
    proc = subprocess.Popen(
        [sys.executable, "-c", script], cwd=ROOT, stdout=subprocess.PIPE, text=True, start_new_session=True
    )
    try:
        pid, before, after = (int(v) for v in proc.stdout.readline().split())
        assert niceness(pid, pid) == 7
        assert niceness(pid, before) == 7
        assert niceness(pid, after) == 7
        assert autogroup_niceness(pid) in (None, 7)
    finally:
        proc.kill()
        proc.wait()
