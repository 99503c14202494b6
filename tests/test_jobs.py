"""Job control: cancellation of queued and running work, health, and the worker set `make up` starts."""

from __future__ import annotations

import json
import re
import time

import pytest
import redis
from celery import Celery

import celeryconfig
from deploy.launcher import process_table
from tests.faults import OwnRedis
from tests.helpers import synthesize, upload, wait_for_job

LONG_TEXT = " ".join(
    f"Item {n}: the committee reviewed the plan for the northern office and agreed to revisit it next week."
    for n in range(1, 16)
)


def segment_count(store, recording_id: str) -> int:
    with store.tx() as tx:
        return tx.one("SELECT count(*) AS n FROM segments WHERE recording_id = ?", (recording_id,))["n"]


def test_cancel_running_and_queued_jobs(client, store, workers, alice, speech_dir):
    long_wav = synthesize(LONG_TEXT, speech_dir / "long.wav")
    running = upload(client, long_wav, alice["auth"]).get_json()
    queued = upload(client, long_wav, alice["auth"]).get_json()

    # Wait until the first job is inside ASR (past its first checkpoint), then cancel both.
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        job = client.get(f"/api/v1/jobs/{running['job_id']}", headers=alice["auth"]).get_json()
        if job["stage"] == "transcription" or job["state"] not in ("queued", "running"):
            break
        time.sleep(0.05)
    assert job["state"] == "running" and job["stage"] == "transcription", job
    for accepted in (running, queued):
        response = client.delete(f"/api/v1/jobs/{accepted['job_id']}", headers=alice["auth"])
        assert response.status_code == 200 and response.get_json()["state"] == "cancelled"

    # Both stay cancelled, write no transcript, and their streams end with `cancelled`.
    time.sleep(8)
    for accepted in (running, queued):
        job = client.get(f"/api/v1/jobs/{accepted['job_id']}", headers=alice["auth"]).get_json()
        assert job["state"] == "cancelled", job
        assert segment_count(store, accepted["recording_id"]) == 0
        stream = client.get(f"/api/v1/jobs/{accepted['job_id']}/events", headers=alice["auth"]).get_data(
            as_text=True
        )
        assert re.findall(r"^event: (\w+)", stream, re.M)[-1] == "cancelled"
    again = client.delete(f"/api/v1/jobs/{running['job_id']}", headers=alice["auth"])
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "already_finished"

    # The worker stopped the cancelled work and is free for the next job.
    short = synthesize("After the cancellation.", speech_dir / "after-cancel.wav")
    accepted = upload(client, short, alice["auth"]).get_json()
    assert wait_for_job(client, accepted["job_id"], alice["auth"], timeout=60)["state"] == "done"


def test_health_reports_redis_store_and_workers(client, workers, backend, bob):
    anonymous = client.get("/api/v1/health").get_json()
    assert anonymous["status"] == "ok" and anonymous["workers"] >= 2  # a count only, no hosts
    body = client.get("/api/v1/health", headers=bob["auth"]).get_json()
    assert body["status"] == "ok"
    assert body["redis"]["ok"] and body["store"]["ok"] and body["store"]["backend"] == backend
    names = {w["hostname"].split("@")[0] for w in body["workers"]}
    assert {"gpu", "cpu"} <= names
    assert body["queues_without_worker"] == []


def _queues_of(argv: list[str]) -> set[str]:
    return set(argv[argv.index("-Q") + 1].split(","))


def test_every_routed_queue_has_a_consumer_in_make_up(environment):
    """Each queue a task can be routed to is consumed by a worker that `make up` starts."""
    table = process_table(__import__("app.config", fromlist=["load_config"]).load_config())
    consumed = set().union(*(_queues_of(argv) for name, argv, _env in table if "worker" in name))
    routed = {route["queue"] for route in celeryconfig.task_routes.values()}
    assert routed <= consumed, routed - consumed
    assert set(celeryconfig.QUEUES) <= consumed
    gpu = next(argv for name, argv, _env in table if name == "gpu-worker")
    assert _queues_of(gpu) == {"chat", "transcription"} and gpu[gpu.index("-c") + 1] == "1"


def test_celery_priorities_and_reliability_settings():
    options = celeryconfig.broker_transport_options
    assert options["queue_order_strategy"] == "priority"
    assert options["priority_steps"] == list(range(10))
    assert celeryconfig.task_default_priority not in (0, None)
    assert celeryconfig.PRIORITY_CHAT < celeryconfig.PRIORITY_LIVE < celeryconfig.PRIORITY_BATCH
    assert celeryconfig.PRIORITY_BATCH < celeryconfig.PRIORITY_SUMMARY
    assert celeryconfig.task_acks_late and celeryconfig.task_reject_on_worker_lost
    assert celeryconfig.worker_prefetch_multiplier == 1
    assert options["visibility_timeout"] > celeryconfig.task_time_limit
    assert celeryconfig.worker_send_task_events


@pytest.mark.services
def test_each_task_is_queued_where_and_when_it_is_declared(tmp_path):
    """Senders name a task and nothing else: its queue and priority come from `celeryconfig.TASKS`, and a
    chat question must land ahead of every batch chunk on the GPU worker's queue."""
    server = OwnRedis(tmp_path / "redis")
    server.start()
    try:
        sender = Celery("routes-test")
        sender.config_from_object("celeryconfig")
        sender.conf.broker_url = server.url
        for name in celeryconfig.TASK_NAMES:
            sender.send_task(name, args=["probe"])
        client = redis.Redis.from_url(server.url)
        queued = {}
        for queue in celeryconfig.QUEUES:
            for priority in celeryconfig.broker_transport_options["priority_steps"]:
                key = queue if priority == 0 else f"{queue}:{priority}"
                for raw in client.lrange(key, 0, -1):
                    queued[json.loads(raw)["headers"]["task"]] = (queue, priority)
    finally:
        server.stop()
    assert queued == celeryconfig.TASKS
    assert queued[celeryconfig.CHAT_TASK][1] < queued[celeryconfig.LIVE_CHUNK_TASK][1]
    assert queued[celeryconfig.LIVE_CHUNK_TASK][1] < queued[celeryconfig.CHUNKS_TASK][1]


def test_every_task_name_senders_use_is_a_registered_task(environment):
    """The web sends tasks by name; a typo there would queue work no worker understands."""
    from tasks.celery_app import celery_app

    names = [value for key, value in vars(celeryconfig).items() if key.endswith("_TASK")]
    assert len(names) == 17 and sorted(names) == sorted(celeryconfig.TASK_NAMES)
    assert set(names) <= set(celery_app.tasks)
