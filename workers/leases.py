"""Task leases: no task is lost when a worker dies hard.

With late acknowledgement, a task whose worker is killed stays unacknowledged in Redis until the visibility
timeout (hours) brings it back. To recover in seconds instead, every running task holds a lease in Redis
naming its worker's boot; whenever a worker starts, and every heartbeat after, leases whose worker boot no
longer beats are re-sent. Tasks are idempotent, so the late redelivery of the original message is harmless.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from typing import Any

import redis

LEASES_KEY = "nemo:leases"
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
        # Whoever deletes the lease re-sends it: two workers sweeping at once send it only once.
        if client.hdel(LEASES_KEY, task_id):
            app.send_task(
                lease["name"], args=lease["args"], kwargs=lease["kwargs"], priority=lease["priority"]
            )
            log.warning("re-sent %s %s from dead worker %s", lease["name"], lease["args"], lease["owner"])
            resent += 1
    return resent
