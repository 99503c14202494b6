"""Health: Redis, the store, and the workers seen (from the heartbeats they write to Redis)."""

from __future__ import annotations

import json

from flask import jsonify
from flask_login import current_user

import celeryconfig
from app import extensions as ext
from app.api import api
from app.contract import operation
from app.schemas.health import Health

WORKER_KEY_PATTERN = "nemo:worker:*"  # written by workers.boot
POOL_KEY_PREFIX = "nemo:pool:"  # written by workers.boot after each task


def workers_seen() -> list[dict]:
    client = ext.redis_client()
    seen = []
    for key in client.scan_iter(WORKER_KEY_PATTERN, count=100):
        raw = client.get(key)
        if raw:
            seen.append(json.loads(raw))
    pools = client.mget([POOL_KEY_PREFIX + w["hostname"] for w in seen]) if seen else []
    for worker, pool in zip(seen, pools, strict=True):
        worker["model_pool"] = json.loads(pool) if pool else None
    return sorted(seen, key=lambda w: w["hostname"])


@api.get("/health")
@operation("Is the service up?", tags=("health",), responses={200: Health, 503: Health})
def health():
    checks: dict = {}
    try:
        checks["redis"] = {"ok": bool(ext.redis_client().ping())}
    except Exception as exc:  # noqa: BLE001 - health reports failures rather than raising them
        checks["redis"] = {"ok": False, "error": type(exc).__name__}
    try:
        checks["store"] = {"ok": ext.store().ping(), "backend": ext.store().backend.name}
    except Exception as exc:  # noqa: BLE001
        checks["store"] = {"ok": False, "error": type(exc).__name__}
    workers = workers_seen() if checks["redis"]["ok"] else []
    served = {q for w in workers for q in w.get("queues", [])}
    unserved = sorted(set(celeryconfig.QUEUES) - served)
    ok = checks["redis"]["ok"] and checks["store"]["ok"]
    body = {
        "status": "ok" if ok and not unserved else ("degraded" if ok else "down"),
        **checks,
        "queues_without_worker": unserved,
    }
    # Load balancers poll anonymously; worker hosts and pids are for signed-in users only.
    body["workers"] = workers if current_user.is_authenticated else len(workers)
    if current_user.is_authenticated:
        body["model_swaps"] = {
            "swaps": sum(w["model_pool"]["swaps"] for w in workers if w["model_pool"]),
            "swap_seconds": round(
                sum(w["model_pool"]["swap_seconds"] for w in workers if w["model_pool"]), 3
            ),
        }
    return jsonify(body), 200 if ok else 503
