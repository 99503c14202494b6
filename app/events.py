"""Job events on Redis streams: written by tasks, relayed to browsers as Server-Sent Events.

A stream (not pub/sub) keeps history, so a client that connects late, or reconnects with Last-Event-ID,
still receives every event since the one it last saw.
"""

from __future__ import annotations

import json
from typing import Any

import redis

TERMINAL_EVENTS = ("done", "failed", "cancelled")
MAX_EVENTS_PER_JOB = 10_000


def stream_key(job_id: str) -> str:
    return f"nemo:job:{job_id}:events"


def chat_stream_key(chat_id: str) -> str:
    """One answer's tokens, then its final event (answer, citations, usage, timings)."""
    return f"nemo:chat:{chat_id}:events"


def live_stream_key(stream_id: str) -> str:
    """A live stream's partial transcripts, one event per chunk, then `closed`."""
    return f"nemo:live:{stream_id}:events"


def cancel_key(job_id: str) -> str:
    return f"nemo:job:{job_id}:cancel"


def emit(client: redis.Redis, job_id: str, event: str, data: dict[str, Any], ttl_seconds: int) -> str:
    return emit_to(client, stream_key(job_id), event, data, ttl_seconds)


def emit_to(client: redis.Redis, key: str, event: str, data: dict[str, Any], ttl_seconds: int) -> str:
    """Append one event; the stream expires `ttl_seconds` after its last event."""
    pipe = client.pipeline()
    pipe.xadd(key, {"event": event, "data": json.dumps(data)}, maxlen=MAX_EVENTS_PER_JOB, approximate=True)
    pipe.expire(key, ttl_seconds)
    event_id = pipe.execute()[0]
    return event_id.decode() if isinstance(event_id, bytes) else event_id


def read(
    client: redis.Redis, key: str, after: str = "0", block_ms: int | None = None, count: int = 100
) -> list[tuple[str, str, dict[str, Any]]]:
    """Events of the stream `key` after the given id, as (id, event, data); blocks up to `block_ms` when
    there are none yet."""
    reply = client.xread({key: after}, count=count, block=block_ms)
    events = []
    for _key, entries in reply or []:
        for event_id, fields in entries:
            decoded = {
                (k.decode() if isinstance(k, bytes) else k): (v.decode() if isinstance(v, bytes) else v)
                for k, v in fields.items()
            }
            eid = event_id.decode() if isinstance(event_id, bytes) else event_id
            events.append((eid, decoded["event"], json.loads(decoded["data"])))
    return events


def request_cancel(client: redis.Redis, job_id: str, ttl_seconds: int) -> None:
    client.set(cancel_key(job_id), "1", ex=ttl_seconds)


def is_cancelled(client: redis.Redis, job_id: str) -> bool:
    return bool(client.exists(cancel_key(job_id)))
