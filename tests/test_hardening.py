"""Every case the attacker's probe of issue 12 found, one by one, through the real app and store: each is a
clear 4xx that changes nothing, where it used to be a 500, a redirect off-site, a session that outlived
its logout or a 448 MB PCM file. This file holds what a request carries (JSON, numbers, audio headers,
stream ids), files on disk and Flower; tests/test_hardening_sessions.py holds sign-in and sessions."""

from __future__ import annotations

import io

import pytest

from tests.helpers import assert_rejected, counts, post_bytes, wait_for_job, wav_bytes


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
