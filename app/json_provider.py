"""JSON bodies parsed without a way to crash the request: nesting too deep for the parser is a parse
error like any other (a 400), not a RecursionError (a 500), and so is a lone UTF-16 surrogate (`"\\ud800"`),
which no database column can store. Both once gave 500s; deep nesting on every route, the unauthenticated
login included."""

from __future__ import annotations

import json
from typing import Any

from flask.json.provider import DefaultJSONProvider


class GuardedJSONProvider(DefaultJSONProvider):
    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        # Flask turns a ValueError into a 400 (or None with silent=True).
        try:
            value = super().loads(s, **kwargs)
        except RecursionError as exc:
            raise ValueError("JSON nested too deeply") from exc
        try:
            json.dumps(value, ensure_ascii=False).encode("utf-8")
        except UnicodeEncodeError as exc:
            raise ValueError("JSON holds a lone surrogate, which is not text") from exc
        if _holds_nul(value):
            raise ValueError("JSON holds a NUL character, which no store column can hold")
        return value


def _holds_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_holds_nul(k) or _holds_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_holds_nul(v) for v in value)
    return False
