"""Login, logout and personal API tokens."""

from __future__ import annotations

from flask import jsonify
from flask_login import current_user
from flask_wtf.csrf import generate_csrf

from app import extensions as ext
from app import quotas
from app.api import api
from app.auth import authenticate, change_own_password, client_address, login_required_api, sign_out
from app.contract import operation
from app.errors import ApiError
from app.schemas.auth import (
    CsrfToken,
    LoginBody,
    Me,
    NewToken,
    PasswordBody,
    SignedIn,
    SignedOut,
    TokenBody,
    TokenList,
)
from app.schemas.base import Ok
from app.store import audit, users

TAGS = ("auth",)


@api.post("/auth/login")
@operation("Sign in (a session cookie)", tags=TAGS, body=LoginBody, responses={200: SignedIn})
def login(body: LoginBody):
    user = authenticate(body.username, body.password)
    return jsonify(
        {"user": {"id": user.id, "username": user.username, "role": user.role}, "csrf_token": generate_csrf()}
    )


@api.post("/auth/logout")
@login_required_api
@operation("Sign out of this session", tags=TAGS, responses={200: Ok})
def logout():
    sign_out()
    return jsonify({"ok": True})


@api.post("/auth/password")
@login_required_api
@operation("Change your password", tags=TAGS, body=PasswordBody, responses={200: SignedOut})
def change_password(body: PasswordBody):
    """Every browser session of the user ends, this one included."""
    change_own_password(body.current_password, body.new_password, "")
    return jsonify({"ok": True, "signed_out": True})


@api.get("/auth/me")
@login_required_api
@operation("Who you are, and your quota", tags=TAGS, responses={200: Me})
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
@operation("A CSRF token for this session", tags=TAGS, responses={200: CsrfToken})
def csrf_token():
    return jsonify({"csrf_token": generate_csrf()})


@api.post("/auth/tokens")
@login_required_api
@operation(
    "Create a personal API token", tags=TAGS, body=TokenBody, body_optional=True, responses={201: NewToken}
)
def create_token(body: TokenBody):
    with ext.store().tx() as tx:
        token, row = users.create_token(tx, current_user.id, body.name)
        audit.record(
            tx, "token_created", current_user.id, f"token={row['id']} name={row['name']!r}", client_address()
        )
    return jsonify({"token": token, "id": row["id"], "name": row["name"]}), 201


@api.get("/auth/tokens")
@login_required_api
@operation("Your API tokens", tags=TAGS, responses={200: TokenList})
def list_own_tokens():
    with ext.store().tx(readonly=True) as tx:
        return jsonify({"tokens": users.list_tokens(tx, current_user.id)})


@api.delete("/auth/tokens/<token_id>")
@login_required_api
@operation("Revoke one of your API tokens", tags=TAGS, responses={204: None})
def revoke_own_token(token_id: str):
    """A leaked or unused token stops working at once; the others keep working."""
    revoke_token_of(current_user.id, token_id)
    return "", 204


def revoke_token_of(user_id: str, token_id: str) -> None:
    """Revokes `user_id`'s token, audited as done by the caller; 404 when the user has no such token."""
    with ext.store().tx() as tx:
        row = users.revoke_token(tx, user_id, token_id)
        if row is None:
            raise ApiError(404, "not_found", "no such token")
        audit.record(
            tx,
            "token_revoked",
            current_user.id,
            f"user={user_id} token={token_id} name={row['name']!r}",
            client_address(),
        )
