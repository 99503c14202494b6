"""Upload synthesised speech through the HTTP API and get its words back, through a real Redis, real
worker processes and the real Whisper model. The WER bound: at most 0.25 against the spoken text
(tiny.en on espeak-ng speech measured about 0.05-0.1 here)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from tests.helpers import SPOKEN, synthesize, upload, wait_for_job, word_error_rate

WER_BOUND = 0.25


def test_upload_returns_the_spoken_words(client, workers, alice, speech_wav):
    response = upload(
        client, speech_wav, alice["auth"], title="Budget call", recorded_at="2026-11-20T09:30:00Z"
    )
    assert response.status_code == 202, response.get_json()
    accepted = response.get_json()
    assert set(accepted) == {"job_id", "recording_id"}

    job = wait_for_job(client, accepted["job_id"], alice["auth"])
    assert job["state"] == "done", job
    assert job["progress"] == 1.0 and job["error"] is None

    recording = client.get(f"/api/v1/recordings/{accepted['recording_id']}", headers=alice["auth"]).get_json()
    assert recording["title"] == "Budget call"
    assert recording["recorded_at"] == datetime(2026, 11, 20, 9, 30, tzinfo=UTC).timestamp()
    assert recording["asr_model"] == "whisper-tiny.en"
    text = " ".join(s["text"] for s in recording["segments"])
    assert word_error_rate(SPOKEN, text) <= WER_BOUND, text
    assert "sarah" in text.lower() and "friday" in text.lower()
    for segment in recording["segments"]:
        assert 0 <= segment["start"] < segment["end"] <= recording["duration"] + 0.5
        assert segment["words"], "word timestamps are stored"
        for word in segment["words"]:
            assert segment["start"] - 0.05 <= word["start"] <= word["end"] <= segment["end"] + 0.05


def test_late_sse_client_receives_every_event(client, workers, alice, speech_wav):
    accepted = upload(client, speech_wav, alice["auth"]).get_json()
    wait_for_job(client, accepted["job_id"], alice["auth"])
    # Connect after the job finished: the stream still holds the whole history, ending in `done`.
    response = client.get(f"/api/v1/jobs/{accepted['job_id']}/events", headers=alice["auth"])
    assert response.mimetype == "text/event-stream"
    frames = [f for f in response.get_data(as_text=True).split("\n\n") if "event:" in f]
    events = [line.split(": ", 1)[1] for f in frames for line in f.splitlines() if line.startswith("event:")]
    assert events[-1] == "done" and events.count("done") == 1
    assert "progress" in events
    stages = [
        json.loads(line[6:])["stage"] for f in frames for line in f.splitlines() if line.startswith("data:")
    ]
    assert stages.index("audio") < stages.index("transcription") < stages.index("done")
    progress = [
        json.loads(line[6:])["progress"]
        for f in frames
        for line in f.splitlines()
        if line.startswith("data:")
    ]
    assert progress == sorted(progress)

    # Resuming after the second event replays only what came after it.
    second_id = frames[1].splitlines()[0].split(": ", 1)[1]
    resumed = client.get(
        f"/api/v1/jobs/{accepted['job_id']}/events", headers={**alice["auth"], "Last-Event-ID": second_id}
    ).get_data(as_text=True)
    assert resumed.count("event:") == len(frames) - 2


@pytest.mark.parametrize("suffix", [".mp3", ".m4a", ".flac", ".ogg", ".webm"])
def test_every_supported_container_is_transcribed(client, workers, alice, speech_dir, suffix):
    text = "The blue car is parked outside the station."
    path = synthesize(text, speech_dir / f"car{suffix}")
    accepted = upload(client, path, alice["auth"]).get_json()
    job = wait_for_job(client, accepted["job_id"], alice["auth"])
    assert job["state"] == "done", job
    segments = client.get(f"/api/v1/recordings/{accepted['recording_id']}", headers=alice["auth"]).get_json()[
        "segments"
    ]
    heard = " ".join(s["text"] for s in segments)
    assert word_error_rate(text, heard) <= WER_BOUND, heard


def test_audio_is_encrypted_at_rest(app, client, workers, alice, speech_wav):
    accepted = upload(client, speech_wav, alice["auth"]).get_json()
    wait_for_job(client, accepted["job_id"], alice["auth"])
    store, blobs = app.extensions["nemo.store"], app.extensions["nemo.blobs"]
    with store.tx() as tx:
        row = tx.one("SELECT blob_id, pcm_blob_id FROM recordings WHERE id = ?", (accepted["recording_id"],))
    raw = blobs._path(row["blob_id"]).read_bytes()
    original = speech_wav.read_bytes()
    assert original[44:4096] not in raw and b"RIFF" not in raw[:64]
    assert blobs.exists(row["pcm_blob_id"])
