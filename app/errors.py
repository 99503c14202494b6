"""One error shape for the API: `{"error": {"code", "message"}}`, a 4xx for anything the caller did wrong."""

from __future__ import annotations

import logging

from flask import Flask, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

log = logging.getLogger(__name__)


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.headers = status, code, message, headers or {}


def error_response(status: int, code: str, message: str, headers: dict[str, str] | None = None):
    response = jsonify({"error": {"code": code, "message": message}})
    response.status_code = status
    response.headers.update(headers or {})
    return response


def _wants_json() -> bool:
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(ApiError)
    def _api_error(exc: ApiError):
        return error_response(exc.status, exc.code, exc.message, exc.headers)

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

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        log.exception("unhandled error on %s %s", request.method, request.path)
        if _wants_json():
            return error_response(500, "internal", "an internal error occurred; it has been logged")
        return render_template("error.html", status=500, message="Something went wrong."), 500
