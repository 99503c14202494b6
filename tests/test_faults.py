"""Fault injection, bounded for CI (bench/faults.py runs the long form): Redis killed and started again
from its append-only file in the middle of a batch; the store's connections cut in the middle of a batch
(PostgreSQL); a blob folder that fills up during an upload and during decoding. Each ends with every job
done or failed with a reason, every chunk's segments exactly once, no orphan blob, and a web that never
answered with a 500 and answers again."""

from __future__ import annotations

import os
import subprocess
import time

import pytest
import requests

from bench.search import System
from tests.conftest import _make_user
from tests.faults import OwnRedis, WebProbe, check_segments, orphan_blobs, upload_batch, wait_all
from tests.helpers import chunk_state


@pytest.fixture()
def own_redis(tmp_path):
    server = OwnRedis(tmp_path / "redis")
    server.start()
    yield server
    server.stop()


@pytest.fixture()
def system_on(tmp_path):
    """Starts a whole system (web, GPU, CPU and search workers) with extra environment; stops it after.
    Give it a Redis of its own (`own_redis`): on the suite's, the suite's workers would take its tasks."""
    started: list[System] = []

    def start(**env: str) -> str:
        system = System(
            {"NEMO_ASR_BATCH": "1", "NEMO_SUMMARIES": "0", **env}, tmp_path, kinds=("gpu", "cpu", "search")
        )
        started.append(system)
        return system.start()

    yield start
    for system in started:
        system.stop()


