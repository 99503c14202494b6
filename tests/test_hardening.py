"""Every case the attacker's probe of issue 12 found, one by one, through the real app and store: each is a
clear 4xx that changes nothing, where it used to be a 500, a redirect off-site, a session that outlived
its logout or a 448 MB PCM file."""

from __future__ import annotations

import io
import re
import time
from pathlib import Path

import pytest

from app import create_app
from app.config import Config
from tests.helpers import assert_rejected, audit_actions, counts, login, post_bytes, wait_for_job, wav_bytes


def json_post(client, path: str, raw: str | bytes, headers: dict):
    return client.post(path, data=raw, headers={**headers, "Content-Type": "application/json"})


# --- JSON the parser cannot hold -------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/api/v1/auth/login", "/api/v1/search", "/api/v1/chat", "/api/v1/streams"])
def test_deeply_nested_json_is_a_400(client, bob, path):
    response = json_post(client, path, "[" * 5000 + "]" * 5000, bob["auth"])
    assert_rejected(response, 400, ("bad_json", "bad_request", "bad_field"))
    anonymous = json_post(client, path, "[" * 5000, {})
    assert anonymous.status_code in (400, 401), anonymous.get_data(as_text=True)


def test_a_lone_surrogate_is_refused_and_changes_nothing(client, store, bob):
    with store.tx() as tx:
        voice = tx.one("SELECT count(*) AS n FROM voices WHERE user_id = ?", (bob["id"],))["n"]
    for path, method in (("/api/v1/speakers/nope", "patch"), ("/api/v1/segments/nope", "patch")):
        response = getattr(client, method)(
            path,
            data='{"name": "Ann\\ud800", "text": "hi \\udfff"}',
            headers=bob["auth"],
            content_type="application/json",
        )
        assert_rejected(response, 400, "bad_json")
    response = json_post(client, "/api/v1/search", '{"query": "budget \\ud800"}', bob["auth"])
    assert_rejected(response, 400, "bad_json")
    with store.tx() as tx:
        assert tx.one("SELECT count(*) AS n FROM voices WHERE user_id = ?", (bob["id"],))["n"] == voice


@pytest.mark.parametrize("how", ["path", "query", "json", "form", "filename"])
def test_a_nul_character_is_a_400_on_both_stores(app, client, bob, how):
    before = counts(app)
    if how == "path":
        response = client.delete("/api/v1/speakers/%00", headers=bob["auth"])
    elif how == "query":
        response = client.get("/api/v1/recordings?sha256=ab%00cd", headers=bob["auth"])
    elif how == "json":
        response = json_post(client, "/api/v1/search", '{"query": "budget\\u0000"}', bob["auth"])
    else:
        name = "a\x00.wav" if how == "filename" else "a.wav"
        fields = {"audio": (io.BytesIO(wav_bytes()), name)}
        if how == "form":
            fields["title"] = "Weekly\x00sync"
        response = client.post(
            "/api/v1/recordings", data=fields, headers=bob["auth"], content_type="multipart/form-data"
        )
    assert_rejected(response, 400, ("bad_request", "bad_json"))
    assert counts(app) == before


@pytest.mark.parametrize("path", ["/login", "/account/password"])
@pytest.mark.parametrize("body", ["false", "[1, 2]", '"text"', "null"])
def test_a_json_body_posted_to_a_page_form_is_refused_not_a_500(client, bob, path, body):
    # Flask-WTF would read a JSON body as the form (the fuzz found `false` crashing it); pages read form
    # posts, so this is an empty form: the login page shown again, or the account page's 400.
    response = client.post(path, data=body, content_type="application/json", headers=bob["auth"])
    expected = (200,) if path == "/login" else (400,)
    assert response.status_code in expected, (response.status_code, response.get_data(as_text=True)[:200])


