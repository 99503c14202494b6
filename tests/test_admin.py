"""Administration over HTTP and on the Admin page: users created, re-roled and deleted; API tokens listed
and revoked (by their owner or an admin) so a leaked one stops working; the audit log filtered; workers,
queues and a Flower link. Real server, store and browser."""

from __future__ import annotations

import pytest
import requests
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import Select, WebDriverWait

from tests.browser import FLOW_SIZES, SIZES, log_in
from tests.conftest import _make_user


def _api(live_server, user, method, path, **kwargs):
    return requests.request(method, f"{live_server}/api/v1{path}", headers=user["auth"], timeout=10, **kwargs)


def test_tokens_are_listed_and_revoked_and_stop_working(live_server, store):
    owner = _make_user(store, "ines")
    other = _make_user(store, "jon")
    admin = _make_user(store, "kim", "admin")
    made = _api(live_server, owner, "POST", "/auth/tokens", json={"name": "laptop"}).json()
    laptop = {"Authorization": f"Bearer {made['token']}"}
    assert requests.get(f"{live_server}/api/v1/auth/me", headers=laptop, timeout=10).status_code == 200
    listed = _api(live_server, owner, "GET", "/auth/tokens").json()["tokens"]
    assert {"laptop", "tests"} <= {t["name"] for t in listed}
    assert all("token" not in t and "token_hash" not in t for t in listed)  # values are never shown again

    # Another user cannot revoke it (as if it did not exist); its owner can, and it stops working at once.
    assert _api(live_server, other, "DELETE", f"/auth/tokens/{made['id']}").status_code == 404
    assert _api(live_server, owner, "DELETE", f"/auth/tokens/{made['id']}").status_code == 204
    assert requests.get(f"{live_server}/api/v1/auth/me", headers=laptop, timeout=10).status_code == 401
    states = {
        t["name"]: t["revoked_at"] for t in _api(live_server, owner, "GET", "/auth/tokens").json()["tokens"]
    }
    assert states["laptop"] is not None and states["tests"] is None

    # An admin sees and revokes another user's token; a user cannot use the admin routes.
    second = _api(live_server, owner, "POST", "/auth/tokens", json={"name": "phone"}).json()
    tokens = _api(live_server, admin, "GET", f"/users/{owner['id']}/tokens").json()["tokens"]
    assert second["id"] in {t["id"] for t in tokens}
    assert _api(live_server, other, "GET", f"/users/{owner['id']}/tokens").status_code == 403
    assert (
        _api(live_server, admin, "DELETE", f"/users/{owner['id']}/tokens/{second['id']}").status_code == 204
    )
    assert (
        _api(live_server, admin, "DELETE", f"/users/{other['id']}/tokens/{second['id']}").status_code == 404
    )
    phone = {"Authorization": f"Bearer {second['token']}"}
    assert requests.get(f"{live_server}/api/v1/auth/me", headers=phone, timeout=10).status_code == 401

    # The audit log, filtered by action and by who acted.
    revoked = _api(live_server, admin, "GET", "/audit", params={"action": "token_revoked"}).json()["events"]
    assert {e["user_id"] for e in revoked} >= {owner["id"], admin["id"]}
    assert all(e["action"] == "token_revoked" for e in revoked)
    by_admin = _api(live_server, admin, "GET", "/audit", params={"user_id": admin["id"]}).json()["events"]
    assert by_admin and all(e["user_id"] == admin["id"] for e in by_admin)


def test_users_are_created_only_by_admins_with_a_valid_password(live_server, store):
    admin = _make_user(store, "lea", "admin")
    user = _make_user(store, "max")
    body = {"username": "newcomer", "password": "a long enough password", "role": "user"}
    assert _api(live_server, user, "POST", "/users", json=body).status_code == 403
    assert _api(live_server, admin, "POST", "/users", json={**body, "password": "short"}).status_code == 400
    created = _api(live_server, admin, "POST", "/users", json=body)
    assert created.status_code == 201 and created.json()["username"] == "newcomer"
    assert _api(live_server, admin, "POST", "/users", json=body).status_code == 409
    signed_in = requests.post(
        f"{live_server}/api/v1/auth/login",
        json={"username": "newcomer", "password": body["password"]},
        timeout=10,
    )
    assert signed_in.status_code == 200


