"""Administration: role changes, account deletion, the audit log. Admins only, all audited."""

from __future__ import annotations

from flask import jsonify, request
from flask_login import current_user

from app import extensions as ext
from app import quotas
from app.api import api
from app.api.auth_views import json_body
from app.auth import admin_required_api, client_address
from app.errors import ApiError
from app.numbers import whole_number
from app.store import audit, users


@api.get("/users")
@admin_required_api
def list_users():
    config = ext.config()
    with ext.store().tx() as tx:
        rows = users.list_users(tx)
        for row in rows:
            row["quota"] = quotas.quota_of(tx, row["id"], config).as_dict()
    return jsonify({"users": rows})


def _quota_field(body: dict, name: str, scale: float) -> tuple[bool, float | None]:
    """(given, value to store) for a quota field: a number >= 0, "unlimited", or null (the default)."""
    if name not in body:
        return False, None
    value = body[name]
    if value is None:
        return True, None
    if value == "unlimited":
        return True, quotas.UNLIMITED
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1e15:
        raise ApiError(400, "bad_field", f'{name} must be a number from 0, "unlimited" or null (the default)')
    return True, value * scale


@api.patch("/users/<user_id>")
@admin_required_api
def change_user(user_id: str):
    """`{role?, storage_quota_bytes?, audio_quota_hours?}`: a role change also ends the user's sessions."""
    body = json_body()
    role = body.get("role")
    if "role" in body and role not in ("admin", "user"):
        raise ApiError(400, "bad_field", "role must be 'admin' or 'user'")
    storage = _quota_field(body, "storage_quota_bytes", 1)
    hours = _quota_field(body, "audio_quota_hours", 3600)
    if "role" not in body and not storage[0] and not hours[0]:
        raise ApiError(400, "bad_field", "send role, storage_quota_bytes or audio_quota_hours")
    with ext.store().tx() as tx:
        target = users.get_user(tx, user_id)
        if target is None:
            raise ApiError(404, "not_found", "no such user")
        if "role" in body:
            users.set_role(tx, user_id, role)
            audit.record(
                tx,
                "role_changed",
                current_user.id,
                f"user={user_id} {target['role']}->{role}",
                client_address(),
            )
        for (given, value), column in ((storage, "storage_quota_bytes"), (hours, "audio_quota_seconds")):
            if given:
                stored = None if value is None else (int(value) if column == "storage_quota_bytes" else value)
                users.set_quota(tx, user_id, column, stored)
                audit.record(
                    tx,
                    "quota_changed",
                    current_user.id,
                    f"user={user_id} {column}={stored}",
                    client_address(),
                )
        row = users.get_user(tx, user_id)
        quota = quotas.quota_of(tx, user_id, ext.config()).as_dict()
    return jsonify({"id": user_id, "role": row["role"], "quota": quota})


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
        blob_ids = users.delete_user(tx, user_id)
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
