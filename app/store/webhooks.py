"""Webhooks a user registered, and every delivery of an event to one of them."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

from app.store.db import Tx

HOOK_COLUMNS = "id, user_id, url, events, secret, description, created_at"
DELIVERY_COLUMNS = (
    "id, webhook_id, user_id, event, body, state, attempts, last_status, last_error, created_at, updated_at, "
    "next_attempt_at, delivered_at"
)
# A delivery left `sending` this long (its worker died mid-request) is taken as not sent.
SENDING_STALE_SECONDS = 300


def create_hook(tx: Tx, user_id: str, url: str, events: list[str], secret: str, description: str) -> dict:
    row = {
        "id": uuid.uuid4().hex,
        "user_id": user_id,
        "url": url,
        "events": json.dumps(events),
        "secret": secret,
        "description": description,
        "created_at": time.time(),
    }
    tx.insert("webhooks", HOOK_COLUMNS, row)
    return row


def list_hooks(tx: Tx, user_id: str) -> list[dict[str, Any]]:
    return tx.all(f"SELECT {HOOK_COLUMNS} FROM webhooks WHERE user_id = ? ORDER BY created_at", (user_id,))


def count_hooks(tx: Tx, user_id: str) -> int:
    return int(tx.one("SELECT count(*) AS n FROM webhooks WHERE user_id = ?", (user_id,))["n"])


def get_hook(tx: Tx, hook_id: str, user_id: str | None = None) -> dict[str, Any] | None:
    """The hook, or None when it does not exist or (with `user_id`) belongs to someone else."""
    if user_id is None:
        return tx.one(f"SELECT {HOOK_COLUMNS} FROM webhooks WHERE id = ?", (hook_id,))
    return tx.one(f"SELECT {HOOK_COLUMNS} FROM webhooks WHERE id = ? AND user_id = ?", (hook_id, user_id))


def delete_hook(tx: Tx, hook_id: str) -> None:
    tx.execute("DELETE FROM webhook_deliveries WHERE webhook_id = ?", (hook_id,))
    tx.execute("DELETE FROM webhooks WHERE id = ?", (hook_id,))


def hooks_for(tx: Tx, user_id: str, event: str) -> list[dict[str, Any]]:
    """The user's hooks that asked for `event` (event names hold no quote or LIKE wildcard)."""
    return tx.all(
        f"SELECT {HOOK_COLUMNS} FROM webhooks WHERE user_id = ? AND events LIKE ? ORDER BY created_at",
        (user_id, f'%"{event}"%'),
    )


def add_delivery(tx: Tx, hook: dict[str, Any], event: str, data: dict[str, Any]) -> dict[str, Any]:
    """A pending delivery of `event` to `hook`, its body (the envelope around `data`) fixed now."""
    now = time.time()
    delivery_id = uuid.uuid4().hex
    body = json.dumps(
        {"id": delivery_id, "event": event, "created_at": now, "data": data}, ensure_ascii=False
    )
    row = {
        "id": delivery_id,
        "webhook_id": hook["id"],
        "user_id": hook["user_id"],
        "event": event,
        "body": body,
        "state": "pending",
        "attempts": 0,
        "last_status": None,
        "last_error": None,
        "created_at": now,
        "updated_at": now,
        "next_attempt_at": now,
        "delivered_at": None,
    }
    tx.insert("webhook_deliveries", DELIVERY_COLUMNS, row)
    return row


def get_delivery(tx: Tx, delivery_id: str) -> dict[str, Any] | None:
    return tx.one(f"SELECT {DELIVERY_COLUMNS} FROM webhook_deliveries WHERE id = ?", (delivery_id,))


def list_deliveries(tx: Tx, hook_id: str, limit: int = 50) -> list[dict[str, Any]]:
    return tx.all(
        f"SELECT {DELIVERY_COLUMNS} FROM webhook_deliveries WHERE webhook_id = ? "
        "ORDER BY created_at DESC LIMIT ?",
        (hook_id, limit),
    )


def claim(tx: Tx, delivery_id: str, now: float) -> bool:
    """Take a due delivery for one attempt; False when it is not due, or another worker has it."""
    return (
        tx.execute(
            "UPDATE webhook_deliveries SET state = 'sending', updated_at = ? "
            "WHERE id = ? AND state = 'pending' AND next_attempt_at <= ?",
            (now, delivery_id, now + 1.0),
        )
        == 1
    )


def record_attempt(
    tx: Tx,
    delivery_id: str,
    state: str,
    status: int | None,
    error: str | None,
    next_attempt_at: float,
) -> None:
    now = time.time()
    tx.execute(
        "UPDATE webhook_deliveries SET state = ?, attempts = attempts + 1, last_status = ?, last_error = ?, "
        "updated_at = ?, next_attempt_at = ?, delivered_at = ? WHERE id = ?",
        (state, status, error, now, next_attempt_at, now if state == "delivered" else None, delivery_id),
    )


def give_up(tx: Tx, delivery_id: str, error: str) -> None:
    """Failed without an attempt (its hook was deleted, its address is refused)."""
    tx.execute(
        "UPDATE webhook_deliveries SET state = 'failed', last_error = ?, updated_at = ? WHERE id = ?",
        (error, time.time(), delivery_id),
    )


def due(tx: Tx, before: float) -> list[str]:
    """Deliveries whose attempt should have run before `before`, and ones stuck mid-send: their task was
    lost (a broker restart) or their worker died."""
    rows = tx.all(
        "SELECT id FROM webhook_deliveries WHERE (state = 'pending' AND next_attempt_at < ?) "
        "OR (state = 'sending' AND updated_at < ?) ORDER BY next_attempt_at LIMIT 200",
        (before, time.time() - SENDING_STALE_SECONDS),
    )
    tx.execute(
        "UPDATE webhook_deliveries SET state = 'pending' WHERE state = 'sending' AND updated_at < ?",
        (time.time() - SENDING_STALE_SECONDS,),
    )
    return [r["id"] for r in rows]
