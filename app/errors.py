"""One error shape for the API: `{"error": {"code", "message"}}`, a 4xx for anything the caller did wrong.

Under /v1 (the OpenAI-compatible routes) the same errors take OpenAI's shape, `{"error": {"message",
"type", "param", "code"}}`, with `x-should-retry: false` where sending the request again cannot help, so
that OpenAI's clients report them as they would OpenAI's own and do not retry a bad request."""

from __future__ import annotations

import errno
import logging

import redis
from flask import Flask, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from app.store.db import StoreUnavailable

log = logging.getLogger(__name__)


class ApiError(Exception):
    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        headers: dict[str, str] | None = None,
        param: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.headers = status, code, message, headers or {}
        self.param = param  # the request field at fault, where one is (OpenAI's `param`)


OPENAI_PREFIX = "/v1/"
# Statuses a client may retry as they are (OpenAI's clients retry these, and 5xx, by default).
_RETRYABLE = {408, 409, 429}
_OPENAI_CODES = {
    "unauthenticated": "invalid_api_key",
    "bad_token": "invalid_api_key",
    "missing_file": "missing_required_parameter",
}


def _openai_type(status: int) -> str:
    if status in (401, 403):
        return "authentication_error" if status == 401 else "permission_error"
    if status == 429:
        return "rate_limit_error"
    return "server_error" if status >= 500 else "invalid_request_error"


def error_response(
    status: int, code: str, message: str, headers: dict[str, str] | None = None, param: str | None = None
):
    if request.path.startswith(OPENAI_PREFIX):
        body = {
            "message": message,
            "type": _openai_type(status),
            "param": param,
            "code": _OPENAI_CODES.get(code, code),
        }
        response = jsonify({"error": body})
        if status < 500 and status not in _RETRYABLE:
            response.headers["x-should-retry"] = "false"
    else:
        response = jsonify({"error": {"code": code, "message": message}})
    response.status_code = status
    response.headers.update(headers or {})
    return response


def _wants_json() -> bool:
    return (
        request.path.startswith(("/api/", OPENAI_PREFIX))
        or request.path == "/metrics"
        or request.accept_mimetypes.best == "application/json"
    )


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(ApiError)
    def _api_error(exc: ApiError):
        return error_response(exc.status, exc.code, exc.message, exc.headers, exc.param)

    @app.errorhandler(CSRFError)
    def _csrf_error(exc: CSRFError):
        if _wants_json():
            return error_response(400, "csrf_failed", f"CSRF check failed: {exc.description}")
        return render_template("error.html", status=400, message="Your form expired; please try again."), 400

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException):
        if exc.code == 413:
            message = f"the upload exceeds the limit of {app.config['MAX_UPLOAD_BYTES']} bytes"
            code = "too_large"
        else:
            message = exc.description or exc.name
            code = exc.name.lower().replace(" ", "_")
        if _wants_json():
            return error_response(exc.code or 500, code, message)
        return render_template("error.html", status=exc.code, message=message), exc.code

    @app.errorhandler(redis.RedisError)
    def _redis_down(exc: redis.RedisError):
        # Redis restarting: nothing the caller did wrong, and nothing was half-done (the store is
        # written first, or not at all). Try again shortly.
        log.warning("Redis unavailable on %s %s: %s", request.method, request.path, exc)
        if _wants_json():
            return error_response(
                503, "unavailable", "the queue is restarting; try again", {"Retry-After": "5"}
            )
        return render_template("error.html", status=503, message="Restarting; try again shortly."), 503

    @app.errorhandler(StoreUnavailable)
    def _store_down(exc: StoreUnavailable):
        # The database restarting or a connection cut: its transaction rolled back whole. Try again.
        log.warning("database unavailable on %s %s: %s", request.method, request.path, exc)
        if _wants_json():
            return error_response(
                503, "unavailable", "the database is reconnecting; try again", {"Retry-After": "2"}
            )
        return render_template("error.html", status=503, message="Reconnecting; try again shortly."), 503

    @app.errorhandler(OSError)
    def _disk_full(exc: OSError):
        if exc.errno not in (errno.ENOSPC, errno.EDQUOT):
            return _unexpected(exc)
        # Nothing half-written: blobs appear whole or not at all, and rows are written after them.
        log.error("disk full on %s %s: %s", request.method, request.path, exc)
        if _wants_json():
            return error_response(
                507, "insufficient_storage", "the server's storage is full; nothing was stored"
            )
        return render_template("error.html", status=507, message="The server's storage is full."), 507

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        log.exception("unhandled error on %s %s", request.method, request.path)
        if _wants_json():
            return error_response(500, "internal", "an internal error occurred; it has been logged")
        return render_template("error.html", status=500, message="Something went wrong."), 500
