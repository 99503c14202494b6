"""Property-based fuzzing of every route (hypothesis, fixed seed and budget): whatever a client sends
(malformed JSON, multipart and audio containers, odd Unicode, huge numbers, header tricks, unknown ids)
the answer is never a 5xx, and a refused request writes nothing.

Runs in CI as is (a few hundred requests, about a minute); set NEMO_FUZZ_EXAMPLES for a longer run by hand.
"""

from __future__ import annotations

import io
import json
import os
import struct
import time
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import _make_user
from tests.helpers import TERMINAL, wait_for_job

EXAMPLES = int(os.environ.get("NEMO_FUZZ_EXAMPLES", "300"))
FUZZ_SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,  # a fixed seed: CI sees the same inputs every run
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    database=None,
)
TABLES = ("recordings", "jobs", "voices", "chats", "api_tokens", "segments", "users")

# Strings that broke parsers before, beside whatever hypothesis draws (surrogates included).
NASTY = [
    "",
    " ",
    "0",
    "-1",
    "9" * 400,
    "1e400",
    "NaN",
    "²",
    "①",
    "٣",
    "\ud800",
    "\x00",
    "\r\nSet-Cookie: x=1",
    "../../etc/passwd",
    "%00",
    "a" * 5000,
    "Speaker 99999999999999999999999",
    "9999-12-31T23:59:59Z",
    "/%09/evil.example",
    "<script>alert(1)</script>",
]
text = st.one_of(st.sampled_from(NASTY), st.text(st.characters(codec=None), max_size=60))
numbers = st.one_of(
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=True, allow_infinity=True),
    st.just(10**400),
)
scalars = st.one_of(st.none(), st.booleans(), numbers, text)
# Field names the routes read, so that drawn objects reach past "unknown field" into each check.
FIELDS = [
    "query",
    "top_k",
    "filters",
    "speaker",
    "emotion",
    "since",
    "until",
    "recording_id",
    "last_n_recordings",
    "messages",
    "role",
    "content",
    "max_tokens",
    "temperature",
    "use_memory",
    "timezone",
    "conversation_id",
    "name",
    "text",
    "speaker_id",
    "title",
    "language",
    "username",
    "password",
    "current_password",
    "new_password",
    "add_to_profile",
    "speakers",
    "max_speakers",
    "index",
]


json_values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.one_of(text, st.sampled_from(FIELDS)), inner, max_size=5),
    ),
    max_leaves=12,
)


