"""Counters and histograms kept in Redis, so that every process (each web thread, each worker and its
prefork children) adds to the same figures and `/metrics` reads them in one place: Prometheus's own
multiprocess mode would need a directory shared by every host.

Recording never fails the work it measures: a Redis that is away loses the observation, nothing else.
Redis restarts without persistence reset the counters, which Prometheus's `rate()` reads as a restart.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass

import redis

log = logging.getLogger(__name__)

PREFIX = "nemo:metrics:"
_SEP = "\x1f"  # between a series' labels and its bucket in a hash field


@dataclass(frozen=True)
class Counter:
    name: str  # ends in _total, as Prometheus names counters
    help: str
    labels: tuple[str, ...] = ()


@dataclass(frozen=True)
class Histogram:
    name: str
    help: str
    labels: tuple[str, ...] = ()
    buckets: tuple[float, ...] = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


TASKS = Counter("nemo_tasks_total", "Celery tasks that ended, by task and outcome.", ("task", "state"))
TASK_FAILURES = Counter("nemo_task_failures_total", "Celery tasks that raised, by task.", ("task",))
TASK_SECONDS = Histogram(
    "nemo_task_duration_seconds",
    "Wall time of Celery tasks, by task.",
    ("task",),
    (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 900.0),
)
ASR_AUDIO_SECONDS = Counter("nemo_asr_audio_seconds_total", "Seconds of audio the ASR engine transcribed.")
ASR_REAL_TIME_FACTOR = Histogram(
    "nemo_asr_real_time_factor",
    "ASR compute seconds per second of audio, per batch of chunks (below 1 is faster than real time).",
    ("model",),
    (0.02, 0.05, 0.1, 0.15, 0.2, 0.3, 0.5, 0.75, 1.0, 1.5, 2.0, 4.0),
)
SEARCH_SECONDS = Histogram(
    "nemo_search_seconds",
    "Memory searches as the search worker served them (embedding, both indexes, re-ranking).",
    ("index",),
    (0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
)
CHAT_FIRST_TOKEN_SECONDS = Histogram(
    "nemo_chat_first_token_seconds",
    "From the prompt (question and memory excerpts) reaching the model to its first token.",
    ("model",),
    (0.25, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 4.0, 6.0, 10.0, 20.0, 60.0),
)
CHAT_SECONDS = Histogram(
    "nemo_chat_seconds",
    "From a question being asked to its whole answer (queueing included).",
    ("model",),
    (1.0, 2.0, 5.0, 10.0, 20.0, 30.0, 60.0, 120.0, 300.0),
)
HTTP_REQUESTS = Counter(
    "nemo_http_requests_total",
    "HTTP requests answered, by route and status.",
    ("method", "endpoint", "status"),
)
HTTP_SECONDS = Histogram(
    "nemo_http_request_duration_seconds",
    "Time to answer an HTTP request (to its first byte for a stream), by route.",
    ("endpoint",),
)

WEBHOOK_DELIVERIES = Counter(
    "nemo_webhook_deliveries_total",
    "Webhook delivery attempts by event and outcome (delivered, retry, failed, refused).",
    ("event", "outcome"),
)

COUNTERS = (TASKS, TASK_FAILURES, ASR_AUDIO_SECONDS, HTTP_REQUESTS, WEBHOOK_DELIVERIES)
HISTOGRAMS = (
    TASK_SECONDS,
    ASR_REAL_TIME_FACTOR,
    SEARCH_SECONDS,
    CHAT_FIRST_TOKEN_SECONDS,
    CHAT_SECONDS,
    HTTP_SECONDS,
)


def _series(metric: Counter | Histogram, labels: dict[str, str]) -> str:
    if set(labels) != set(metric.labels):
        raise ValueError(f"{metric.name} takes labels {metric.labels}, not {tuple(labels)}")
    return json.dumps([str(labels[name]) for name in metric.labels])


def increment(client: redis.Redis, counter: Counter, amount: float = 1.0, **labels: str) -> None:
    try:
        client.hincrbyfloat(PREFIX + counter.name, _series(counter, labels), amount)
    except redis.RedisError as exc:
        log.debug("metric %s not recorded: %s", counter.name, exc)


def observe(client: redis.Redis, histogram: Histogram, value: float, **labels: str) -> None:
    """One observation: every bucket it falls in (they are cumulative), the count and the sum."""
    series = _series(histogram, labels)
    key = PREFIX + histogram.name
    try:
        pipe = client.pipeline(transaction=False)
        for bound in histogram.buckets:
            if value <= bound:
                pipe.hincrby(key, f"{series}{_SEP}{bound}", 1)
        pipe.hincrby(key, f"{series}{_SEP}+Inf", 1)
        pipe.hincrbyfloat(key, f"{series}{_SEP}sum", value)
        pipe.execute()
    except redis.RedisError as exc:
        log.debug("metric %s not recorded: %s", histogram.name, exc)


@dataclass
class HistogramSeries:
    labels: list[str]
    buckets: list[tuple[str, float]]  # (upper bound, cumulative count), "+Inf" last
    total: float


def read_counter(client: redis.Redis, counter: Counter) -> dict[tuple[str, ...], float]:
    raw = client.hgetall(PREFIX + counter.name)
    return {tuple(json.loads(_text(k))): float(v) for k, v in raw.items()}


def read_histogram(client: redis.Redis, histogram: Histogram) -> list[HistogramSeries]:
    raw = {_text(k): float(v) for k, v in client.hgetall(PREFIX + histogram.name).items()}
    by_series: dict[str, dict[str, float]] = {}
    for field, value in raw.items():
        series, _, bucket = field.rpartition(_SEP)
        by_series.setdefault(series, {})[bucket] = value
    found = []
    for series, values in sorted(by_series.items()):
        bounds = [(_bound(b), values.get(str(b), 0.0)) for b in histogram.buckets]
        found.append(
            HistogramSeries(
                json.loads(series), [*bounds, ("+Inf", values.get("+Inf", 0.0))], values.get("sum", 0.0)
            )
        )
    return found


def _bound(value: float) -> str:
    return repr(float(value))


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value
