"""Text no store column can hold is refused at the door: a NUL character (U+0000) anywhere in the path,
the query string or a form field (names, values and file names). PostgreSQL refuses NUL in text, so an id
like `%00` once reached the store and came back a 500; SQLite would have kept it, cutting names short
elsewhere. JSON bodies are checked where they are parsed (app/json_provider.py)."""

from __future__ import annotations

from flask import Flask, request

from app.errors import ApiError

NUL = "\x00"


def _holds_nul(pairs) -> bool:
    return any(NUL in key or NUL in value for key, value in pairs)


def register_input_guard(app: Flask) -> None:
    @app.before_request
    def _refuse_nul() -> None:
        found = NUL in request.path or _holds_nul(request.args.items(multi=True))
        if not found and request.mimetype in ("multipart/form-data", "application/x-www-form-urlencoded"):
            found = _holds_nul(request.form.items(multi=True)) or any(
                NUL in name or NUL in (upload.filename or "")
                for name, upload in request.files.items(multi=True)
            )
        if found:
            raise ApiError(400, "bad_request", "the request holds a NUL character, which is not text")
