"""Jobs whose next task the broker lost are found and sent on (`tasks.stalled`), against a real Redis
of the test's own and the suite's store: messages as Celery publishes them, at every priority, delivered
ones, leases, and the two sightings before anything is sent again."""

from __future__ import annotations

import json
import time
import uuid

import pytest
import redis
from celery import Celery

import celeryconfig
from app.store import jobs
from tasks import pipeline, stalled
from tests.faults import OwnRedis
from workers import leases


@pytest.fixture()
def broker(tmp_path):
    server = OwnRedis(tmp_path / "redis")
    server.start()
    celery_app = Celery("stalled-test")
    celery_app.config_from_object("celeryconfig")
    celery_app.conf.broker_url = server.url
    yield redis.Redis.from_url(server.url), celery_app
    server.stop()


@pytest.fixture()
def running_job(store, alice):
    """A transcription job at the diarization stage, as the store holds it; cancelled afterwards so no
    worker of the suite ever takes it up."""
    with store.tx() as tx:
        job = jobs.insert_job(tx, alice["id"], None, "transcribe", "diarization")
        jobs.update_job(tx, job["id"], state="running")
    yield job
    with store.tx() as tx:
        jobs.update_job(tx, job["id"], state="cancelled")


def test_a_job_is_found_in_any_queue_at_any_priority_delivered_or_leased(broker):
    client, celery_app = broker
    queued = [str(uuid.uuid4()) for _ in range(3)]
    celery_app.send_task(celeryconfig.PREPARE_TASK, args=[queued[0]], priority=celeryconfig.PRIORITY_BATCH)
    celery_app.send_task(
        celeryconfig.CHUNKS_TASK, args=[queued[1], [0, 1]], priority=celeryconfig.PRIORITY_LIVE
    )
    celery_app.send_task(celeryconfig.INDEX_TASK, args=[queued[2]], priority=0)
    # Not jobs: a chat and an edit's relabelling name a chat and a recording.
    celery_app.send_task(celeryconfig.CHAT_TASK, args=[str(uuid.uuid4()), "UTC"], priority=0)
    celery_app.send_task(celeryconfig.RELABEL_TASK, args=[str(uuid.uuid4())], priority=3)
    assert stalled.jobs_in_broker(client) == set(queued)

    # Delivered and not yet acknowledged: kombu moves the message from its queue into `unacked`.
    with celery_app.connection_for_read() as connection:
        channel = connection.default_channel
        message = channel.basic_get("audio", no_ack=False)
        assert message is not None
        unacked_key = channel.qos.unacked_key
        assert stalled.jobs_in_broker(client, unacked_key) == set(queued)
        assert client.llen("audio") == 0 and client.hlen(unacked_key) == 1

    leased = str(uuid.uuid4())
    leases.take(client, "task-1", celeryconfig.EMOTION_TASK, [leased], {}, 6, "cpu@host")
    assert leased in stalled.jobs_in_broker(client, unacked_key)


def test_a_stalled_job_is_sent_on_from_its_stage_after_a_second_sighting(broker, store, running_job):
    client, celery_app = broker
    later = time.time() + 200  # past the stall time, without waiting for it
    assert stalled.sweep(store, client, celery_app, stall_seconds=120, now=later) == []
    assert client.hexists(stalled.SUSPECTS_KEY, running_job["id"])
    client.delete(stalled.SWEEP_LOCK_KEY)
    # Seen again too soon: not yet.
    assert stalled.sweep(store, client, celery_app, stall_seconds=120, now=later + 5) == []
    client.delete(stalled.SWEEP_LOCK_KEY)
    sent = stalled.sweep(store, client, celery_app, stall_seconds=120, now=later + 16)
    assert sent == [stalled.Resend(running_job["id"], celeryconfig.DIARIZE_TASK, "diarization")]
    # The message is on the GPU worker's queue, at batch priority, and names the job.
    key = f"transcription:{celeryconfig.PRIORITY_BATCH}"
    [raw] = client.lrange(key, 0, -1)
    assert stalled.job_named(json.loads(raw)) == running_job["id"]
    # Now that a message names it, it is no longer stalled: nothing more is sent.
    for step in (40, 80):
        client.delete(stalled.SWEEP_LOCK_KEY)
        assert stalled.sweep(store, client, celery_app, stall_seconds=120, now=later + step) == []
    assert client.llen(key) == 1


def test_a_job_that_changed_lately_or_finished_is_left_alone(broker, store, running_job):
    client, celery_app = broker
    now = time.time()
    for step in (0, 20, 40):
        client.delete(stalled.SWEEP_LOCK_KEY)
        assert stalled.sweep(store, client, celery_app, stall_seconds=120, now=now + step) == []
    with store.tx() as tx:
        jobs.update_job(tx, running_job["id"], state="done")
    for step in (200, 220, 240):
        client.delete(stalled.SWEEP_LOCK_KEY)
        assert running_job["id"] not in [
            r.job_id for r in stalled.sweep(store, client, celery_app, stall_seconds=120, now=now + step)
        ]


def test_only_one_worker_sweeps_at_a_time(broker, store, running_job):
    client, celery_app = broker
    later = time.time() + 200
    stalled.sweep(store, client, celery_app, stall_seconds=120, now=later)
    # A second worker's heartbeat in the same moment finds the lock taken and does nothing.
    assert stalled.sweep(store, client, celery_app, stall_seconds=120, now=later + 16) == []


@pytest.mark.parametrize(
    ("kind", "stage", "task"),
    [
        ("transcribe", "queued", celeryconfig.PREPARE_TASK),
        ("transcribe", "audio", celeryconfig.PREPARE_TASK),
        ("transcribe", "transcription", celeryconfig.PREPARE_TASK),
        ("transcribe", "diarization", celeryconfig.DIARIZE_TASK),
        ("diarize", "diarization", celeryconfig.DIARIZE_TASK),
        ("transcribe", "emotion", celeryconfig.EMOTION_TASK),
        ("transcribe", "indexing", celeryconfig.INDEX_TASK),
        ("enroll", "queued", celeryconfig.ENROLL_TASK),
        ("enroll", "enrollment", celeryconfig.ENROLL_TASK),
        ("transcribe", "done", None),
    ],
)
def test_each_stage_is_taken_on_by_its_own_task(kind, stage, task):
    assert pipeline.resume_task({"kind": kind, "stage": stage}) == task
