"""Jobs that nothing will move on: found and sent on again.

Leases (`workers.leases`) recover a task whose worker died. They cannot recover a task the broker itself
lost: a Redis that restarts without its data (no persistence, or the last second before a crash under
`appendfsync everysec`) forgets every queued message and every lease, and the jobs those messages would
have moved stay "running" for ever. The store still knows where each job stands, and every stage task is
idempotent (chunks already done are skipped, a stage is claimed once), so a job can be sent on again
from its stage.

A job counts as stalled when it has not finished, has not changed for `stall_seconds`, and no message
that names it is anywhere in the broker: not queued (any priority), not delivered and unacknowledged, not
leased by a worker. It is sent on again only when it is seen stalled twice, at least `confirm_seconds`
apart: a message is out of sight for a moment between the web's commit and its publish, and while a
publish waits for a restarting Redis.
"""

from __future__ import annotations

import base64
import json
import logging
import time
from dataclasses import dataclass
from typing import Any

import redis

import celeryconfig
from app.store import Store, jobs
from tasks import pipeline
from workers import leases

# Job id -> when the sweep first found it stalled (the second sighting re-sends it).
SUSPECTS_KEY = "nemo:stalled"
# One sweep at a time across every worker (several workers' heartbeats come due together).
SWEEP_LOCK_KEY = "nemo:stalled:sweep"
SWEEP_LOCK_SECONDS = 5
# A job found stalled is sent on when it is still stalled this long after (two sightings).
CONFIRM_SECONDS = 15.0
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Resend:
    job_id: str
    task: str
    stage: str


def job_named(message: dict[str, Any]) -> str | None:
    """The job id a broker message (kombu's Redis form, task protocol 2 or 1) carries, if it is a job's."""
    headers = message.get("headers") or {}
    if headers.get("task") not in pipeline.JOB_TASKS:
        return None
    body = message.get("body")
    try:
        if (message.get("properties") or {}).get("body_encoding") == "base64":
            body = base64.b64decode(body)
        payload = json.loads(body)
    except (TypeError, ValueError):
        return None
    args = payload[0] if isinstance(payload, list) else payload.get("args")
    return args[0] if args and isinstance(args[0], str) else None


def _decoded(raw: bytes | str) -> Any:
    try:
        return json.loads(raw)
    except ValueError:
        return None


def jobs_in_broker(client: redis.Redis, unacked_key: str = "unacked") -> set[str]:
    """Every job id some message names: queued on any queue at any priority, delivered and not yet
    acknowledged, or leased by a worker."""
    named: set[str] = set()
    separator = celeryconfig.broker_transport_options["sep"]
    for queue in celeryconfig.QUEUES:
        for priority in celeryconfig.broker_transport_options["priority_steps"]:
            key = queue if priority == 0 else f"{queue}{separator}{priority}"
            for raw in client.lrange(key, 0, -1):
                message = _decoded(raw)
                if isinstance(message, dict) and (job_id := job_named(message)):
                    named.add(job_id)
    for raw in client.hvals(unacked_key):
        entry = _decoded(raw)
        if (
            isinstance(entry, list)
            and entry
            and isinstance(entry[0], dict)
            and (job_id := job_named(entry[0]))
        ):
            named.add(job_id)
    for raw in client.hvals(leases.LEASES_KEY):
        lease = _decoded(raw)
        if isinstance(lease, dict) and lease.get("name") in pipeline.JOB_TASKS and lease.get("args"):
            named.add(lease["args"][0])
    return named


def stalled_jobs(
    store: Store, client: redis.Redis, stall_seconds: float, now: float, unacked_key: str = "unacked"
) -> list[dict[str, Any]]:
    """Unfinished jobs unchanged for `stall_seconds` that no message names."""
    with store.tx(readonly=True) as tx:
        quiet = jobs.unfinished_since(tx, now - stall_seconds)
    if not quiet:
        return []
    named = jobs_in_broker(client, unacked_key)
    return [job for job in quiet if job["id"] not in named]


def sweep(
    store: Store,
    client: redis.Redis,
    celery_app,
    stall_seconds: float,
    confirm_seconds: float = CONFIRM_SECONDS,
    now: float | None = None,
) -> list[Resend]:
    """Send on every job seen stalled twice; returns what was sent."""
    now = time.time() if now is None else now
    if not client.set(SWEEP_LOCK_KEY, "1", nx=True, ex=SWEEP_LOCK_SECONDS):
        return []
    with celery_app.connection_for_read() as connection:
        unacked_key = connection.default_channel.qos.unacked_key
    stalled = {job["id"]: job for job in stalled_jobs(store, client, stall_seconds, now, unacked_key)}
    suspects = {
        (key.decode() if isinstance(key, bytes) else key): float(value)
        for key, value in client.hgetall(SUSPECTS_KEY).items()
    }
    cleared = [job_id for job_id in suspects if job_id not in stalled]
    if cleared:
        client.hdel(SUSPECTS_KEY, *cleared)
    sent: list[Resend] = []
    for job_id, job in stalled.items():
        first_seen = suspects.get(job_id)
        if first_seen is None:
            client.hset(SUSPECTS_KEY, job_id, now)
            continue
        if now - first_seen < confirm_seconds:
            continue
        task = pipeline.resume_task(job)
        client.hdel(SUSPECTS_KEY, job_id)
        if task is None:
            log.error("job %s is stalled at stage %r, which no task takes on", job_id, job["stage"])
            continue
        celery_app.send_task(task, args=[job_id])
        log.warning(
            "job %s was stalled at stage %s with no task queued, running or leased for it "
            "(lost by the broker); sent %s again",
            job_id,
            job["stage"],
            task,
        )
        sent.append(Resend(job_id, task, job["stage"]))
    return sent
