"""Login, logout and personal API tokens."""

from __future__ import annotations

from flask import jsonify, request
from flask_login import current_user
from flask_wtf.csrf import generate_csrf

from app import extensions as ext
from app import quotas
from app.api import api
from app.auth import authenticate, change_own_password, client_address, login_required_api, sign_out
from app.errors import ApiError
from app.store import audit, users


def json_body() -> dict:
    """The request's JSON object, or a 4xx saying why there is none."""
    if not request.is_json:
        raise ApiError(415, "json_required", "send a JSON body with Content-Type: application/json")
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise ApiError(400, "bad_json", "the body must be a JSON object")
    return body


def _string_field(body: dict, name: str, max_len: int = 1000) -> str:
    value = body.get(name)
    if not isinstance(value, str) or not value or len(value) > max_len:
        raise ApiError(400, "bad_field", f"{name} must be a non-empty string of at most {max_len} characters")
    return value


@api.post("/auth/login")
def login():
    body = json_body()
    user = authenticate(_string_field(body, "username", 64), _string_field(body, "password"))
    return jsonify(
        {"user": {"id": user.id, "username": user.username, "role": user.role}, "csrf_token": generate_csrf()}
    )


@api.post("/auth/logout")
@login_required_api
def logout():
    sign_out()
    return jsonify({"ok": True})


@api.post("/auth/password")
@login_required_api
def change_password():
    """`{current_password, new_password}`: every browser session of the user ends, this one included."""
    body = json_body()
    current, new = body.get("current_password"), body.get("new_password")
    if not isinstance(current, str) or not isinstance(new, str) or len(new) > 1000:
        raise ApiError(400, "bad_field", "current_password and new_password must be strings")
    change_own_password(current, new, "")
    return jsonify({"ok": True, "signed_out": True})


@api.get("/auth/me")
@login_required_api
def me():
    with ext.store().tx(readonly=True) as tx:
        quota = quotas.quota_of(tx, current_user.id, ext.config())
    return jsonify(
        {
            "id": current_user.id,
            "username": current_user.username,
            "role": current_user.role,
            "quota": quota.as_dict(),
        }
    )


@api.get("/auth/csrf")
def csrf_token():
    return jsonify({"csrf_token": generate_csrf()})


@api.post("/auth/tokens")
@login_required_api
def create_token():
    body = json_body() if request.data else {}
    name = body.get("name", "api")
    if not isinstance(name, str) or len(name) > 100:
        raise ApiError(400, "bad_field", "name must be a string of at most 100 characters")
    with ext.store().tx() as tx:
        token, row = users.create_token(tx, current_user.id, name)
        audit.record(
            tx, "token_created", current_user.id, f"token={row['id']} name={row['name']!r}", client_address()
        )
    return jsonify({"token": token, "id": row["id"], "name": row["name"]}), 201
