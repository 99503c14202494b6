"""Messages a worker took off the queue and died holding, before it could lease them (real Redis, the
project's Celery transport settings)."""

from __future__ import annotations

import json
import time

import pytest
import redis
from celery import Celery

import celeryconfig
from workers import leases

QUEUE = "orphans-test"


@pytest.fixture()
def broker(environment):
    """A Redis database of its own (emptied) and a Celery app with the project's transport settings on it."""
    url = environment["REDIS_URL"].rsplit("/", 1)[0] + "/12"
    client = redis.Redis.from_url(url)
    client.flushdb()
    app = Celery("leases-test")
    app.config_from_object(celeryconfig)
    app.conf.broker_url = url
    yield client, app
    client.flushdb()


def test_a_message_a_dead_worker_took_before_its_lease_goes_back_on_its_queue(broker):
    client, app = broker
    ids = {
        name: app.send_task("tasks.search.search_memory", args=[name], queue=QUEUE).id
        for name in ("orphan", "leased", "resent")
    }

    # A worker takes all three (kombu moves each to its unacknowledged hash) and dies: nothing restores them.
    with app.connection_for_write() as connection:
        channel = connection.default_channel
        for _ in ids:
            assert channel.basic_get(QUEUE, no_ack=False) is not None
        assert channel.basic_get(QUEUE, no_ack=True) is None
        channel.qos._delivered.clear()  # a killed process restores nothing on its way out
        unacked_index = channel.qos.unacked_index_key
    tags = client.zrange(unacked_index, 0, -1)
    assert len(tags) == 3
    client.zadd(unacked_index, {tag: time.time() - 2 * leases.ORPHAN_GRACE_SECONDS for tag in tags})
    client.hset(leases.LEASES_KEY, ids["leased"], json.dumps({"owner": "running"}))  # a task still running
    client.sadd(leases.RESENT_KEY, ids["resent"])  # already re-sent from its lease

    assert leases.restore_orphans(client, app) == 1
    with app.connection_for_write() as connection:
        back = connection.default_channel.basic_get(QUEUE, no_ack=True)
        assert back is not None and back.headers["id"] == ids["orphan"]
        assert connection.default_channel.basic_get(QUEUE, no_ack=True) is None
    # The running task's message stays where it is; the re-sent one's is gone, not sent twice.
    assert client.zcard(unacked_index) == 1
    assert not client.sismember(leases.RESENT_KEY, ids["resent"])
    assert leases.restore_orphans(client, app) == 0


def test_a_task_a_live_worker_dropped_with_its_connection_is_sent_again(broker):
    """Celery forgets the messages it received but had not started when its broker connection drops; their
    leases still name the live worker, so only that worker can tell they are gone."""
    client, app = broker
    me, other = "cpu@host|boot-a", "cpu@host|boot-b"
    now = time.time()
    stale = now - 2 * leases.DROPPED_GRACE_SECONDS

    def lease(task_id: str, owner: str, at: float, job: str) -> None:
        record = {
            "name": celeryconfig.DIARIZE_TASK,
            "args": [job],
            "kwargs": {},
            "priority": 5,
            "owner": owner,
            "at": at,
        }
        client.hset(leases.LEASES_KEY, task_id, json.dumps(record))

    lease("dropped", me, stale, "job-dropped")  # received, then forgotten with the connection
    lease("running", me, stale, "job-running")  # still held by this worker
    lease("just-received", me, now - 1, "job-new")  # the request is being recorded
    lease("elsewhere", other, stale, "job-other")  # another worker's business

    assert leases.recover_dropped(client, app, me, held={"running"}, now=now) == 1
    assert set(k.decode() for k in client.hkeys(leases.LEASES_KEY)) == {
        "running",
        "just-received",
        "elsewhere",
    }
    assert client.sismember(leases.RESENT_KEY, "dropped")  # its old message is dropped, not restored too
    queue = celeryconfig.TASKS[celeryconfig.DIARIZE_TASK][0]
    with app.connection_for_write() as connection:
        sent = connection.default_channel.basic_get(queue, no_ack=True)
        assert sent is not None and sent.headers["task"] == celeryconfig.DIARIZE_TASK
        assert sent.decode()[0] == ["job-dropped"]
        assert connection.default_channel.basic_get(queue, no_ack=True) is None
    assert leases.recover_dropped(client, app, me, held={"running"}, now=now) == 0