# --- Numbers -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("digits", ["²", "①", "٣", "9" * 400, "1e3", " 7 8"])
def test_numbers_in_odd_digits_or_huge_are_a_400(app, client, bob, alice, digits):
    before = counts(app)
    upload = client.post(
        "/api/v1/recordings",
        data={"audio": (io.BytesIO(wav_bytes()), "a.wav"), "speakers": digits},
        headers=bob["auth"],
        content_type="multipart/form-data",
    )
    assert_rejected(upload, 400, "bad_field")
    search = client.post("/api/v1/search", json={"query": "budget", "top_k": digits}, headers=bob["auth"])
    assert_rejected(search, 400, "bad_field")
    audit = client.get("/api/v1/audit", query_string={"limit": digits}, headers=alice["auth"])
    assert_rejected(audit, 400, "bad_field")
    stream = client.post("/api/v1/streams", json={"title": "numbers"}, headers=bob["auth"]).get_json()
    chunk = client.post(
        f"/api/v1/streams/{stream['stream_id']}/chunks",
        data={"audio": (io.BytesIO(wav_bytes(seconds=2)), "c.wav"), "seq": digits},
        headers=bob["auth"],
        content_type="multipart/form-data",
    )
    assert_rejected(chunk, 400, "bad_field")
    assert counts(app) == before


@pytest.mark.parametrize(
    "filters",
    [
        {"since": "9" * 400},
        {"until": "1e400"},
        {"since": "nan"},
        {"since": -1e300},
        {"speaker": "Speaker 99999999999999999999999"},
        {"speaker": "Speaker ²"},
    ],
)
def test_search_filters_out_of_range_are_a_400(client, bob, filters):
    response = client.post(
        "/api/v1/search", json={"query": "budget", "filters": filters}, headers=bob["auth"]
    )
    assert_rejected(response, 400, "bad_field")


@pytest.mark.parametrize("when", ["9999-12-31T00:00:00Z", "1000-01-01", "2200-01-01T00:00:00"])
def test_a_recording_date_outside_1970_and_now_is_refused(app, client, bob, when):
    before = counts(app)
    response = client.post(
        "/api/v1/recordings",
        data={"audio": (io.BytesIO(wav_bytes()), "a.wav"), "recorded_at": when},
        headers=bob["auth"],
        content_type="multipart/form-data",
    )
    assert_rejected(response, 400, "bad_field")
    assert counts(app) == before


# --- Audio headers that lie ------------------------------------------------------------------------------


def test_unknown_codec_is_a_415_on_upload_enrollment_and_live_chunks(app, client, bob):
    before = counts(app)
    unknown = wav_bytes(format_tag=0x1234, seconds=4)
    assert_rejected(post_bytes(client, bob["auth"], unknown), 415, "unsupported_codec")
    enroll = client.post(
        "/api/v1/speakers",
        data={"name": "Codec Tester", "audio": (io.BytesIO(unknown), "sample.wav")},
        headers=bob["auth"],
        content_type="multipart/form-data",
    )
    assert_rejected(enroll, 415, "unsupported_codec")
    stream = client.post("/api/v1/streams", json={"title": "codec"}, headers=bob["auth"]).get_json()
    chunk = client.post(
        f"/api/v1/streams/{stream['stream_id']}/chunks",
        data={"audio": (io.BytesIO(wav_bytes(format_tag=0x1234, seconds=2)), "c.wav"), "seq": "0"},
        headers=bob["auth"],
        content_type="multipart/form-data",
    )
    assert_rejected(chunk, 415, "unsupported_codec")
    assert counts(app) == before


@pytest.mark.parametrize(
    "header",
    [
        {"rate": 4},  # 112 KB that "last" four hours: once 448 MB of PCM
        {"rate": 1_000_000},
        {"channels": 0},
        {"channels": 200},
    ],
)
def test_impossible_sample_rates_and_channel_counts_are_refused_before_decoding(app, client, bob, header):
    before = counts(app)
    payload = wav_bytes(rate=header.get("rate", 16_000), channels=header.get("channels", 1), seconds=0.1)
    if header.get("rate") == 4:
        payload = wav_bytes(rate=4, seconds=14_000)
    response = post_bytes(client, bob["auth"], payload)
    assert_rejected(response, (415, 422), ("bad_audio_format", "not_audio", "unsupported_codec"))
    assert counts(app) == before


