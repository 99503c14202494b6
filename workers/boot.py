"""Worker boot hooks: thread settings before any model loads, a heartbeat that `/health` reads, task
leases that let a restarted or surviving worker recover the tasks of a dead one."""

from __future__ import annotations

import json
import logging
import os
import socket
import threading
import time
from collections.abc import Callable
from contextlib import suppress

import redis
from celery.signals import (
    task_failure,
    task_postrun,
    task_prerun,
    task_received,
    task_revoked,
    worker_init,
    worker_ready,
    worker_shutdown,
)
from celery.worker import state as worker_state

import celeryconfig
from workers import leases, pool

HEARTBEAT_SECONDS = 10
HEARTBEAT_TTL = 30
WORKER_KEY_PREFIX = "nemo:worker:"
# The model pool of each worker process that has one, as `/health` reports it (loads, swaps, resident).
POOL_KEY_PREFIX = "nemo:pool:"
POOL_STATS_TTL = 7 * 24 * 3600
log = logging.getLogger(__name__)
_clients: dict[str, redis.Redis] = {}
# More work for every heartbeat, registered by the worker's entry point, which holds the Flask app (the
# stalled-job sweep needs the store).
heartbeat_sweeps: list[Callable[[redis.Redis], None]] = []
# The niceness of a worker that serves batch queues, set by the worker's entry point (NEMO_BATCH_NICE).
batch_niceness = 0


def pin_threads(threads: int) -> None:
    """Spin-waiting OpenMP threads on a small machine make torch and CTranslate2 10-100x slower at random."""
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    os.environ.setdefault("OMP_NUM_THREADS", str(threads))
    os.environ.setdefault("MKL_NUM_THREADS", str(threads))


def consumed_queues(app) -> set[str]:
    """The names of the queues this worker consumes (its `-Q`, or every queue without one)."""
    return {queue.name for queue in app.amqp.queues.consume_from.values()}


def lower_cpu_priority(niceness: int) -> None:
    """This process at `niceness` at least. On Linux a niceness belongs to each thread, and threads made
    later inherit their maker's: every thread there is now is lowered, before the pool and the models
    start theirs. Where the kernel groups processes by session (autogroup, on by default), a niceness
    only ranks threads inside their session, and each session gets an equal share of the CPU: a worker
    that leads its own session (as `make up`, systemd and the benches start it) lowers its session's."""
    try:
        threads = [int(tid) for tid in os.listdir("/proc/self/task")]
    except OSError:
        threads = [0]
    for thread in threads:
        with suppress(OSError):
            if os.getpriority(os.PRIO_PROCESS, thread) < niceness:
                os.setpriority(os.PRIO_PROCESS, thread, niceness)
    if os.getsid(0) == os.getpid():
        with suppress(OSError), open("/proc/self/autogroup", "w") as autogroup:
            autogroup.write(str(niceness))


@worker_init.connect
def _yield_to_interactive_work(sender, **_kwargs) -> None:
    """A worker that serves batch queues gives way to searches and the web. On two cores, transcription and
    diarization keep both busy; at equal priority, 50 searches a second then queued for 1.4 s each
    (bench/load). The batch workers keep their order among themselves, and use every idle cycle."""
    if batch_niceness > 0 and consumed_queues(sender.app) & set(celeryconfig.BATCH_QUEUES):
        lower_cpu_priority(batch_niceness)
        log.info("serving batch queues: CPU niceness %d", os.getpriority(os.PRIO_PROCESS, 0))


def broker_client(url: str) -> redis.Redis:
    # One client per process (pool children are forked: a client made before the fork is not reused).
    key = f"{os.getpid()}:{url}"
    if key not in _clients:
        _clients[key] = redis.Redis.from_url(url)
    return _clients[key]


def live_owners(client: redis.Redis) -> set[str]:
    owners = set()
    for key in client.scan_iter(f"{WORKER_KEY_PREFIX}*", count=100):
        raw = client.get(key)
        if raw:
            info = json.loads(raw)
            owners.add(f"{info['hostname']}|{info.get('boot_id')}")
    return owners


def held_task_ids() -> set[str]:
    """The ids of the tasks this worker holds, reserved or running (Celery's own bookkeeping, in the main
    process where the heartbeat runs)."""
    return set(list(worker_state.requests))


