"""Worker boot hooks: thread settings before any model loads, and a heartbeat that `/health` reads."""

from __future__ import annotations

import json
import os
import socket
import threading
import time
from contextlib import suppress

from celery.signals import worker_ready, worker_shutdown

HEARTBEAT_SECONDS = 10
HEARTBEAT_TTL = 30


def pin_threads(threads: int) -> None:
    """Spin-waiting OpenMP threads on a small machine make torch and CTranslate2 10-100x slower at random."""
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    os.environ.setdefault("OMP_NUM_THREADS", str(threads))
    os.environ.setdefault("MKL_NUM_THREADS", str(threads))


def _heartbeat_key(hostname: str) -> str:
    return f"nemo:worker:{hostname}"


@worker_ready.connect
def _start_heartbeat(sender, **_kwargs) -> None:
    import redis

    app = sender.app
    hostname = sender.hostname
    queues = sorted(q.name for q in app.amqp.queues.consume_from.values())
    client = redis.Redis.from_url(app.conf.broker_url)
    info = {
        "hostname": hostname,
        "queues": queues,
        "pid": os.getpid(),
        "host": socket.gethostname(),
        "concurrency": getattr(getattr(sender, "controller", None), "concurrency", None),
    }

    def beat() -> None:
        while True:
            # A Redis blip must not kill the worker; a missed beat shows in /health through the TTL.
            with suppress(Exception):
                client.set(
                    _heartbeat_key(hostname), json.dumps({**info, "seen_at": time.time()}), ex=HEARTBEAT_TTL
                )
            time.sleep(HEARTBEAT_SECONDS)

    threading.Thread(target=beat, name="nemo-heartbeat", daemon=True).start()


@worker_shutdown.connect
def _stop_heartbeat(sender, **_kwargs) -> None:
    import redis

    with suppress(Exception):
        redis.Redis.from_url(sender.app.conf.broker_url).delete(_heartbeat_key(sender.hostname))
