"""Webhooks: register a URL for events, see every delivery and its outcome, send one again, ping."""

from __future__ import annotations

import json
import secrets

from flask import jsonify
from flask_login import current_user

from app import extensions as ext
from app.api import api
from app.auth import login_required_api
from app.contract import operation
from app.errors import ApiError
from app.schemas.webhooks import Delivery, DeliveryList, Hook, HookBody, HookList
from app.store import webhooks
from app.webhooks import events
from app.webhooks.urls import UnsafeUrl, check_url, parse_networks

HOOKS_PER_USER = 20
TAGS = ("webhooks",)


def public_hook(row: dict, secret: bool = False) -> dict:
    body = {
        "id": row["id"],
        "url": row["url"],
        "events": json.loads(row["events"]),
        "description": row["description"],
        "created_at": row["created_at"],
    }
    if secret:
        body["secret"] = row["secret"]  # shown once, when the hook is made
    return body


def public_delivery(row: dict) -> dict:
    return {
        "id": row["id"],
        "webhook_id": row["webhook_id"],
        "event": row["event"],
        "state": row["state"],
        "attempts": row["attempts"],
        "last_status": row["last_status"],
        "last_error": row["last_error"],
        "created_at": row["created_at"],
        "updated_at": row["updated_at"],
        "next_attempt_at": row["next_attempt_at"] if row["state"] == "pending" else None,
        "delivered_at": row["delivered_at"],
        "body": json.loads(row["body"]),
    }


def owned_hook(tx, hook_id: str) -> dict:
    row = webhooks.get_hook(tx, hook_id, current_user.id)
    if row is None:
        raise ApiError(404, "not_found", "no such webhook")
    return row


@api.post("/webhooks")
@login_required_api
@operation("Register a webhook", tags=TAGS, body=HookBody, responses={201: Hook})
def create_webhook(body: HookBody):
    """Deliveries are signed with the hook's secret (shown once, in this answer): `X-Nemo-Signature:
    sha256=HMAC(secret, "<X-Nemo-Timestamp>.<body>")`. Addresses inside private, loopback or link-local
    networks are refused unless the admin allows them."""
    url, chosen, description = body.url, body.events, body.description
    try:
        check_url(url, parse_networks(ext.config().WEBHOOK_ALLOWED_NETWORKS))
    except UnsafeUrl as exc:
        raise ApiError(400, "unsafe_url", str(exc)) from exc
    with ext.store().tx() as tx:
        tx.lock("users", current_user.id)
        if webhooks.count_hooks(tx, current_user.id) >= HOOKS_PER_USER:
            raise ApiError(409, "too_many", f"at most {HOOKS_PER_USER} webhooks per user")
        row = webhooks.create_hook(
            tx, current_user.id, url, chosen, secrets.token_hex(32), description.strip()
        )
    return jsonify(public_hook(row, secret=True)), 201


@api.get("/webhooks")
@login_required_api
@operation("Your webhooks", tags=TAGS, responses={200: HookList})
def list_webhooks():
    with ext.store().tx() as tx:
        rows = webhooks.list_hooks(tx, current_user.id)
    return jsonify({"webhooks": [public_hook(r) for r in rows], "events": list(events.EVENTS)})


@api.delete("/webhooks/<hook_id>")
@login_required_api
@operation("Delete a webhook", tags=TAGS, responses={204: None})
def delete_webhook(hook_id: str):
    with ext.store().tx() as tx:
        owned_hook(tx, hook_id)
        webhooks.delete_hook(tx, hook_id)
    return "", 204


@api.get("/webhooks/<hook_id>/deliveries")
@login_required_api
@operation("A webhook's deliveries", tags=TAGS, responses={200: DeliveryList})
def list_webhook_deliveries(hook_id: str):
    with ext.store().tx() as tx:
        owned_hook(tx, hook_id)
        rows = webhooks.list_deliveries(tx, hook_id)
    return jsonify({"deliveries": [public_delivery(r) for r in rows]})


def _send_new(hook: dict, event: str, data: dict) -> dict:
    with ext.store().tx() as tx:
        row = webhooks.add_delivery(tx, hook, event, data)
    events.send([row["id"]])
    return public_delivery(row)


@api.post("/webhooks/<hook_id>/deliveries/<delivery_id>/replay")
@login_required_api
@operation("Send a delivery again", tags=TAGS, responses={202: Delivery})
def replay_webhook_delivery(hook_id: str, delivery_id: str):
    """The same event and data as a new delivery (its own id and signature), whatever became of the first."""
    with ext.store().tx() as tx:
        hook = owned_hook(tx, hook_id)
        original = webhooks.get_delivery(tx, delivery_id)
    if original is None or original["webhook_id"] != hook_id:
        raise ApiError(404, "not_found", "no such delivery")
    sent = json.loads(original["body"])
    data = {**sent["data"], "replay_of": delivery_id}
    return jsonify(_send_new(hook, original["event"], data)), 202


@api.post("/webhooks/<hook_id>/ping")
@login_required_api
@operation("Send a ping event", tags=TAGS, responses={202: Delivery})
def ping_webhook(hook_id: str):
    """A `ping` event, to see that the receiver gets and verifies deliveries."""
    with ext.store().tx() as tx:
        hook = owned_hook(tx, hook_id)
    return jsonify(_send_new(hook, "ping", {"webhook_id": hook_id})), 202
