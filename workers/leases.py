"""Task leases: no task is lost when a worker dies hard.

With late acknowledgement, a task whose worker is killed stays unacknowledged in Redis until the visibility
timeout (hours) brings it back. To recover in seconds instead, every running task holds a lease in Redis
naming its worker's boot; whenever a worker starts, and every heartbeat after, leases whose worker boot no
longer beats are re-sent. Tasks are idempotent, so the late redelivery of the original message is harmless.
A message a worker took off the queue but died before leasing is put back by `restore_orphans`.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from typing import Any

import redis

LEASES_KEY = "nemo:leases"
# Task ids re-sent from a dead worker's lease: their original message, still unacknowledged, is dropped by
# `restore_orphans` instead of being sent a second time. Kept longer than the broker's visibility timeout.
RESENT_KEY = "nemo:resent"
RESENT_TTL_SECONDS = 5 * 3600
# A message Redis handed to a worker that no lease names after this long was taken off the queue by a
# worker that died before it could take the lease (the moment between kombu's fetch and Celery's receipt).
ORPHAN_GRACE_SECONDS = 60
# A lease this worker holds for a task it no longer has, this long after the lease was taken, names a
# message the worker dropped with a lost broker connection (`recover_dropped`).
DROPPED_GRACE_SECONDS = 30
# One id per worker start; forked pool processes inherit it from the main process.
BOOT_ID = uuid.uuid4().hex
log = logging.getLogger(__name__)


def owner(hostname: str) -> str:
    return f"{hostname}|{BOOT_ID}"


def take(
    client: redis.Redis, task_id: str, name: str, args: Any, kwargs: Any, priority: int | None, hostname: str
) -> None:
    lease = {
        "name": name,
        "args": args,
        "kwargs": kwargs,
        "priority": priority,
        "owner": owner(hostname),
        "at": time.time(),
    }
    client.hset(LEASES_KEY, task_id, json.dumps(lease))


def release(client: redis.Redis, task_id: str) -> None:
    client.hdel(LEASES_KEY, task_id)


def recover(client: redis.Redis, app, live_owners: set[str]) -> int:
    """Re-send every task whose lease belongs to a worker boot that is gone; returns how many."""
    resent = 0
    for task_id, raw in client.hgetall(LEASES_KEY).items():
        lease = json.loads(raw)
        if lease["owner"] in live_owners:
            continue
        if _resend(client, app, task_id, lease):
            log.warning("re-sent %s %s from dead worker %s", lease["name"], lease["args"], lease["owner"])
            resent += 1
    return resent


def _resend(client: redis.Redis, app, task_id: bytes | str, lease: dict[str, Any]) -> bool:
    """Send a leased task again and drop its lease; False when another sweeper got there first (whoever
    deletes the lease re-sends it, so two workers sweeping at once send it once). The task id is kept
    in RESENT_KEY, so that its original message is dropped, not restored as well (`restore_orphans`)."""
    # Marked before the lease goes: a sweeper restoring orphans in between must already see it.
    client.sadd(RESENT_KEY, task_id)
    client.expire(RESENT_KEY, RESENT_TTL_SECONDS)
    if not client.hdel(LEASES_KEY, task_id):
        return False
    app.send_task(lease["name"], args=lease["args"], kwargs=lease["kwargs"], priority=lease["priority"])
    return True


def recover_dropped(
    client: redis.Redis,
    app,
    own_owner: str,
    held: set[str],
    grace_seconds: float = DROPPED_GRACE_SECONDS,
    now: float | None = None,
) -> int:
    """Re-send every task leased by this worker (`own_owner`) that it no longer holds (`held`: the task ids
    it has reserved or running); returns how many.

    When a worker loses its broker connection, Celery drops the messages it had received but not yet
    started (their delivery tags die with the channel) and leaves them to the broker's redelivery, which
    for Redis waits out the visibility timeout (hours). Their leases still name a live worker, so neither
    `recover` nor `restore_orphans` would touch them. A lease younger than `grace_seconds` is left alone:
    the lease is taken as the message arrives, a moment before the worker records the request."""
    now = time.time() if now is None else now
    resent = 0
    for task_id, raw in client.hgetall(LEASES_KEY).items():
        task_id = task_id.decode() if isinstance(task_id, bytes) else task_id
        lease = json.loads(raw)
        if lease.get("owner") != own_owner or task_id in held or now - lease.get("at", now) < grace_seconds:
            continue
        if _resend(client, app, task_id, lease):
            log.warning(
                "re-sent %s %s: this worker dropped it when its broker connection was lost",
                lease["name"],
                lease["args"],
            )
            resent += 1
    return resent


def restore_orphans(client: redis.Redis, app, grace_seconds: float = ORPHAN_GRACE_SECONDS) -> int:
    """Put back on its queue every message Redis handed to a worker more than `grace_seconds` ago that no
    lease names; returns how many. Without this, a worker killed right after taking a message off the queue
    (before `task_received` gave it a lease) leaves it unacknowledged for the visibility timeout (hours),
    and its job stalls. A message whose task was already re-sent from its lease is dropped instead."""
    leased = {key.decode() if isinstance(key, bytes) else key for key in client.hkeys(LEASES_KEY)}
    restored = 0
    with app.connection_for_write() as connection:
        qos = connection.default_channel.qos
        ceiling = time.time() - grace_seconds
        for tag in client.zrangebyscore(qos.unacked_index_key, 0, ceiling):
            raw = client.hget(qos.unacked_key, tag)
            if raw is None:
                continue
            message = json.loads(raw)[0]
            task_id = (message.get("headers") or {}).get("id")
            if task_id is None or task_id in leased:
                continue
            if client.srem(RESENT_KEY, task_id):
                client.zrem(qos.unacked_index_key, tag)
                client.hdel(qos.unacked_key, tag)
                continue
            # kombu's own restore: one transaction on the unacked hash, so two sweepers restore it once.
            qos.restore_by_tag(tag.decode() if isinstance(tag, bytes) else tag)
            log.warning(
                "restored %s %s: its worker died before taking its lease",
                task_id,
                message["headers"].get("task"),
            )
            restored += 1
    return restored
