"""Who is calling: session cookies (flask-login) for browsers, bearer tokens for the CLI and scripts.

CSRF is enforced for every state-changing request that is authenticated by cookie. A bearer-token request
carries no ambient credential a third-party page could ride on, so it needs no CSRF token; a request that
sends a bad token is refused outright rather than falling back to the cookie.
"""

from __future__ import annotations

import hashlib
from functools import wraps
from typing import Any

from flask import Flask, g, request
from flask_login import UserMixin, current_user, login_user, logout_user

from app import extensions as ext
from app import ratelimit, sessions
from app.errors import ApiError
from app.metrics import is_metrics_token
from app.store import audit, users

UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
# Endpoints a client must reach before it can hold a CSRF token. Each is JSON-only (see the views), and a
# cross-site form cannot send JSON without a CORS preflight, which this app never grants.
CSRF_EXEMPT_ENDPOINTS = {"api.login"}


class User(UserMixin):
    def __init__(self, row: dict[str, Any]) -> None:
        self.id = row["id"]
        self.username = row["username"]
        self.role = row["role"]

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


def _bearer_token() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def client_address() -> str:
    return request.remote_addr or "unknown"


def _account_bucket(username: str) -> str:
    # Hashed: the key names no account, and a name that does not exist is throttled like one that does.
    return "login-account:" + hashlib.sha256(username.strip().lower().encode()).hexdigest()[:32]


def authenticate(username: str, password: str) -> User:
    """Check a password login, audited either way; starts a fresh session. Raises ApiError.

    Throttled per address (every attempt) and per account name (failures, from any address); the answer
    is the same whether or not the account exists. The audit keeps a failed attempt's name only when it
    is an account's: a password typed into the name field is never stored."""
    config, client = ext.config(), ext.redis_client()
    ratelimit.hit(client, f"login:{client_address()}", config.LOGIN_RATE_LIMIT)
    bucket = _account_bucket(username)
    ratelimit.check(
        client, bucket, config.LOGIN_ACCOUNT_FAILURES, "too many failed sign-ins for this account"
    )
    with ext.store().tx() as tx:
        row = users.check_password(tx, username, password)
        if row is None:
            known = users.get_user_by_name(tx, username.strip())
            said = f"username={known['username']!r}" if known else "unknown username"
            audit.record(tx, "login_failed", known["id"] if known else None, said, client_address())
    if row is None:
        ratelimit.count(client, bucket, config.LOGIN_ACCOUNT_FAILURES)
        raise ApiError(401, "bad_credentials", "wrong username or password")
    with ext.store().tx() as tx:
        audit.record(tx, "login", row["id"], "", client_address())
    user = User(row)
    sessions.begin(row)
    login_user(user)
    return user


def sign_out() -> None:
    """Logout: every browser session of the user ends, on every device, not just this cookie."""
    with ext.store().tx() as tx:
        users.end_sessions(tx, current_user.id)
        audit.record(tx, "logout", current_user.id, "", client_address())
    logout_user()
    sessions.end()


def change_own_password(current: str, new: str, via: str) -> None:
    """The signed-in user's new password, given the current one; every browser session of the account
    ends, this one too. Raises ApiError: 403 for a wrong current password, 400 for a new one refused."""
    with ext.store().tx() as tx:
        if users.check_password(tx, current_user.username, current) is None:
            raise ApiError(403, "bad_credentials", "the current password is wrong")
        try:
            users.set_password(tx, current_user.id, new)
        except users.UserError as exc:
            raise ApiError(400, "bad_field", str(exc)) from exc
        audit.record(tx, "password_changed", current_user.id, via, client_address())
    logout_user()
    sessions.end()


def login_required_api(view):
    """Like flask-login's decorator, but answers the API's JSON 401 instead of redirecting."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        if not current_user.is_authenticated:
            raise ApiError(401, "unauthenticated", "log in or send 'Authorization: Bearer <token>'")
        return view(*args, **kwargs)

    wrapper.nemo_auth = "user"  # read by the OpenAPI document (app/contract/openapi.py)
    return wrapper


def admin_required_api(view):
    @wraps(view)
    @login_required_api
    def wrapper(*args, **kwargs):
        if not current_user.is_admin:
            raise ApiError(403, "forbidden", "this needs an admin account")
        return view(*args, **kwargs)

    wrapper.nemo_auth = "admin"
    return wrapper


def init_auth(app: Flask) -> None:
    ext.login_manager.init_app(app)
    ext.login_manager.login_view = "pages.login"
    ext.csrf.init_app(app)

    @ext.login_manager.user_loader
    def _load_session_user(user_id: str) -> User | None:
        if _bearer_token():
            return None  # a token request is judged by its token alone
        with ext.store().tx() as tx:
            row = users.get_user(tx, user_id)
        if row is None or row["disabled"]:
            return None
        config = ext.config()
        if not sessions.still_valid(row, config.SESSION_IDLE_SECONDS, config.SESSION_MAX_SECONDS):
            sessions.end()
            return None
        return User(row)

    @ext.login_manager.request_loader
    def _load_token_user(_request) -> User | None:
        token = _bearer_token()
        if token is None:
            return None
        if is_metrics_token(token):
            g.metrics_token = True  # the scraper's: no user's, and `/metrics` lets it in
            return None
        with ext.store().tx() as tx:
            row = users.user_for_token(tx, token)
        if row is None:
            raise ApiError(401, "bad_token", "the bearer token is unknown or revoked")
        g.token_auth = True
        return User(row)

    @app.before_request
    def _guard() -> None:
        if request.endpoint in (None, "static"):
            return
        user_known = current_user.is_authenticated  # resolves the token or the session
        who = f"user:{current_user.id}" if user_known else f"ip:{client_address()}"
        ratelimit.hit(ext.redis_client(), who, ext.config().RATE_LIMIT)
        if (
            request.method in UNSAFE_METHODS
            and not g.get("token_auth")
            and request.endpoint not in CSRF_EXEMPT_ENDPOINTS
        ):
            ext.csrf.protect()