def lying_wav(draw) -> bytes:
    """A RIFF/WAVE whose header fields are drawn: codecs, rates, channels, sizes that may all lie."""
    tag = draw(st.sampled_from([0, 1, 3, 6, 7, 0x11, 0x55, 0x1234, 0xFFFE]))
    channels = draw(st.sampled_from([0, 1, 2, 3, 64, 65535]))
    rate = draw(st.sampled_from([0, 1, 4, 8000, 16000, 48000, 10**6, 2**32 - 1]))
    bits = draw(st.sampled_from([0, 1, 8, 16, 24, 32, 64]))
    data = draw(st.binary(max_size=2048))
    declared = draw(st.sampled_from([len(data), 0, 0xFFFFFFFF, len(data) * 1000]))
    block = max(1, channels * max(bits, 8) // 8) & 0xFFFF
    fmt = struct.pack("<HHIIHH", tag, channels, rate, (rate * block) & 0xFFFFFFFF, block, bits)
    body = (
        b"WAVE" + b"fmt " + struct.pack("<I", len(fmt)) + fmt + b"data" + struct.pack("<I", declared) + data
    )
    return b"RIFF" + struct.pack("<I", len(body)) + body


@st.composite
def file_bytes(draw) -> bytes:
    kind = draw(st.sampled_from(["wav", "random", "container-heads"]))
    if kind == "wav":
        return lying_wav(draw)
    if kind == "container-heads":
        head = draw(
            st.sampled_from([b"ID3\x04\x00", b"OggS\x00", b"fLaC", b"\x1aE\xdf\xa3", b"\x00\x00\x00\x18ftyp"])
        )
        return head + draw(st.binary(max_size=1024))
    return draw(st.binary(max_size=1024))


@st.composite
def requests_(draw, routes):
    rule, methods, params = draw(st.sampled_from(routes))
    method = draw(st.sampled_from(methods))
    path = rule
    for name in params:
        value = draw(st.one_of(text, st.just("0" * 32)))
        path = path.replace(f"<{name}>", quote(value.encode("utf-8", "surrogatepass"), safe="") or "x")
    query = draw(
        st.dictionaries(
            st.sampled_from(["limit", "ids", "format", "sha256", "next", "enrolled", "last_event_id"]),
            text,
            max_size=3,
        )
    )
    if query:  # percent-encoded by hand, so that a lone surrogate arrives as the invalid UTF-8 it is
        pairs = (f"{k}={quote(v.encode('utf-8', 'surrogatepass'), safe='')}" for k, v in query.items())
        path += "?" + "&".join(pairs)
    headers = {}
    auth = draw(st.sampled_from(["token", "token", "none", "garbage"]))
    if auth == "token":
        headers["Authorization"] = "Bearer {token}"
    elif auth == "garbage":
        headers["Authorization"] = draw(
            st.sampled_from(["Bearer", "Bearer  ", "Basic Zm9vOmJhcg==", "Bearer nemo_x"])
        )
    if draw(st.booleans()):
        headers["Last-Event-ID"] = draw(
            st.sampled_from(["1-1", "99999999999999999999999-0", "-1", "x", "1-2-3"])
        )
    body_kind = draw(st.sampled_from(["json", "json", "raw", "multipart", "none"]))
    kwargs: dict = {}
    if body_kind == "json":
        value = draw(st.one_of(json_values, st.just("[" * 3000)))
        raw = value if isinstance(value, str) and value.startswith("[") else json.dumps(value, allow_nan=True)
        kwargs = {"data": raw.encode("utf-8", "surrogatepass"), "content_type": "application/json"}
    elif body_kind == "raw":
        content_type = draw(
            st.sampled_from(
                [
                    "application/json",
                    "multipart/form-data; boundary=x",
                    "multipart/form-data",
                    "text/plain",
                    "application/x-www-form-urlencoded",
                    "audio/wav",
                ]
            )
        )
        kwargs = {"data": draw(st.binary(max_size=512)), "content_type": content_type}
    elif body_kind == "multipart":
        form = draw(
            st.dictionaries(st.sampled_from(FIELDS + ["seq", "channels", "recorded_at"]), text, max_size=4)
        )
        data = {k: v.encode("utf-8", "surrogatepass").decode("utf-8", "replace") for k, v in form.items()}
        if draw(st.booleans()):
            data[draw(st.sampled_from(["audio", "file"]))] = (
                io.BytesIO(draw(file_bytes())),
                draw(st.sampled_from(["a.wav", "b.mp3", "", "x" * 300])),
            )
        kwargs = {"data": data, "content_type": "multipart/form-data"}
    return method, path, headers, kwargs


def row_counts(store) -> dict[str, int]:
    with store.tx() as tx:
        return {t: tx.one(f"SELECT count(*) AS n FROM {t}")["n"] for t in TABLES}


def blob_count(app) -> int:
    blob_dir = app.extensions["nemo.config"].BLOB_DIR
    return sum(1 for p in blob_dir.rglob("*") if p.is_file()) if blob_dir.exists() else 0


@pytest.fixture(scope="module")
def fuzzer(app, store, workers):
    """A user of its own: what the fuzz makes is nobody else's."""
    return _make_user(store, f"fuzz-{time.monotonic_ns()}")


def test_no_route_answers_5xx_and_refusals_write_nothing(app, store, fuzzer, workers):
    routes = sorted(
        (rule.rule, sorted(rule.methods - {"HEAD", "OPTIONS"}), sorted(rule.arguments))
        for rule in app.url_map.iter_rules()
        if rule.endpoint != "static"
    )
    assert len(routes) > 40
    client = app.test_client()
    seen: dict[int, int] = {}
    accepted_jobs: list[str] = []

    @FUZZ_SETTINGS
    @given(request=requests_(routes))
    def check(request):
        method, path, headers, kwargs = request
        headers = {k: v.replace("{token}", fuzzer["token"]) for k, v in headers.items()}
        before, blobs = row_counts(store), blob_count(app)
        response = client.open(path, method=method, headers=headers, **kwargs)
        seen[response.status_code] = seen.get(response.status_code, 0) + 1
        body = response.get_data(as_text=True)[:300]
        assert response.status_code < 500, (method, path, headers, kwargs.get("content_type"), body)
        if response.status_code >= 400:
            assert row_counts(store) == before, (method, path, body)
            assert blob_count(app) == blobs, (method, path, body)
        elif response.status_code == 202 and response.is_json and "job_id" in (response.get_json() or {}):
            accepted_jobs.append(response.get_json()["job_id"])

    try:
        check()
    finally:
        # A drawn name may have been a real account's: its failed sign-ins must not lock later tests out.
        client_redis = app.extensions["nemo.redis"]
        for key in client_redis.scan_iter("nemo:rl:login-account:*"):
            client_redis.delete(key)
    print("FUZZ", sorted(seen.items()))
    assert sum(seen.values()) >= EXAMPLES and not any(code >= 500 for code in seen), seen
    for job_id in accepted_jobs:  # anything that got in is processed to an end, not stuck
        assert wait_for_job(client, job_id, fuzzer["auth"], timeout=300)["state"] in TERMINAL


def test_lying_audio_containers_never_5xx_and_never_half_store(app, store, fuzzer, workers):
    client = app.test_client()
    accepted: list[str] = []

    @FUZZ_SETTINGS
    @given(payload=file_bytes(), name=st.sampled_from(["a.wav", "a.mp3", "a.ogg", "a"]))
    def check(payload, name):
        before = row_counts(store)
        response = client.post(
            "/api/v1/recordings",
            data={"audio": (io.BytesIO(payload), name)},
            headers=fuzzer["auth"],
            content_type="multipart/form-data",
        )
        assert response.status_code < 500, response.get_data(as_text=True)
        if response.status_code >= 400:
            assert response.get_json()["error"]["code"]
            assert row_counts(store) == before
        else:
            assert response.status_code == 202
            accepted.append(response.get_json()["job_id"])

    check()
    for job_id in accepted:
        assert wait_for_job(client, job_id, fuzzer["auth"], timeout=300)["state"] in TERMINAL
