"""Webhook deliveries: one attempt per task, signed, with no redirect followed; a failed attempt waits
its turn (`NEMO_WEBHOOK_RETRY_SECONDS`) and runs again, until the list of waits runs out. Every attempt's
outcome is kept on the delivery row, where the API and the page show it."""

from __future__ import annotations

import logging
import time

import requests
from celery import Celery, shared_task
from flask import current_app

import celeryconfig
from app.metrics import record
from app.store import Store, webhooks
from app.webhooks import signing
from app.webhooks.urls import UnsafeUrl, parse_networks, post_checked

log = logging.getLogger(__name__)

# A retry due within this many seconds is queued with a countdown; a later one is sent by the sweep.
COUNTDOWN_LIMIT_SECONDS = 300
USER_AGENT = "nemo-server-webhooks/1"


def _outcome(event: str, outcome: str) -> None:
    record.increment(
        current_app.extensions["nemo.redis"], record.WEBHOOK_DELIVERIES, event=event, outcome=outcome
    )


@shared_task(name=celeryconfig.WEBHOOK_TASK, ignore_result=True)
def deliver(delivery_id: str) -> None:
    config = current_app.extensions["nemo.config"]
    store: Store = current_app.extensions["nemo.store"]
    with store.tx() as tx:
        delivery = webhooks.get_delivery(tx, delivery_id)
        if delivery is None or not webhooks.claim(tx, delivery_id, time.time()):
            return  # deleted, already delivered or given up, or another worker has it
        hook = webhooks.get_hook(tx, delivery["webhook_id"])
    if hook is None:
        with store.tx() as tx:
            webhooks.give_up(tx, delivery_id, "the webhook was deleted")
        return
    body = delivery["body"].encode()
    stamp = int(time.time())
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "X-Nemo-Event": delivery["event"],
        "X-Nemo-Delivery": delivery_id,
        "X-Nemo-Timestamp": str(stamp),
        "X-Nemo-Signature": signing.signature(hook["secret"], stamp, body),
    }
    status, error = None, None
    try:
        response = post_checked(
            hook["url"],
            parse_networks(config.WEBHOOK_ALLOWED_NETWORKS),
            config.WEBHOOK_TIMEOUT_SECONDS,
            data=body,
            headers=headers,
        )
        status = response.status_code
        if not 200 <= status < 300:
            error = f"HTTP {status}" + (" (redirects are not followed)" if 300 <= status < 400 else "")
    except UnsafeUrl as exc:
        with store.tx() as tx:
            webhooks.give_up(tx, delivery_id, f"refused: {exc}")
        _outcome(delivery["event"], "refused")
        return
    except requests.RequestException as exc:
        error = f"{type(exc).__name__}: {exc}"[:500]
    waits = config.WEBHOOK_RETRY_SECONDS
    attempt = delivery["attempts"]  # before this one
    if error is None:
        state, next_at = "delivered", time.time()
    elif attempt < len(waits):
        state, next_at = "pending", time.time() + waits[attempt]
    else:
        state, next_at = "failed", time.time()
    with store.tx() as tx:
        webhooks.record_attempt(tx, delivery_id, state, status, error, next_at)
    _outcome(delivery["event"], {"delivered": "delivered", "pending": "retry", "failed": "failed"}[state])
    if state == "pending" and waits[attempt] <= COUNTDOWN_LIMIT_SECONDS:
        current_app.extensions["celery"].send_task(
            celeryconfig.WEBHOOK_TASK, args=[delivery_id], countdown=waits[attempt]
        )
    if error is not None:
        log.info("webhook delivery %s to %s: %s (%s)", delivery_id, hook["id"], error, state)


def send_due(store: Store, celery: Celery) -> None:
    """Every heartbeat: deliveries whose attempt is due but whose task was lost, or waits past the
    countdown limit, are queued."""
    with store.tx() as tx:
        due = webhooks.due(tx, time.time())
    for delivery_id in due:
        celery.send_task(celeryconfig.WEBHOOK_TASK, args=[delivery_id])
