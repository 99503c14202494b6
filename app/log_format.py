"""How the web and the workers write their logs: text lines by default, or one JSON object a line
(`NEMO_LOG_FORMAT=json`) for a log shipper. Each line carries the request id (`app.request_ids`) and,
inside a task, the task's name and id."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

from app import request_ids

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s]: %(message)s"


class RequestContext(logging.Filter):
    """Adds `request_id`, `task` and `task_id` to every record the handler writes."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_ids.current.get() or "-"
        record.task, record.task_id = _task()
        return True


def _task() -> tuple[str | None, str | None]:
    from celery import current_task

    if current_task and current_task.request.id:
        return current_task.name, current_task.request.id
    return None, None


class JsonLines(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        body = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None),
            "process": record.process,
        }
        if getattr(record, "task_id", None):
            body["task"], body["task_id"] = record.task, record.task_id
        if record.exc_info:
            body["exception"] = self.formatException(record.exc_info)
        return json.dumps(body, ensure_ascii=False)


def configure_logging(log_format: str) -> None:
    """Give the root logger one handler of the chosen format, unless something already configured it
    (a test runner's capture, an embedding application), as `logging.basicConfig` would."""
    root = logging.getLogger()
    if root.handlers:
        return
    handler = logging.StreamHandler()
    handler.addFilter(RequestContext())
    handler.setFormatter(JsonLines() if log_format == "json" else logging.Formatter(TEXT_FORMAT))
    root.addHandler(handler)
    root.setLevel(logging.INFO)