def test_decoded_size_guard_refuses_a_file_that_expands_past_its_limit(tmp_path):
    from app import audio_probe
    from app.audio_probe import AudioRejected, probe

    path = tmp_path / "long.wav"
    path.write_bytes(wav_bytes(rate=8_000, seconds=3))
    saved = audio_probe.MAX_EXPANSION, audio_probe.EXPANSION_FLOOR_BYTES
    try:
        # 3 s of 8 kHz 16-bit is 48 KB and decodes to 96 KB at 16 kHz: twice its size.
        audio_probe.MAX_EXPANSION, audio_probe.EXPANSION_FLOOR_BYTES = 1, 0
        with pytest.raises(AudioRejected) as refused:
            probe(path, 3600)
        assert refused.value.code == "bad_audio_format"
        audio_probe.MAX_EXPANSION = 3
        assert probe(path, 3600).duration_seconds == pytest.approx(3, abs=0.05)
    finally:
        audio_probe.MAX_EXPANSION, audio_probe.EXPANSION_FLOOR_BYTES = saved


# --- Streams ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "resume", ["99999999999999999999999-0", "1-99999999999999999999999", "1-2-3", "-1-1"]
)
def test_an_out_of_range_last_event_id_replays_from_the_start(live_server, bob, speech_wav, resume):
    import requests

    from app.client import parse_sse

    with speech_wav.open("rb") as handle:
        accepted = requests.post(
            f"{live_server}/api/v1/recordings", files={"audio": handle}, headers=bob["auth"], timeout=30
        ).json()
    headers = {**bob["auth"], "Last-Event-ID": resume}
    with requests.get(
        f"{live_server}/api/v1/jobs/{accepted['job_id']}/events", headers=headers, stream=True, timeout=300
    ) as response:
        assert response.status_code == 200
        names = []
        for _id, event, _data in parse_sse(response.iter_lines(decode_unicode=True)):
            names.append(event)
            if event in ("done", "failed", "cancelled"):
                break
    assert names[-1] == "done" and len(names) > 2, names


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


# --- Files on disk ----------------------------------------------------------------------------------------


def test_the_database_and_blobs_are_private_files(app, client, bob, speech_wav):
    with speech_wav.open("rb") as handle:
        accepted = client.post(
            "/api/v1/recordings",
            data={"audio": (handle, "private.wav")},
            headers=bob["auth"],
            content_type="multipart/form-data",
        )
    assert accepted.status_code == 202
    # Done, so that the worker's blobs are written (and no later test counts them mid-way).
    assert wait_for_job(client, accepted.get_json()["job_id"], bob["auth"], timeout=300)["state"] == "done"
    config = app.extensions["nemo.config"]
    blobs = [p for p in config.BLOB_DIR.rglob("*") if p.is_file()]
    assert blobs and all(p.stat().st_mode & 0o077 == 0 for p in blobs), [oct(p.stat().st_mode) for p in blobs]
    database = config.INSTANCE_DIR / "nemo.db"
    if database.exists():  # the SQLCipher backend
        assert database.stat().st_mode & 0o077 == 0, oct(database.stat().st_mode)


# --- What Flower sees --------------------------------------------------------------------------------------


def test_task_arguments_shown_to_flower_hold_ids_not_words():
    from app.task_redaction import _redact_arguments

    headers: dict = {}
    question = "what did Sarah say about the layoffs?"
    _redact_arguments(
        headers=headers,
        body=(
            ["nemo:reply:" + "a" * 32, "b" * 32, question, 5, {"speaker": "Sarah"}, "auto"],
            {"tz": "UTC"},
            {},
        ),
    )
    assert question not in headers["argsrepr"] and "Sarah" not in headers["argsrepr"]
    assert "b" * 32 in headers["argsrepr"] and "5" in headers["argsrepr"] and "'auto'" in headers["argsrepr"]
    assert "UTC" not in headers["kwargsrepr"]
