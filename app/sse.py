"""The SSE relay: a job's Redis stream, forwarded to one HTTP client.

Each event carries its stream id as the SSE `id:`, so a browser that reconnects sends Last-Event-ID and
resumes exactly where it stopped. The relay ends after a terminal event.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator

import redis

from app import events

_STREAM_ID = re.compile(r"^\d+-\d+$")


def valid_resume_id(value: str | None) -> str:
    return value if value and _STREAM_ID.match(value) else "0"


def format_event(event_id: str | None, event: str, data: dict) -> str:
    head = f"id: {event_id}\n" if event_id else ""
    return f"{head}event: {event}\ndata: {json.dumps(data)}\n\n"


def relay(
    client: redis.Redis,
    job_id: str,
    after: str,
    heartbeat_seconds: float,
    final_state: Callable[[], dict | None],
) -> Iterator[str]:
    """Yield SSE frames until the job ends. `final_state` returns the job's terminal row when it has one,
    covering a stream that expired before the client came."""
    yield "retry: 2000\n\n"
    while True:
        batch = events.read(client, job_id, after=after, block_ms=int(heartbeat_seconds * 1000))
        if not batch:
            finished = final_state()
            if finished is not None and not client.exists(events.stream_key(job_id)):
                yield format_event(None, finished["state"], finished)
                return
            yield ": keep-alive\n\n"
            continue
        for event_id, event, data in batch:
            yield format_event(event_id, event, data)
            after = event_id
            if event in events.TERMINAL_EVENTS:
                return
