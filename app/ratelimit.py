"""Fixed-window rate limits kept in Redis, so every web process shares one count per user."""

from __future__ import annotations

import time

import redis

from app.config import parse_rate
from app.errors import ApiError


def _window(bucket: str, rate: str) -> tuple[str, int, int]:
    """(Redis key of the current window, allowance, seconds until the window ends)."""
    limit, window = parse_rate(rate)
    now = int(time.time())
    window_start = now - now % window
    return f"nemo:rl:{bucket}:{window_start}", limit, window_start + window - now


def _refuse(retry: int, what: str) -> ApiError:
    return ApiError(429, "rate_limited", f"{what}; try again in {retry} s", {"Retry-After": str(retry)})


def count(client: redis.Redis, bucket: str, rate: str) -> int:
    """Count one event in `bucket`'s current window; returns the count so far."""
    key, _limit, retry = _window(bucket, rate)
    pipe = client.pipeline()
    pipe.incr(key)
    pipe.expire(key, retry + 1)
    return pipe.execute()[0]


def check(client: redis.Redis, bucket: str, rate: str, what: str = "too many requests") -> None:
    """Raise 429 if `bucket`'s allowance for the current window is spent, without counting anything."""
    key, limit, retry = _window(bucket, rate)
    if int(client.get(key) or 0) >= limit:
        raise _refuse(retry, what)


def hit(client: redis.Redis, bucket: str, rate: str) -> None:
    """Count one request in `bucket`; raise 429 once the window's allowance is spent."""
    key, limit, retry = _window(bucket, rate)
    if count(client, bucket, rate) > limit:
        raise _refuse(retry, "too many requests")
