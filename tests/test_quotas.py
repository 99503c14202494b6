"""Per-user quotas through the real app and store: an admin sets them, uploads and live chunks past them
get 413 and store nothing, the API and the account page show what is used; the account page's password
change ends every session."""

from __future__ import annotations

import io
import time

import pytest

from tests.conftest import _make_user
from tests.helpers import TERMINAL, assert_rejected, counts, login, wait_for_job, wav_bytes


@pytest.fixture()
def kim(store):
    return _make_user(store, f"kim-{time.monotonic_ns()}")


def upload(client, user, payload: bytes):
    """The upload's response; an accepted one is waited for, so that no later test counts blobs that a
    worker is still writing."""
    response = client.post(
        "/api/v1/recordings",
        data={"audio": (io.BytesIO(payload), "clip.wav")},
        headers=user["auth"],
        content_type="multipart/form-data",
    )
    if response.status_code == 202:
        assert (
            wait_for_job(client, response.get_json()["job_id"], user["auth"], timeout=300)["state"]
            in TERMINAL
        )
    return response


def set_quota(client, admin, user, **fields):
    response = client.patch(f"/api/v1/users/{user['id']}", json=fields, headers=admin["auth"])
    assert response.status_code == 200, response.get_json()
    return response.get_json()["quota"]


def test_storage_quota_refuses_the_upload_that_would_pass_it(app, client, alice, kim, workers):
    clip = wav_bytes(seconds=2)
    quota = set_quota(client, alice, kim, storage_quota_bytes=int(len(clip) * 1.5))
    assert quota["storage_bytes"] == {"used": 0, "limit": int(len(clip) * 1.5)}
    assert upload(client, kim, clip).status_code == 202
    before = counts(app)
    refused = upload(client, kim, clip)
    assert_rejected(refused, 413, "quota_exceeded")
    assert (
        "quota" in refused.get_json()["error"]["message"] and "MB" in refused.get_json()["error"]["message"]
    )
    assert counts(app) == before
    me = client.get("/api/v1/auth/me", headers=kim["auth"]).get_json()
    assert me["quota"]["storage_bytes"] == {"used": len(clip), "limit": int(len(clip) * 1.5)}
    # Back to the default (unlimited here), then explicitly unlimited: the upload goes through.
    assert set_quota(client, alice, kim, storage_quota_bytes=None)["storage_bytes"]["limit"] is None
    set_quota(client, alice, kim, storage_quota_bytes="unlimited")
    assert upload(client, kim, clip).status_code == 202


def test_audio_hours_quota_and_live_chunks(app, client, alice, kim, workers):
    set_quota(client, alice, kim, audio_quota_hours=3 / 3600)  # three seconds
    assert upload(client, kim, wav_bytes(seconds=2)).status_code == 202
    assert_rejected(upload(client, kim, wav_bytes(seconds=2)), 413, "quota_exceeded")
    stream = client.post("/api/v1/streams", json={"title": "over"}, headers=kim["auth"]).get_json()
    chunk = client.post(
        f"/api/v1/streams/{stream['stream_id']}/chunks",
        data={"audio": (io.BytesIO(wav_bytes(seconds=2)), "c.wav"), "seq": "0"},
        headers=kim["auth"],
        content_type="multipart/form-data",
    )
    assert_rejected(chunk, 413, "quota_exceeded")
    me = client.get("/api/v1/auth/me", headers=kim["auth"]).get_json()
    assert me["quota"]["audio_hours"]["limit"] == round(3 / 3600, 3)
    assert me["quota"]["audio_hours"]["used"] == pytest.approx(2 / 3600, abs=0.001)


def test_only_admins_set_quotas_and_bad_values_are_refused(client, alice, bob, kim):
    forbidden = client.patch(
        f"/api/v1/users/{kim['id']}", json={"storage_quota_bytes": 1}, headers=bob["auth"]
    )
    assert forbidden.status_code == 403
    for bad in ({"storage_quota_bytes": -5}, {"audio_quota_hours": "lots"}, {"audio_quota_hours": True}, {}):
        response = client.patch(f"/api/v1/users/{kim['id']}", json=bad, headers=alice["auth"])
        assert_rejected(response, 400, "bad_field")
    listed = client.get("/api/v1/users", headers=alice["auth"]).get_json()["users"]
    assert all("quota" in u for u in listed)


def test_the_account_page_shows_quotas_and_changes_the_password(app, client, alice, store):
    lee = _make_user(store, f"lee-{time.monotonic_ns()}")
    set_quota(client, alice, lee, storage_quota_bytes=2_000_000, audio_quota_hours=1.5)
    browser = app.test_client()
    login(browser, lee)
    page = browser.get("/account")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "2.0 MB" in html and "1.50" in html and lee["username"] in html
    token = html.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    wrong = browser.post(
        "/account/password",
        data={
            "csrf_token": token,
            "current_password": "nope",
            "new_password": "long enough pw",
            "repeat_password": "long enough pw",
        },
    )
    assert wrong.status_code == 403 and "current password is wrong" in wrong.get_data(as_text=True)
    differ = browser.post(
        "/account/password",
        data={
            "csrf_token": token,
            "current_password": lee["password"],
            "new_password": "long enough pw",
            "repeat_password": "other",
        },
    )
    assert differ.status_code == 400 and "differ" in differ.get_data(as_text=True)
    other_device = app.test_client()
    login(other_device, lee)
    done = browser.post(
        "/account/password",
        data={
            "csrf_token": token,
            "current_password": lee["password"],
            "new_password": "long enough pw",
            "repeat_password": "long enough pw",
        },
    )
    assert done.status_code == 302 and done.headers["Location"].endswith("/login?changed=1")
    assert browser.get("/api/v1/auth/me").status_code == 401
    assert other_device.get("/api/v1/auth/me").status_code == 401
    assert "sign in with the new one" in browser.get("/login?changed=1").get_data(as_text=True)
    assert login(app.test_client(), {**lee, "password": "long enough pw"})
