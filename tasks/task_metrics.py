"""Every task's duration and outcome, recorded for `/metrics` (`app.metrics.record`) by the process that
ran it. Connected to Celery's signals on import (`tasks.celery_app`)."""

from __future__ import annotations

import time

from celery.signals import task_failure, task_postrun, task_prerun

from app.metrics import record
from workers.boot import broker_client

_started: dict[str, float] = {}


def _ours(task) -> bool:
    return task is not None and task.name.startswith("tasks.")


@task_prerun.connect
def _start(task_id, task, **_extra) -> None:
    if _ours(task):
        _started[task_id] = time.perf_counter()


@task_postrun.connect
def _finish(task_id, task, state=None, **_extra) -> None:
    started = _started.pop(task_id, None)
    if not _ours(task) or started is None:
        return
    client = broker_client(task.app.conf.broker_url)
    record.observe(client, record.TASK_SECONDS, time.perf_counter() - started, task=task.name)
    record.increment(client, record.TASKS, task=task.name, state=str(state or "UNKNOWN"))


@task_failure.connect
def _failed(sender, task_id, **_extra) -> None:
    """Also sent by the main process for a child killed at its time limit, which never reaches postrun."""
    if _ours(sender):
        record.increment(broker_client(sender.app.conf.broker_url), record.TASK_FAILURES, task=sender.name)
