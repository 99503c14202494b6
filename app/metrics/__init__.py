"""`/metrics` in Prometheus's text format, for a scraper holding the metrics token (generated on first
run in `<instance>/secrets/metrics_token`, mode 0600) or an admin's API token; and the timing of every
HTTP request the web answers."""

from __future__ import annotations

import hmac
import time

from flask import Blueprint, Flask, Response, g, request
from flask_login import current_user
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

from app import extensions as ext
from app.errors import ApiError
from app.metrics import record
from app.metrics.collect import NemoCollector
from app.secrets import get_secret

METRICS_PATH = "/metrics"

metrics_bp = Blueprint("metrics", __name__)


def is_metrics_token(token: str) -> bool:
    """The scraper's bearer token on `/metrics`: not a user's, so the API's token check leaves it alone."""
    if request.path != METRICS_PATH:
        return False
    return hmac.compare_digest(token, get_secret(ext.config().INSTANCE_DIR, "metrics_token"))


@metrics_bp.get(METRICS_PATH)
def metrics():
    signed_in = current_user.is_authenticated  # resolves the bearer token, marking the scraper's
    if not g.get("metrics_token"):
        if not signed_in:
            raise ApiError(401, "unauthenticated", "send 'Authorization: Bearer <metrics token>'")
        if not current_user.is_admin:
            raise ApiError(403, "forbidden", "metrics need the metrics token or an admin account")
    from app.api.health import workers_seen

    registry = CollectorRegistry(auto_describe=False)
    registry.register(NemoCollector(ext.redis_client(), ext.store(), workers_seen()))
    return Response(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)


def register_request_metrics(app: Flask) -> None:
    @app.before_request
    def _start_clock() -> None:
        g.request_started = time.perf_counter()

    @app.after_request
    def _count(response: Response) -> Response:
        started = g.get("request_started")
        if started is None:
            return response
        endpoint = request.endpoint or "unmatched"
        client = ext.redis_client()
        record.increment(
            client,
            record.HTTP_REQUESTS,
            method=request.method,
            endpoint=endpoint,
            status=str(response.status_code),
        )
        record.observe(client, record.HTTP_SECONDS, time.perf_counter() - started, endpoint=endpoint)
        return response
