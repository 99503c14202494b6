"""What Flower (and Celery's own logs) show of a task's arguments: ids and numbers, never text.

A search or a live chunk sends the user's words to a worker as task arguments, and Flower shows every
task's arguments to whoever can open it. Celery publishes `argsrepr`/`kwargsrepr` for display, apart from
the arguments the worker runs with; this fills them with a redacted copy before every publish.
"""

from __future__ import annotations

import re
from typing import Any

from celery.signals import before_task_publish

# Ids (uuid4 hex), reply keys and short codes pass; anything else that is text is shown by its length.
_SHOWN = re.compile(r"(nemo:reply:)?[0-9a-f]{32}|[a-z_]{1,24}")


def redacted(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, str):
        return value if _SHOWN.fullmatch(value) else f"<text, {len(value)} characters>"
    if isinstance(value, list | tuple):
        return [redacted(v) for v in value]
    if isinstance(value, dict):
        return {str(k): redacted(v) for k, v in value.items()}
    return f"<{type(value).__name__}>"


@before_task_publish.connect
def _redact_arguments(headers: dict | None = None, body: Any = None, **_kwargs: Any) -> None:
    if headers is None or not isinstance(body, tuple | list) or len(body) < 2:
        return
    args, kwargs = body[0], body[1]
    headers["argsrepr"] = repr(redacted(list(args)))
    headers["kwargsrepr"] = repr(redacted(dict(kwargs)))