def wait_for_first_chunk(store, recording_id: str, timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        done, total = chunk_state(store, recording_id)
        if total and done >= 1:
            return
        time.sleep(0.1)
    raise AssertionError("no chunk was transcribed")


def test_redis_killed_mid_batch_loses_nothing(store, environment, own_redis, system_on, tmp_path):
    """Redis is killed as the first chunk ends, the moment a worker acknowledges it and takes the next
    message. kombu pops a message and then records it as unacknowledged in a second command: a message
    popped just before the kill is in neither place, and only the stalled-job sweep can send its job on.
    So this system runs the sweep at the shipped default, 120 s (the suite's 900 s outlasts the wait)."""
    url = system_on(REDIS_URL=own_redis.url, NEMO_STALL_SECONDS="120")
    user = _make_user(store, f"redis-fault-{time.monotonic_ns()}")
    since = time.time()
    accepted = upload_batch(url, user["auth"], tmp_path, count=3)
    probe = WebProbe(url, user["auth"])
    probe.start()
    wait_for_first_chunk(store, accepted[0]["recording_id"])
    own_redis.kill()
    time.sleep(3)
    own_redis.start()
    restarted = time.monotonic()
    finals = wait_all(url, user["auth"], accepted, timeout=600, redis_url=own_redis.url)
    statuses = probe.stop()
    assert all(job["state"] == "done" for job in finals), finals
    for job in accepted:
        check_segments(store, job["recording_id"])
    assert orphan_blobs(store, environment_blob_dir(environment), since) == []
    # The web answered throughout: 503 while Redis was away (it was seen), never a 500 or a dropped call.
    assert set(statuses) <= {200, 503} and statuses[503] > 0, statuses
    health = requests.get(f"{url}/api/v1/health", headers=user["auth"], timeout=10)
    assert health.status_code == 200 and health.json()["status"] == "ok", health.json()
    print(f"redis fault: recovered, all jobs done {time.monotonic() - restarted:.1f} s after the restart")


def test_redis_that_comes_back_empty_mid_batch_loses_no_job(
    store, environment, own_redis, system_on, tmp_path
):
    """A Redis without persistence (or the last second before a crash) forgets every queued task and every
    lease: the store's jobs are sent on from their stages, and each ends done with every segment once."""
    url = system_on(REDIS_URL=own_redis.url, NEMO_STALL_SECONDS="5")
    user = _make_user(store, f"redis-empty-{time.monotonic_ns()}")
    since = time.time()
    accepted = upload_batch(url, user["auth"], tmp_path, count=3)
    wait_for_first_chunk(store, accepted[0]["recording_id"])
    own_redis.kill()
    own_redis.forget()
    own_redis.start()
    restarted = time.monotonic()
    finals = wait_all(url, user["auth"], accepted, timeout=600, redis_url=own_redis.url)
    assert all(job["state"] == "done" for job in finals), finals
    for job in accepted:
        check_segments(store, job["recording_id"])
    assert orphan_blobs(store, environment_blob_dir(environment), since) == []
    logs = "".join(path.read_text(errors="replace") for path in tmp_path.glob("*.log"))
    resent = {job["job_id"] for job in accepted if f"job {job['job_id']} was stalled" in logs}
    # Jobs with tasks still queued when Redis forgot them were sent on by the sweep (the one running at
    # the kill may have sent its own next task).
    assert len(resent) >= 2, logs[-3000:]
    print(
        f"empty redis: {len(resent)} jobs sent on, "
        f"all done {time.monotonic() - restarted:.1f} s after the restart"
    )


def environment_blob_dir(environment) -> os.PathLike:
    from app.config import Config

    return Config().BLOB_DIR


@pytest.mark.skipif(
    os.environ.get("NEMO_TEST_STORE") != "postgres", reason="cuts PostgreSQL connections (the postgres run)"
)
def test_store_connections_cut_mid_batch_lose_nothing(store, environment, own_redis, system_on, tmp_path):
    # A task whose transaction the cut rolled back leaves its job where it was, for the stalled-job sweep:
    # the shipped stall time, as in the Redis test.
    url = system_on(REDIS_URL=own_redis.url, NEMO_STALL_SECONDS="120")
    user = _make_user(store, f"pg-fault-{time.monotonic_ns()}")
    since = time.time()
    accepted = upload_batch(url, user["auth"], tmp_path, count=2)
    probe = WebProbe(url, user["auth"])
    probe.start()
    wait_for_first_chunk(store, accepted[0]["recording_id"])
    database = environment["DATABASE_URL"].rsplit("/", 1)[1]
    base = os.environ.get("NEMO_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
    import psycopg

    with psycopg.connect(base, autocommit=True) as admin:
        cut = admin.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = %s AND pid <> pg_backend_pid()",
            (database,),
        ).fetchone()[0]
    assert cut > 0
    finals = wait_all(url, user["auth"], accepted, timeout=600, redis_url=own_redis.url)
    statuses = probe.stop()
    assert all(job["state"] == "done" for job in finals), finals
    for job in accepted:
        check_segments(store, job["recording_id"])
    assert orphan_blobs(store, environment_blob_dir(environment), since) == []
    assert set(statuses) <= {200, 503}, statuses


@pytest.fixture()
def small_blob_dir(tmp_path):
    """A 3 MB tmpfs as the blob folder (the suite runs as root, as CI does)."""
    folder = tmp_path / "small-blobs"
    folder.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=3m,mode=0700", "tmpfs", str(folder)], check=True)
    yield folder
    subprocess.run(["umount", "-l", str(folder)], check=False)


def test_a_full_disk_refuses_uploads_and_fails_jobs_cleanly(
    store, own_redis, small_blob_dir, system_on, tmp_path
):
    from tests.helpers import synthesize

    url = system_on(REDIS_URL=own_redis.url, NEMO_BLOB_DIR=str(small_blob_dir))
    user = _make_user(store, f"disk-fault-{time.monotonic_ns()}")
    # About 2.3 MB as WAV: stored (encrypted) it fits; its 16 kHz PCM copy (about 2.3 MB more) does not.
    speech = synthesize(" ".join(["The warehouse budget is due on Friday."] * 18), tmp_path / "fits.wav")
    with speech.open("rb") as handle:
        accepted = requests.post(
            f"{url}/api/v1/recordings", files={"audio": handle}, headers=user["auth"], timeout=60
        )
    assert accepted.status_code == 202, accepted.text
    job = wait_all(url, user["auth"], [accepted.json()], timeout=300)[0]
    assert job["state"] == "failed" and "space" in job["error"].lower(), job
    # The upload is kept; nothing half-written is left in the blob folder.
    assert not [p for p in small_blob_dir.rglob("*.part")]
    # A second upload finds the disk full: refused with a clear 507, nothing stored.
    with store.tx() as tx:
        before = tx.one("SELECT count(*) AS n FROM recordings WHERE user_id = ?", (user["id"],))["n"]
    with speech.open("rb") as handle:
        refused = requests.post(
            f"{url}/api/v1/recordings", files={"audio": handle}, headers=user["auth"], timeout=60
        )
    assert refused.status_code == 507, refused.text
    assert refused.json()["error"]["code"] == "insufficient_storage"
    with store.tx() as tx:
        after = tx.one("SELECT count(*) AS n FROM recordings WHERE user_id = ?", (user["id"],))["n"]
    assert after == before
    assert not [p for p in small_blob_dir.rglob("*.part")]
    assert requests.get(f"{url}/api/v1/health", headers=user["auth"], timeout=10).status_code == 200