@worker_ready.connect
def _start_heartbeat(sender, **_kwargs) -> None:
    app = sender.app
    hostname = sender.hostname
    client = broker_client(app.conf.broker_url)
    info = {
        "hostname": hostname,
        "boot_id": leases.BOOT_ID,
        "queues": sorted(consumed_queues(app)),
        "pid": os.getpid(),
        "host": socket.gethostname(),
        "concurrency": getattr(getattr(sender, "controller", None), "concurrency", None),
    }

    def beat() -> None:
        client.set(
            WORKER_KEY_PREFIX + hostname, json.dumps({**info, "seen_at": time.time()}), ex=HEARTBEAT_TTL
        )
        leases.recover(client, app, live_owners(client))
        leases.recover_dropped(client, app, leases.owner(hostname), held_task_ids())
        leases.restore_orphans(client, app)
        for sweep in heartbeat_sweeps:
            try:
                sweep(client)
            except Exception:  # noqa: BLE001 - a failed sweep is retried on the next beat
                log.exception("heartbeat sweep %s failed", getattr(sweep, "__name__", sweep))

    beat()

    def loop() -> None:
        while True:
            time.sleep(HEARTBEAT_SECONDS)
            # A Redis blip must not kill the worker; a missed beat shows in /health through the TTL.
            try:
                beat()
            except Exception:  # noqa: BLE001
                log.exception("heartbeat failed")

    threading.Thread(target=loop, name="nemo-heartbeat", daemon=True).start()


@worker_shutdown.connect
def _stop_heartbeat(sender, **_kwargs) -> None:
    with suppress(Exception):
        broker_client(sender.app.conf.broker_url).delete(WORKER_KEY_PREFIX + sender.hostname)


@task_received.connect
def _lease_on_receipt(sender, request, **_extra) -> None:
    """The lease is taken as soon as the worker holds the message, not only when the task starts: a
    worker killed between the two (the moment after a task ends, when the next message is already
    delivered) would otherwise leave that message unacknowledged for the visibility timeout (hours)."""
    if not request.name.startswith("tasks."):
        return
    leases.take(
        broker_client(sender.app.conf.broker_url),
        request.id,
        request.name,
        list(request.args),
        request.kwargs,
        (request.delivery_info or {}).get("priority"),
        request.hostname,
    )


@task_revoked.connect
def _release_revoked_lease(sender, request, **_extra) -> None:
    """An expired or revoked task never runs, so its lease would never be released by task_postrun."""
    # Sent by the task (sender) with the request's context.
    if request is not None and sender.name.startswith("tasks."):
        leases.release(broker_client(sender.app.conf.broker_url), request.id)


@task_prerun.connect
def _take_lease(task_id, task, args, kwargs, **_extra) -> None:
    if not task.name.startswith("tasks."):
        return
    priority = (task.request.delivery_info or {}).get("priority")
    leases.take(
        broker_client(task.app.conf.broker_url),
        task_id,
        task.name,
        list(args),
        kwargs,
        priority,
        task.request.hostname,
    )


@task_postrun.connect
def _release_lease(task_id, task, **_extra) -> None:
    if task.name.startswith("tasks."):
        leases.release(broker_client(task.app.conf.broker_url), task_id)


@task_failure.connect
def _release_failed_lease(sender, task_id, **_extra) -> None:
    """A task killed at its hard time limit never reaches task_postrun (its process is gone); the main
    process reports the failure. Without this its lease would outlive it, and `recover_dropped` would
    send it again, to run into the same limit."""
    if sender is not None and sender.name.startswith("tasks."):
        leases.release(broker_client(sender.app.conf.broker_url), task_id)


@task_postrun.connect
def _publish_pool_stats(task, **_extra) -> None:
    """After each task, the pool's counters as this worker's entry for `/health`: written by the process
    that holds the models (a prefork child), which the heartbeat thread in the parent cannot see."""
    current = pool.current_pool()
    if current is None or not task.name.startswith("tasks."):
        return
    stats = {**current.stats.as_dict(), "budget_bytes": current.budget_bytes, "updated_at": time.time()}
    with suppress(Exception):
        broker_client(task.app.conf.broker_url).set(
            POOL_KEY_PREFIX + task.request.hostname, json.dumps(stats), ex=POOL_STATS_TTL
        )
