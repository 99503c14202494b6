"""The attacker's probe of issue 12, continued: the cases about signing in and sessions (logout, password
changes, expiry, CSRF tokens, redirects after sign-in, security headers, per-account throttling and what the
audit keeps of a failed sign-in). Apart from tests/test_hardening.py, which holds the cases about what a
request carries (JSON, numbers, audio headers, stream ids), files on disk and Flower."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

from app import create_app
from app.config import Config
from tests.helpers import assert_rejected, audit_actions, login

# --- Sessions ---------------------------------------------------------------------------------------------


def cookie_copy(source, app):
    """A second browser holding a copy of `source`'s session cookie."""
    other = app.test_client()
    cookie = source.get_cookie("session")
    other.set_cookie("session", cookie.value)
    return other


def test_logout_ends_a_copied_session_cookie(app, client, bob):
    csrf = login(client, bob)
    stolen = cookie_copy(client, app)
    assert stolen.get("/api/v1/auth/me").status_code == 200
    assert client.post("/api/v1/auth/logout", headers={"X-CSRFToken": csrf}).status_code == 200
    assert stolen.get("/api/v1/auth/me").status_code == 401
    minted = stolen.post("/api/v1/auth/tokens", json={"name": "after logout"}, headers={"X-CSRFToken": csrf})
    assert minted.status_code in (400, 401)
    assert stolen.get("/").status_code == 302  # the pages send it to sign in


def test_a_password_change_ends_every_session_and_the_new_password_works(app, store):
    from tests.conftest import _make_user

    erin = _make_user(store, f"erin-{time.monotonic_ns()}")
    laptop, phone = app.test_client(), app.test_client()
    csrf = login(laptop, erin)
    login(phone, erin)
    wrong = laptop.post(
        "/api/v1/auth/password",
        json={"current_password": "not it", "new_password": "a new long password"},
        headers={"X-CSRFToken": csrf},
    )
    assert_rejected(wrong, 403, "bad_credentials")
    short = laptop.post(
        "/api/v1/auth/password",
        json={"current_password": erin["password"], "new_password": "short"},
        headers={"X-CSRFToken": csrf},
    )
    assert_rejected(short, 400, "bad_field")
    changed = laptop.post(
        "/api/v1/auth/password",
        json={"current_password": erin["password"], "new_password": "a new long password"},
        headers={"X-CSRFToken": csrf},
    )
    assert changed.status_code == 200
    assert laptop.get("/api/v1/auth/me").status_code == 401
    assert phone.get("/api/v1/auth/me").status_code == 401
    assert login(app.test_client(), {**erin, "password": "a new long password"})
    old = app.test_client().post(
        "/api/v1/auth/login", json={"username": erin["username"], "password": erin["password"]}
    )
    assert old.status_code == 401
    assert "password_changed" in audit_actions(store, erin["id"])


def test_an_admin_ends_a_users_sessions(app, client, store, alice):
    from tests.conftest import _make_user

    fay = _make_user(store, f"fay-{time.monotonic_ns()}")
    browser = app.test_client()
    login(browser, fay)
    assert client.delete(f"/api/v1/users/{fay['id']}/sessions", headers=fay["auth"]).status_code == 403
    assert client.delete(f"/api/v1/users/{fay['id']}/sessions", headers=alice["auth"]).status_code == 204
    assert browser.get("/api/v1/auth/me").status_code == 401
    assert client.get("/api/v1/auth/me", headers=fay["auth"]).status_code == 200  # tokens are separate
    assert client.delete("/api/v1/users/nope/sessions", headers=alice["auth"]).status_code == 404


@pytest.fixture()
def short_sessions_app(environment):
    config = Config()
    config.SESSION_IDLE_SECONDS = 1.5
    config.SESSION_MAX_SECONDS = 3.5
    return create_app(config)


def test_sessions_expire_when_idle_and_at_their_absolute_limit(short_sessions_app, store):
    from tests.conftest import _make_user

    gus = _make_user(store, f"gus-{time.monotonic_ns()}")
    idle = short_sessions_app.test_client()
    login(idle, gus)
    time.sleep(2)
    assert idle.get("/api/v1/auth/me").status_code == 401
    busy = short_sessions_app.test_client()
    login(busy, gus)
    began = time.monotonic()
    while time.monotonic() - began < 3:
        assert busy.get("/api/v1/auth/me").status_code == 200  # used, so never idle
        time.sleep(0.5)
    time.sleep(1)
    assert busy.get("/api/v1/auth/me").status_code == 401  # past the absolute limit


