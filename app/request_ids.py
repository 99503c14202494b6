"""One id per HTTP request, carried into every Celery task the request leads to (and the tasks those
send), so that one upload's or one question's log lines can be found together across the web and the
workers. A caller (a proxy, a client) may choose it with `X-Request-ID`; the response always says it."""

from __future__ import annotations

import re
import uuid
from contextvars import ContextVar

from celery.signals import before_task_publish, task_postrun, task_prerun
from flask import Flask, Response, request

HEADER = "X-Request-ID"
TASK_HEADER = "nemo_request_id"  # the Celery message header that carries it
_ACCEPTED = re.compile(r"[A-Za-z0-9._:-]{1,64}")

current: ContextVar[str | None] = ContextVar("nemo_request_id", default=None)


def register_request_ids(app: Flask) -> None:
    @app.before_request
    def _take_id() -> None:
        given = request.headers.get(HEADER, "")
        # Anything else (too long, a newline that would forge a log line) is replaced, not trusted.
        current.set(given if _ACCEPTED.fullmatch(given) else uuid.uuid4().hex)

    @app.after_request
    def _say_id(response: Response) -> Response:
        if current.get():
            response.headers[HEADER] = current.get()
        return response


@before_task_publish.connect
def _carry(headers=None, **_extra) -> None:
    """Every task sent while a request (or a task) is being handled carries its id."""
    rid = current.get()
    if rid and headers is not None:
        headers[TASK_HEADER] = rid


@task_prerun.connect
def _adopt(task=None, **_extra) -> None:
    current.set(getattr(task.request, TASK_HEADER, None) if task is not None else None)


@task_postrun.connect
def _drop(**_extra) -> None:
    current.set(None)
