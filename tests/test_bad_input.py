"""Bad input gets a clear 4xx JSON error, stores nothing, and leaves the workers running."""

from __future__ import annotations

import io

import pytest

from app import create_app
from app.config import Config
from tests.helpers import assert_rejected, counts, post_bytes, synthesize, wait_for_job


@pytest.fixture(scope="module")
def good_wav(speech_dir):
    return synthesize("Testing one two three, this is a short clip.", speech_dir / "short.wav").read_bytes()


CASES = {
    "empty": (lambda wav: b"", 422, "empty_file"),
    "not audio": (lambda wav: b"%PDF-1.7 this is not audio at all\n" * 50, 415, "not_audio"),
    "truncated": (lambda wav: wav[: len(wav) // 3], 422, "truncated_audio"),
    "header only": (lambda wav: wav[:60], 422, "truncated_audio"),
    # The format chunk overwritten with noise: a RIFF file no decoder can make sense of.
    "corrupt": (
        lambda wav: wav[:12] + bytes((i * 37 + 11) % 256 for i in range(32)) + wav[44:],
        (415, 422),
        ("not_audio", "corrupt_audio"),
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_audio_is_refused_and_nothing_is_stored(app, client, alice, good_wav, case):
    make, status, code = CASES[case]
    before = counts(app)
    assert_rejected(post_bytes(client, alice["auth"], make(good_wav)), status, code)
    assert counts(app) == before


def test_corrupt_mp3_is_refused(app, client, alice, speech_dir):
    mp3 = synthesize("A short clip to break.", speech_dir / "break.mp3").read_bytes()
    garbage = bytes((b * 7 + 13) % 256 for b in range(len(mp3)))
    before = counts(app)
    response = post_bytes(client, alice["auth"], mp3[:200] + garbage, "broken.mp3")
    assert_rejected(response, (415, 422), ("not_audio", "corrupt_audio", "truncated_audio"))
    assert counts(app) == before


def test_missing_file_field_and_bad_fields(app, client, alice, good_wav):
    before = counts(app)
    assert_rejected(client.post("/api/v1/recordings", data={}, headers=alice["auth"]), 400, "missing_file")
    for field, value in [
        ("speakers", "0"),
        ("speakers", "500"),
        ("max_speakers", "x"),
        ("recorded_at", "yesterday"),
        ("title", "t" * 300),
        ("language", "english!"),
    ]:
        response = client.post(
            "/api/v1/recordings",
            data={"audio": (io.BytesIO(good_wav), "a.wav"), field: value},
            headers=alice["auth"],
            content_type="multipart/form-data",
        )
        assert_rejected(response, 400, "bad_field")
    assert counts(app) == before


@pytest.fixture(scope="module")
def strict_app(environment):
    """The same system with small limits: 200 kB and 3 seconds."""
    config = Config()
    config.MAX_UPLOAD_BYTES = 200_000
    config.MAX_CONTENT_LENGTH = 200_000 + 1024 * 1024
    config.MAX_DURATION_SECONDS = 3.0
    return create_app(config)


def test_oversized_upload_is_refused(strict_app, alice, good_wav):
    client = strict_app.test_client()
    before = counts(strict_app)
    assert_rejected(post_bytes(client, alice["auth"], good_wav + b"\x00" * 300_000), 413, "too_large")
    # Over the whole-request cap as well: Flask refuses before reading, still as JSON.
    assert_rejected(post_bytes(client, alice["auth"], b"\x00" * 1_400_000), 413, "too_large")
    assert counts(strict_app) == before


def test_too_long_audio_is_refused(strict_app, alice, good_wav):
    client = strict_app.test_client()
    before = counts(strict_app)
    assert_rejected(post_bytes(client, alice["auth"], good_wav), 413, "too_long")
    assert counts(strict_app) == before


def test_unknown_job_and_recording(client, alice):
    for path in (
        "/api/v1/jobs/nope",
        "/api/v1/jobs/0123456789abcdef0123456789abcdef",
        "/api/v1/jobs/nope/events",
        "/api/v1/recordings/nope",
    ):
        assert_rejected(client.get(path, headers=alice["auth"]), 404, "not_found")
    assert_rejected(client.delete("/api/v1/jobs/nope", headers=alice["auth"]), 404, "not_found")


def test_workers_survive_bad_input(client, workers, alice, speech_dir):
    """After all the refusals above, the workers still serve a good upload."""
    path = synthesize("Still working after the bad files.", speech_dir / "after.wav")
    accepted = post_bytes(client, alice["auth"], path.read_bytes()).get_json()
    assert wait_for_job(client, accepted["job_id"], alice["auth"])["state"] == "done"
    assert all(p.poll() is None for p in workers["procs"])