@pytest.mark.parametrize("size", FLOW_SIZES)
def test_admin_page_manages_users_tokens_and_shows_the_log(browser, live_server, store, tmp_path, size):
    browser.set_window_size(*SIZES[size])
    admin = _make_user(store, f"nora-{size}", "admin")
    wait = WebDriverWait(browser, 60, ignored_exceptions=(StaleElementReferenceException,))
    browser.get(f"{live_server}/admin")
    log_in(browser, wait, admin, "new-user")
    assert "Flower" in browser.find_element(By.ID, "flower-link").text
    assert browser.find_element(By.ID, "flower-link").get_attribute("href").endswith(":5555/")
    wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#worker-list li"))
    assert any(li.text.startswith("gpu@") for li in browser.find_elements(By.CSS_SELECTOR, "#worker-list li"))

    browser.find_element(By.ID, "new-username").send_keys("olga")
    browser.find_element(By.ID, "new-password").send_keys("olga's long password")
    browser.find_element(By.ID, "new-user-button").click()
    wait.until(lambda d: "olga was created" in d.find_element(By.ID, "users-status").text)
    olga_css = "#user-rows tr"

    def olga_row(d):
        return next((r for r in d.find_elements(By.CSS_SELECTOR, olga_css) if "olga" in r.text), None)

    row = wait.until(olga_row)
    olga_id = row.get_attribute("data-user-id")
    from app.store import users

    with store.tx() as tx:
        secret, token_row = users.create_token(tx, olga_id, "olga-script")
    made = {"token": secret, "id": token_row["id"]}

    # Role: admin, after a confirmation.
    Select(row.find_element(By.CSS_SELECTOR, ".role")).select_by_value("admin")
    wait.until(ec.alert_is_present()).accept()
    wait.until(lambda d: "olga is now admin" in d.find_element(By.ID, "users-status").text)
    role = _api(live_server, admin, "GET", "/users").json()["users"]
    assert next(u for u in role if u["id"] == olga_id)["role"] == "admin"

    # Her token, revoked from the page.
    olga_row(browser).find_element(By.CSS_SELECTOR, ".tokens").click()
    revoke = wait.until(
        lambda d: d.find_element(By.CSS_SELECTOR, f'#token-rows tr[data-token-id="{made["id"]}"] .revoke')
    )
    revoke.click()
    wait.until(ec.alert_is_present()).accept()
    wait.until(
        lambda d: d.find_element(
            By.CSS_SELECTOR, f'#token-rows tr[data-token-id="{made["id"]}"] .state'
        ).text.startswith("revoked")
    )
    olga_token = {"Authorization": f"Bearer {made['token']}"}
    assert requests.get(f"{live_server}/api/v1/auth/me", headers=olga_token, timeout=10).status_code == 401

    # The log, by action: her creation is there, logins are not.
    Select(browser.find_element(By.ID, "audit-action")).select_by_value("user_created")
    wait.until(
        lambda d: (
            d.find_elements(By.CSS_SELECTOR, "#audit-rows .action")
            and {a.text for a in d.find_elements(By.CSS_SELECTOR, "#audit-rows .action")} == {"user_created"}
        )
    )
    assert "olga" in browser.find_element(By.ID, "audit-rows").text
    browser.save_screenshot(str(tmp_path / "admin-page.png"))

    # Delete, after a confirmation.
    olga_row(browser).find_element(By.CSS_SELECTOR, ".delete").click()
    wait.until(ec.alert_is_present()).accept()
    wait.until(lambda d: olga_row(d) is None)
    assert olga_id not in {u["id"] for u in _api(live_server, admin, "GET", "/users").json()["users"]}


def test_the_admin_page_is_for_admins_only(browser, live_server, store):
    user = _make_user(store, "pia")
    wait = WebDriverWait(browser, 60)
    browser.get(f"{live_server}/login")
    log_in(browser, wait, user, "upload-form")
    assert not browser.find_elements(By.LINK_TEXT, "Admin")
    response = requests.get(
        f"{live_server}/admin", cookies={c["name"]: c["value"] for c in browser.get_cookies()}, timeout=10
    )
    assert response.status_code == 403