def test_the_csrf_token_changes_at_sign_in(client, bob):
    before = client.get("/api/v1/auth/csrf").get_json()["csrf_token"]
    after = login(client, bob)
    assert after != before
    refused = client.post("/api/v1/auth/tokens", json={"name": "old token"}, headers={"X-CSRFToken": before})
    assert_rejected(refused, 400, "csrf_failed")


# --- Redirects and headers ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "target",  # as it stands in the query string
    [
        "/%09/evil.example",
        "/%0A/evil.example",
        "%2F%2Fevil.example",
        "/%5Cevil.example",
        "https://evil.example/",
        "/ok%0D%0ASet-Cookie:%20x=1",
        "javascript:alert(1)",
    ],
)
def test_login_never_redirects_off_site(client, bob, target):
    page = client.get("/login")
    token = page.data.split(b'name="csrf_token" type="hidden" value="')[1].split(b'"')[0].decode()
    response = client.post(
        f"/login?next={target}",
        data={"username": "bob", "password": bob["password"], "csrf_token": token},
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    assert response.headers["Location"] == "/"
    assert "Set-Cookie: x" not in str(response.headers)


def test_login_keeps_a_local_next(client, bob):
    page = client.get("/login")
    token = page.data.split(b'name="csrf_token" type="hidden" value="')[1].split(b'"')[0].decode()
    response = client.post(
        "/login?next=/recordings",
        data={"username": "bob", "password": bob["password"], "csrf_token": token},
    )
    assert response.status_code == 302 and response.headers["Location"] == "/recordings"


def test_pages_and_api_carry_security_headers(client, bob):
    login(client, bob)
    for path in ("/", "/login", "/recordings", "/api/v1/auth/me", "/no-such-page"):
        response = client.get(path)
        headers = response.headers
        policy = headers["Content-Security-Policy"]
        assert "frame-ancestors 'none'" in policy and "script-src 'self'" in policy
        assert "unsafe-inline" not in policy
        assert headers["X-Frame-Options"] == "DENY" and headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"] == "same-origin"
        assert headers["Cache-Control"] == "no-store", path
    static = client.get("/static/app.css")
    assert static.status_code == 200 and static.headers.get("Cache-Control") != "no-store"


def test_pages_hold_no_inline_script_or_style():
    root = Path(__file__).resolve().parent.parent / "templates"
    for template in root.glob("*.html"):
        text = template.read_text()
        assert "style=" not in text, template.name
        assert not re.search(r"\son[a-z]+\s*=", text), template.name
        for tag in text.split("<script")[1:]:
            assert tag.lstrip().startswith("src="), template.name


# --- Sign-in throttling and the audit ----------------------------------------------------------------------


@pytest.fixture()
def throttled_app(environment):
    config = Config()
    config.LOGIN_RATE_LIMIT = "1000/minute"
    config.LOGIN_ACCOUNT_FAILURES = "3/15minute"
    return create_app(config)


def test_failed_sign_ins_lock_the_account_name_not_the_address(throttled_app, store):
    from tests.conftest import _make_user

    hal = _make_user(store, f"hal-{time.monotonic_ns()}")
    ivy = _make_user(store, f"ivy-{time.monotonic_ns()}")
    ghost = f"ghost-{time.monotonic_ns()}"

    def attempt(username: str, password: str, address: str) -> int:
        client = throttled_app.test_client()
        client.environ_base["REMOTE_ADDR"] = address
        return client.post(
            "/api/v1/auth/login", json={"username": username, "password": password}
        ).status_code

    # Three failures from three addresses lock hal's name, from any address, even with the right password.
    assert [attempt(hal["username"], "wrong guess", f"10.88.0.{n}") for n in range(3)] == [401] * 3
    assert attempt(hal["username"], hal["password"], "10.88.1.1") == 429
    # The address that failed may still sign in to another account.
    assert attempt(ivy["username"], ivy["password"], "10.88.0.1") == 200
    # A name with no account is locked the same way: the answers do not tell which names exist.
    assert [attempt(ghost, "wrong guess", "10.88.2.1") for _ in range(4)] == [401, 401, 401, 429]


def test_a_failed_sign_in_never_stores_what_was_typed_as_the_name(client, store, bob):
    typed = f"Tr0ub4dor&3-{time.monotonic_ns()}"  # a password typed into the name field
    response = client.post("/api/v1/auth/login", json={"username": typed, "password": "whatever it is"})
    assert response.status_code == 401
    with store.tx() as tx:
        details = [r["detail"] for r in tx.all("SELECT detail FROM audit_log WHERE action = 'login_failed'")]
    assert details and not any(typed in d for d in details)
    assert "unknown username" in details[-1] or any("unknown username" in d for d in details)
