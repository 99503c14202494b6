"""Administration: role changes, account deletion, the audit log. Admins only, all audited."""

from __future__ import annotations

from flask import jsonify
from flask_login import current_user

from app import extensions as ext
from app import quotas
from app.api import api
from app.api.auth_views import revoke_token_of
from app.auth import admin_required_api, client_address
from app.contract import operation
from app.errors import ApiError
from app.schemas.admin import AuditLog, AuditQuery, NewUser, UserChange, UserChanged, UserList, UserRow
from app.schemas.auth import TokenList
from app.store import audit, users

TAGS = ("admin",)


@api.get("/users")
@admin_required_api
@operation("Every user", tags=TAGS, responses={200: UserList})
def list_users():
    with ext.store().tx() as tx:
        return jsonify({"users": [_user_body(tx, row) for row in users.list_users(tx)]})


def _user_body(tx, row: dict) -> dict:
    return {
        "id": row["id"],
        "username": row["username"],
        "role": row["role"],
        "disabled": bool(row["disabled"]),
        "created_at": row["created_at"],
        "quota": quotas.quota_of(tx, row["id"], ext.config()).as_dict(),
    }


@api.post("/users")
@admin_required_api
@operation("Create a user", tags=TAGS, body=NewUser, responses={201: UserRow})
def create_user(body: NewUser):
    """An account with the password the admin gives them (they change it on their Account page)."""
    with ext.store().tx() as tx:
        if users.get_user_by_name(tx, body.username.strip()):
            raise ApiError(409, "conflict", f"user {body.username.strip()!r} already exists")
        try:
            row = users.create_user(tx, body.username, body.password, body.role)
        except users.UserError as exc:
            raise ApiError(400, "bad_field", str(exc)) from exc
        audit.record(
            tx,
            "user_created",
            current_user.id,
            f"user={row['id']} ({row['username']}) role={body.role}",
            client_address(),
        )
        created = _user_body(tx, users.get_user(tx, row["id"]))
    return jsonify(created), 201


@api.get("/users/<user_id>/tokens")
@admin_required_api
@operation("A user's API tokens", tags=TAGS, responses={200: TokenList})
def list_user_tokens(user_id: str):
    with ext.store().tx(readonly=True) as tx:
        if users.get_user(tx, user_id) is None:
            raise ApiError(404, "not_found", "no such user")
        return jsonify({"tokens": users.list_tokens(tx, user_id)})


@api.delete("/users/<user_id>/tokens/<token_id>")
@admin_required_api
@operation("Revoke a user's API token", tags=TAGS, responses={204: None})
def revoke_user_token(user_id: str, token_id: str):
    revoke_token_of(user_id, token_id)
    return "", 204


def _quota_field(body: UserChange, name: str, scale: float) -> tuple[bool, float | None]:
    """(given, value to store) for a quota field: a number >= 0, "unlimited", or null (the default)."""
    if name not in body.model_fields_set:
        return False, None
    value = getattr(body, name)
    if value is None:
        return True, None
    if value == "unlimited":
        return True, quotas.UNLIMITED
    return True, value * scale


@api.patch("/users/<user_id>")
@admin_required_api
@operation("Change a user's role or quotas", tags=TAGS, body=UserChange, responses={200: UserChanged})
def change_user(user_id: str, body: UserChange):
    """A role change also ends the user's sessions."""
    role = body.role
    storage = _quota_field(body, "storage_quota_bytes", 1)
    hours = _quota_field(body, "audio_quota_hours", 3600)
    with ext.store().tx() as tx:
        target = users.get_user(tx, user_id)
        if target is None:
            raise ApiError(404, "not_found", "no such user")
        if role is not None:
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
@operation("Sign a user out everywhere", tags=TAGS, responses={204: None})
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
@operation("Delete a user and everything they hold", tags=TAGS, responses={204: None})
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
@operation("The audit log", tags=TAGS, query=AuditQuery, responses={200: AuditLog})
def audit_log(query: AuditQuery):
    with ext.store().tx() as tx:
        events = audit.recent(tx, query.limit, query.action, query.user_id, query.since, query.until)
        return jsonify({"events": events})
