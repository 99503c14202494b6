"""Fixed-window rate limits kept in Redis, so every web process shares one count per user."""

from __future__ import annotations

import time

import redis

from app.config import parse_rate
from app.errors import ApiError


def hit(client: redis.Redis, bucket: str, rate: str) -> None:
    """Count one request in `bucket`; raise 429 once the window's allowance is spent."""
    limit, window = parse_rate(rate)
    now = int(time.time())
    window_start = now - now % window
    key = f"nemo:rl:{bucket}:{window_start}"
    pipe = client.pipeline()
    pipe.incr(key)
    pipe.expire(key, window + 1)
    count = pipe.execute()[0]
    if count > limit:
        retry = window_start + window - now
        raise ApiError(
            429, "rate_limited", f"too many requests; try again in {retry} s", {"Retry-After": str(retry)}
        )
