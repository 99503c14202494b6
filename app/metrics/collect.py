"""What `/metrics` reports, read when Prometheus scrapes: queue depths and the workers seen (Redis),
jobs by state (the store), each worker's model pool (its heartbeat), and the counters and histograms
every process records (`app.metrics.record`)."""

from __future__ import annotations

from collections.abc import Iterator

import redis
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.registry import Collector

import celeryconfig
from app.metrics import record
from app.store import Store, jobs

# kombu's Redis transport keeps one list per queue and priority step: the queue's own name for step 0,
# then "<queue><sep><step>" (celeryconfig's broker_transport_options).
PRIORITY_STEPS = celeryconfig.broker_transport_options["priority_steps"]
PRIORITY_SEP = celeryconfig.broker_transport_options["sep"]
# Messages delivered to a worker and not yet acknowledged (kombu's Redis transport).
UNACKED_KEY = "unacked"


def queue_key(queue: str, step: int) -> str:
    return queue if step == 0 else f"{queue}{PRIORITY_SEP}{step}"


class NemoCollector(Collector):
    def __init__(self, client: redis.Redis, store: Store, workers: list[dict]) -> None:
        self._client, self._store, self._workers = client, store, workers

    def collect(self) -> Iterator[Metric]:
        yield from self._queues()
        yield from self._jobs()
        yield from self._workers_and_pools()
        yield from self._recorded()

    def _queues(self) -> Iterator[Metric]:
        depth = GaugeMetricFamily(
            "nemo_queue_messages",
            "Messages waiting in each queue, by priority step (0 is served first).",
            labels=["queue", "priority"],
        )
        pipe = self._client.pipeline(transaction=False)
        series = [(q, step) for q in celeryconfig.QUEUES for step in PRIORITY_STEPS]
        for queue, step in series:
            pipe.llen(queue_key(queue, step))
        pipe.hlen(UNACKED_KEY)
        *lengths, unacked = pipe.execute()
        for (queue, step), length in zip(series, lengths, strict=True):
            depth.add_metric([queue, str(step)], length)
        yield depth
        yield GaugeMetricFamily(
            "nemo_tasks_unacknowledged", "Tasks delivered to a worker and not yet finished.", value=unacked
        )

    def _jobs(self) -> Iterator[Metric]:
        with self._store.tx(readonly=True) as tx:
            counts = jobs.count_by_state(tx)
        family = GaugeMetricFamily("nemo_jobs", "Jobs by kind and state.", labels=["kind", "state"])
        for kind in sorted({k for k, _ in counts}):
            for state in jobs.STATES:
                family.add_metric([kind, state], counts.get((kind, state), 0))
        yield family

    def _workers_and_pools(self) -> Iterator[Metric]:
        consumers = GaugeMetricFamily(
            "nemo_queue_consumers", "Worker processes seen consuming each queue.", labels=["queue"]
        )
        for queue in celeryconfig.QUEUES:
            consumers.add_metric([queue], sum(queue in w.get("queues", []) for w in self._workers))
        yield consumers
        resident = GaugeMetricFamily(
            "nemo_model_resident", "1 for each model a worker's pool holds.", labels=["worker", "model"]
        )
        resident_bytes = GaugeMetricFamily(
            "nemo_model_pool_resident_bytes", "Memory the models a worker holds take.", labels=["worker"]
        )
        loads = CounterMetricFamily("nemo_model_loads", "Models loaded by a worker.", labels=["worker"])
        swaps = CounterMetricFamily(
            "nemo_model_swaps", "Loads that first evicted another model.", labels=["worker"]
        )
        swap_seconds = CounterMetricFamily(
            "nemo_model_swap_seconds", "Time spent evicting and loading in swaps.", labels=["worker"]
        )
        for worker in self._workers:
            pool = worker.get("model_pool")
            if not pool:
                continue
            name = worker["hostname"]
            for model in pool["resident"]:
                resident.add_metric([name, model], 1)
            resident_bytes.add_metric([name], pool["resident_bytes"])
            loads.add_metric([name], pool["loads"])
            swaps.add_metric([name], pool["swaps"])
            swap_seconds.add_metric([name], pool["swap_seconds"])
        yield from (resident, resident_bytes, loads, swaps, swap_seconds)

    def _recorded(self) -> Iterator[Metric]:
        for counter in record.COUNTERS:
            family = CounterMetricFamily(
                counter.name.removesuffix("_total"), counter.help, labels=list(counter.labels)
            )
            for labels, value in sorted(record.read_counter(self._client, counter).items()):
                family.add_metric(list(labels), value)
            yield family
        for histogram in record.HISTOGRAMS:
            family = HistogramMetricFamily(histogram.name, histogram.help, labels=list(histogram.labels))
            for series in record.read_histogram(self._client, histogram):
                family.add_metric(series.labels, series.buckets, series.total)
            yield family
