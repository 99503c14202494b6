"""Announcing an event: a pending delivery for each of the user's hooks that asked for it, written in
the caller's transaction (so an event is recorded exactly when what it reports is), then sent to the
webhooks queue after the commit. A send lost to a broker outage is picked up by the stalled-work sweep
(`tasks.webhooks.send_due`)."""

from __future__ import annotations

import logging
from typing import Any

from flask import current_app

import celeryconfig
from app.store import webhooks
from app.store.db import Tx

log = logging.getLogger(__name__)

# What a user can subscribe to (`ping` is sent on request only, to every hook that asks for it).
EVENTS = ("job.done", "job.failed", "summary.ready", "speaker.recognised", "voice.action")


def about_recording(recording: dict[str, Any]) -> dict[str, str]:
    """How an event names the recording it is about."""
    return {"id": recording["id"], "title": recording["title"]}


def announce(tx: Tx, user_id: str, event: str, data: dict[str, Any]) -> list[str]:
    """Deliveries of `event` for the user's hooks; returns their ids for `send` after the commit."""
    return [
        webhooks.add_delivery(tx, hook, event, data)["id"] for hook in webhooks.hooks_for(tx, user_id, event)
    ]


def send(delivery_ids: list[str]) -> None:
    """Queue the deliveries' first attempts; a failure here is retried by the sweep, not raised."""
    for delivery_id in delivery_ids:
        try:
            current_app.extensions["celery"].send_task(celeryconfig.WEBHOOK_TASK, args=[delivery_id])
        except Exception as exc:  # noqa: BLE001 - the delivery is pending in the store; the sweep resends it
            log.warning("delivery %s not queued (%s); the sweep will send it", delivery_id, exc)


def announce_now(user_id: str, event: str, data: dict[str, Any]) -> None:
    """Announce in a transaction of its own, for callers with nothing else to commit with it."""
    with current_app.extensions["nemo.store"].tx() as tx:
        ids = announce(tx, user_id, event, data)
    send(ids)
