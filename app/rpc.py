"""Asking a worker a question and waiting for the answer (search, emotion of a text).

The answer comes back on a Redis list named in the request, read with BLPOP: one round trip, safe from any
web thread (Celery's own result backend shares one pub/sub connection per process), and it needs no result
to be stored. A worker that never answers gives a 503, never a hung request.
"""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import redis

from app import extensions as ext
from app.errors import ApiError

REPLY_PREFIX = "nemo:reply:"
REPLY_TTL_SECONDS = 60
WAIT_STEP_SECONDS = 10


def call(task_name: str, args: list[Any], timeout: float, what: str) -> Any:
    reply_key = f"{REPLY_PREFIX}{uuid.uuid4().hex}"
    ext.celery().send_task(task_name, args=[reply_key, *args], expires=timeout)
    deadline = time.monotonic() + timeout
    answer = None
    try:
        # In short waits: one BLPOP must end before the Redis client's socket timeout does.
        while answer is None and (left := deadline - time.monotonic()) > 0:
            answer = ext.redis_client().blpop(
                [reply_key], timeout=max(1, min(round(left), WAIT_STEP_SECONDS))
            )
    except redis.RedisError as exc:
        raise ApiError(503, "unavailable", f"{what} could not be reached ({type(exc).__name__})") from exc
    if answer is None:
        raise ApiError(
            503, "unavailable", f"{what} did not answer within {timeout:g} s; is its worker running?"
        )
    payload = json.loads(answer[1])
    if "error" in payload:
        raise ApiError(503, "worker_error", f"{what} failed: {payload['error']}")
    return payload["result"]


def answer(redis_client: Any, reply_key: str, result: Any = None, error: str | None = None) -> None:
    """The worker's side: hand the answer (or what went wrong) to the waiting request."""
    if not reply_key.startswith(REPLY_PREFIX):
        raise ValueError("not a reply key")
    payload = {"error": error} if error is not None else {"result": result}
    pipe = redis_client.pipeline()
    pipe.rpush(reply_key, json.dumps(payload))
    pipe.expire(reply_key, REPLY_TTL_SECONDS)
    pipe.execute()
