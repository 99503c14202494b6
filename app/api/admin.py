"""Administration: role changes, account deletion, the audit log. Admins only, all audited."""

from __future__ import annotations

from flask import jsonify, request
from flask_login import current_user

from app import extensions as ext
from app.api import api
from app.api.auth_views import json_body
from app.auth import admin_required_api, client_address
from app.errors import ApiError
from app.numbers import whole_number
from app.store import audit, memory, users


@api.get("/users")
@admin_required_api
def list_users():
    with ext.store().tx() as tx:
        rows = tx.all("SELECT id, username, role, disabled, created_at FROM users ORDER BY username")
    return jsonify({"users": rows})


@api.patch("/users/<user_id>")
@admin_required_api
def change_role(user_id: str):
    role = json_body().get("role")
    if role not in ("admin", "user"):
        raise ApiError(400, "bad_field", "role must be 'admin' or 'user'")
    with ext.store().tx() as tx:
        target = users.get_user(tx, user_id)
        if target is None:
            raise ApiError(404, "not_found", "no such user")
        users.set_role(tx, user_id, role)
        audit.record(
            tx, "role_changed", current_user.id, f"user={user_id} {target['role']}->{role}", client_address()
        )
    return jsonify({"id": user_id, "role": role})


@api.delete("/users/<user_id>/sessions")
@admin_required_api
def end_user_sessions(user_id: str):
    """Sign a user out everywhere (a lost laptop, a shared password); their API tokens stay as they are."""
    with ext.store().tx() as tx:
        if users.get_user(tx, user_id) is None:
            raise ApiError(404, "not_found", "no such user")
        users.end_sessions(tx, user_id)
        audit.record(tx, "sessions_ended", current_user.id, f"user={user_id}", client_address())
    return "", 204


@api.delete("/users/<user_id>")
@admin_required_api
def delete_user(user_id: str):
    if user_id == current_user.id:
        raise ApiError(409, "conflict", "an admin cannot delete their own account")
    with ext.store().tx() as tx:
        target = users.get_user(tx, user_id)
        if target is None:
            raise ApiError(404, "not_found", "no such user")
        blob_ids = [
            b
            for r in tx.all("SELECT blob_id, pcm_blob_id FROM recordings WHERE user_id = ?", (user_id,))
            for b in (r["blob_id"], r["pcm_blob_id"])
            if b
        ]
        blob_ids += [
            r["pcm_blob_id"]
            for r in tx.all(
                "SELECT c.pcm_blob_id FROM live_chunks c JOIN live_streams s ON s.id = c.stream_id "
                "WHERE s.user_id = ?",
                (user_id,),
            )
        ]
        memory.forget_user(tx, user_id)
        tx.execute("DELETE FROM users WHERE id = ?", (user_id,))
        audit.record(
            tx, "deleted", current_user.id, f"user={user_id} ({target['username']})", client_address()
        )
    for blob_id in blob_ids:
        ext.blobs().delete(blob_id)
    return "", 204


@api.get("/audit")
@admin_required_api
def audit_log():
    limit = whole_number(request.args.get("limit", "100"))
    if limit is None or not 1 <= limit <= 1000:
        raise ApiError(400, "bad_field", "limit must be 1 to 1000")
    with ext.store().tx() as tx:
        return jsonify({"events": audit.recent(tx, limit)})
