"""Messages a worker took off the queue and died holding, before it could lease them (real Redis, the
project's Celery transport settings)."""

from __future__ import annotations

import json
import time

import redis
from celery import Celery

import celeryconfig
from workers import leases

QUEUE = "orphans-test"


def test_a_message_a_dead_worker_took_before_its_lease_goes_back_on_its_queue(environment):
    url = environment["REDIS_URL"].rsplit("/", 1)[0] + "/12"
    client = redis.Redis.from_url(url)
    client.flushdb()
    app = Celery("orphans")
    app.config_from_object(celeryconfig)
    app.conf.broker_url = url
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
    client.flushdb()
