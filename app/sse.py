"""The SSE relay: a Redis stream (a job's progress, an answer's tokens, a live stream's partial
transcripts), forwarded to one HTTP client.

Each event carries its stream id as the SSE `id:`, so a browser that reconnects sends Last-Event-ID and
resumes exactly where it stopped. The relay ends after a terminal event.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator

import redis
from flask import Response, current_app, request, stream_with_context

from app import events
from app import extensions as ext

_STREAM_ID = re.compile(r"([0-9]{1,20})-([0-9]{1,20})")
_REDIS_ID_MAX = 2**64 - 1


def valid_resume_id(value: str | None) -> str:
    """A Redis stream id to resume after, or "0" (from the start) for anything that is not one: an id
    out of Redis's 64-bit range once made XREAD fail and the stream abort."""
    match = _STREAM_ID.fullmatch(value.strip()) if value else None
    if match is None or any(int(part) > _REDIS_ID_MAX for part in match.groups()):
        return "0"
    return f"{int(match.group(1))}-{int(match.group(2))}"


def format_event(event_id: str | None, event: str, data: dict) -> str:
    head = f"id: {event_id}\n" if event_id else ""
    return f"{head}event: {event}\ndata: {json.dumps(data)}\n\n"


def relay(
    client: redis.Redis,
    key: str,
    after: str,
    heartbeat_seconds: float,
    final_state: Callable[[], dict | None],
    terminal: tuple[str, ...] = events.TERMINAL_EVENTS,
) -> Iterator[str]:
    """Yield SSE frames of the stream `key` until a terminal event. `final_state` returns the terminal
    row when there is one, covering a stream that expired before the client came or lost its last event."""
    yield "retry: 2000\n\n"
    while True:
        batch = events.read(client, key, after=after, block_ms=int(heartbeat_seconds * 1000))
        if not batch:
            # Ended in the store, yet no terminal event came for a whole heartbeat: the stream expired,
            # or Redis lost the event (a restart between the commit and the event). The store is right.
            finished = final_state()
            if finished is not None:
                yield format_event(None, finished["state"], finished)
                return
            yield ": keep-alive\n\n"
            continue
        for event_id, event, data in batch:
            yield format_event(event_id, event, data)
            after = event_id
            if event in terminal:
                return


def event_stream(
    key: str,
    final_state: Callable[[], dict | None],
    terminal: tuple[str, ...] = events.TERMINAL_EVENTS,
) -> Response:
    """The HTTP response relaying the stream `key`, resumed after the request's Last-Event-ID (header, or
    `last_event_id` in the query for clients that cannot set headers)."""
    after = valid_resume_id(request.headers.get("Last-Event-ID") or request.args.get("last_event_id"))
    app = current_app._get_current_object()

    def final_in_context() -> dict | None:
        with app.app_context():
            return final_state()

    stream = relay(
        ext.redis_client(), key, after, ext.config().SSE_HEARTBEAT_SECONDS, final_in_context, terminal
    )
    headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    return Response(stream_with_context(stream), mimetype="text/event-stream", headers=headers)
