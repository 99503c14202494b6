"""Sessions, CSRF, tokens, roles, rate limits and the audit log, through the real app and store."""

from __future__ import annotations

import subprocess

import pytest

from app import create_app
from app.config import Config
from tests.helpers import NEMOCTL, audit_actions, login


def test_api_requires_authentication(client):
    response = client.get("/api/v1/recordings")
    assert response.status_code == 401 and response.get_json()["error"]["code"] == "unauthenticated"


def test_login_logout_and_audit(client, store, bob):
    before = audit_actions(store, bob["id"]).count("login")
    csrf = login(client, bob)
    assert client.get("/api/v1/auth/me").get_json()["username"] == "bob"
    assert audit_actions(store, bob["id"]).count("login") == before + 1
    assert client.post("/api/v1/auth/logout", headers={"X-CSRFToken": csrf}).status_code == 200
    assert client.get("/api/v1/auth/me").status_code == 401


def test_failed_login_is_refused_and_audited(client, store, bob):
    before = audit_actions(store).count("login_failed")
    response = client.post("/api/v1/auth/login", json={"username": "bob", "password": "not his password"})
    assert response.status_code == 401 and response.get_json()["error"]["code"] == "bad_credentials"
    assert audit_actions(store).count("login_failed") == before + 1
    # A form post instead of JSON is refused: login takes JSON only, which a cross-site form cannot send.
    assert client.post("/api/v1/auth/login", data={"username": "bob", "password": "x"}).status_code == 415


def test_cookie_requests_need_csrf_but_tokens_do_not(client, bob):
    csrf = login(client, bob)
    response = client.post("/api/v1/auth/tokens", json={"name": "no csrf"})
    assert response.status_code == 400 and response.get_json()["error"]["code"] == "csrf_failed"
    response = client.post("/api/v1/auth/tokens", json={"name": "with csrf"}, headers={"X-CSRFToken": csrf})
    assert response.status_code == 201
    token = response.get_json()["token"]
    fresh = client.application.test_client()  # no cookie: bearer only, no CSRF token needed
    response = fresh.post(
        "/api/v1/auth/tokens", json={"name": "by token"}, headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 201


def test_bad_bearer_token_is_refused(client):
    response = client.get("/api/v1/recordings", headers={"Authorization": "Bearer nemo_not-a-real-token"})
    assert response.status_code == 401 and response.get_json()["error"]["code"] == "bad_token"


def test_login_page_form_has_csrf(client, bob):
    page = client.get("/login")
    assert page.status_code == 200 and b'name="csrf_token"' in page.data
    # Without the token the form post is refused.
    response = client.post("/login", data={"username": "bob", "password": bob["password"]})
    assert response.status_code == 400
    token = page.data.split(b'name="csrf_token" type="hidden" value="')[1].split(b'"')[0].decode()
    response = client.post(
        "/login", data={"username": "bob", "password": bob["password"], "csrf_token": token}
    )
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert client.get("/").status_code == 200


def test_pages_redirect_to_login(client):
    response = client.get("/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_token_creation_is_audited(client, store, alice):
    before = audit_actions(store, alice["id"]).count("token_created")
    assert (
        client.post("/api/v1/auth/tokens", json={"name": "audit me"}, headers=alice["auth"]).status_code
        == 201
    )
    assert audit_actions(store, alice["id"]).count("token_created") == before + 1


def test_roles_role_changes_and_deletion(client, store, alice, bob):
    from app.store import users

    with store.tx() as tx:
        carol = users.create_user(tx, "carol", "carol's password")
    # A plain user may not administer.
    assert (
        client.patch(f"/api/v1/users/{carol['id']}", json={"role": "admin"}, headers=bob["auth"]).status_code
        == 403
    )
    response = client.patch(f"/api/v1/users/{carol['id']}", json={"role": "admin"}, headers=alice["auth"])
    assert response.status_code == 200
    assert (
        client.patch(f"/api/v1/users/{carol['id']}", json={"role": "god"}, headers=alice["auth"]).status_code
        == 400
    )
    assert client.delete(f"/api/v1/users/{carol['id']}", headers=alice["auth"]).status_code == 204
    assert client.delete(f"/api/v1/users/{carol['id']}", headers=alice["auth"]).status_code == 404
    events = client.get("/api/v1/audit", headers=alice["auth"]).get_json()["events"]
    details = {(e["action"], e["detail"].split(" ")[0]) for e in events}
    assert ("role_changed", f"user={carol['id']}") in details
    assert ("deleted", f"user={carol['id']}") in details
    assert client.get("/api/v1/audit", headers=bob["auth"]).status_code == 403


@pytest.fixture()
def limited_app(environment):
    config = Config()
    config.RATE_LIMIT = "5/minute"
    config.LOGIN_RATE_LIMIT = "3/minute"
    return create_app(config)


def test_rate_limits(limited_app, store, bob):
    from tests.conftest import _make_user

    fresh = _make_user(store, "ratelimited")  # a user with no requests in this window yet
    client = limited_app.test_client()
    client.environ_base["REMOTE_ADDR"] = "10.77.0.1"
    codes = [
        client.post("/api/v1/auth/login", json={"username": "bob", "password": "wrong password"}).status_code
        for _ in range(4)
    ]
    assert codes[:3] == [401, 401, 401] and codes[3] == 429
    other = limited_app.test_client()
    other.environ_base["REMOTE_ADDR"] = "10.77.0.2"
    codes = [other.get("/api/v1/auth/me", headers=fresh["auth"]).status_code for _ in range(6)]
    assert codes[:5] == [200] * 5 and codes[5] == 429
    limited = other.get("/api/v1/auth/me", headers=fresh["auth"])
    assert limited.get_json()["error"]["code"] == "rate_limited" and int(limited.headers["Retry-After"]) >= 0


def test_nemoctl_user_and_token_create(environment, store):
    from app.store import users

    result = subprocess.run(
        [NEMOCTL, "user", "create", "dave", "--admin"],
        input="dave's password\n",
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    with store.tx() as tx:
        assert users.get_user_by_name(tx, "dave")["role"] == "admin"
        assert users.check_password(tx, "dave", "dave's password") is not None
    again = subprocess.run(
        [NEMOCTL, "user", "create", "dave"], input="another password\n", capture_output=True, text=True
    )
    assert again.returncode != 0 and "already exists" in again.stderr
    short = subprocess.run(
        [NEMOCTL, "user", "create", "erin"], input="short\n", capture_output=True, text=True
    )
    assert short.returncode != 0 and "at least" in short.stderr
    token = subprocess.run([NEMOCTL, "token", "create", "dave"], capture_output=True, text=True)
    assert token.returncode == 0
    secret = token.stdout.strip()
    assert secret.startswith("nemo_")
    with store.tx() as tx:
        assert users.user_for_token(tx, secret)["username"] == "dave"
