"""A kill -9 of the GPU worker in the middle of a recording, then a restart: the job ends done, and every
chunk's segments are there exactly once."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time

import redis

from tests.conftest import BIN, ROOT
from tests.faults import SENTENCES
from tests.helpers import chunk_state, synthesize, upload, wait_for_job, word_error_rate

# About five minutes: a dozen chunks, so several batched ASR tasks, and a kill lands between two of them.
TEXT = " ".join(f"Part {n}. {SENTENCES[n % 3]}" for n in range(1, 61))


def test_gpu_worker_killed_mid_recording(client, store, workers, environment, alice, speech_dir):
    wav = synthesize(TEXT, speech_dir / "crash.wav")
    accepted = upload(client, wav, alice["auth"]).get_json()
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        done, total = chunk_state(store, accepted["recording_id"])
        if total and 1 <= done < total:
            break
        time.sleep(0.05)
    assert total >= 4 and 1 <= done < total, (done, total)

    gpu = workers["procs"][0]
    os.killpg(gpu.pid, signal.SIGKILL)
    gpu.wait()
    time.sleep(1)
    job = client.get(f"/api/v1/jobs/{accepted['job_id']}", headers=alice["auth"]).get_json()
    assert job["state"] == "running", job
    assert chunk_state(store, accepted["recording_id"])[0] < total

    log = (workers["logs"] / "gpu-restarted.log").open("w")
    workers["procs"][0] = subprocess.Popen(
        [str(BIN / "nemoctl"), "worker", "gpu"],
        env={**os.environ},
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    job = wait_for_job(
        client, accepted["job_id"], alice["auth"], timeout=360
    )  # recovery, then diarization, emotion, indexing
    assert job["state"] == "done", job
    assert chunk_state(store, accepted["recording_id"]) == (total, total)

    with store.tx() as tx:
        rows = tx.all(
            "SELECT chunk_index, seq, start_s, end_s, text FROM segments WHERE recording_id = ? "
            "ORDER BY start_s",
            (accepted["recording_id"],),
        )
    assert {r["chunk_index"] for r in rows} == set(range(total)), "every chunk has its segments"
    for before, after in zip(rows, rows[1:], strict=False):
        assert after["start_s"] >= before["end_s"] - 0.5, "no segment is there twice"
    heard = " ".join(r["text"] for r in rows)
    assert word_error_rate(TEXT, heard) <= 0.3, heard
    # No lease left over from the killed worker: every task of this job ended. (The recording's summary
    # may be running now, at the lowest priority after the job is done; it holds a lease of its own.)
    leases = redis.Redis.from_url(environment["REDIS_URL"]).hgetall("nemo:leases")
    left = [json.loads(v) for v in leases.values()]
    assert not [lease for lease in left if lease["name"] != "tasks.chat.summarize_recording"], left
