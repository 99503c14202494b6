"""Unnamed speakers numbered per recording ("Speaker 1, 2" of this meeting) while the identity behind
each stays the one search and the assistant know: pure logic, no service."""

from __future__ import annotations

from app import exports
from app.serializers import public_speakers


def voice(voice_id: str, number: int, name: str | None = None) -> dict:
    return {"id": voice_id, "name": name, "number": number}


def test_unnamed_speakers_are_numbered_in_order_of_first_speaking_names_kept():
    # Rows come in the order diarization first heard them (store.recordings.speakers_by_recording).
    speakers = public_speakers([voice("v17", 17), voice("alice", 3, "Alice"), voice("v4", 4)])
    assert [s["label_in_recording"] for s in speakers] == ["Speaker 1", "Alice", "Speaker 2"]
    assert [s["label"] for s in speakers] == ["Speaker 17", "Alice", "Speaker 4"]
    assert [s["id"] for s in speakers] == ["v17", "alice", "v4"]


def test_exports_name_speakers_as_the_meeting_does_and_json_keeps_both():
    recording = {
        "id": "r1",
        "title": "Standup",
        "speakers": public_speakers([voice("v17", 17), voice("v4", 4)]),
        "segments": [
            {"start": 0.0, "end": 1.0, "speaker": "Speaker 17", "speaker_id": "v17", "text": "Hello."},
            {"start": 1.0, "end": 2.0, "speaker": "Speaker 4", "speaker_id": "v4", "text": "Hi there."},
            {"start": 2.0, "end": 3.0, "speaker": None, "speaker_id": None, "text": "Noise."},
        ],
        "speaker_turns": [
            {"start": 0.0, "end": 1.1, "speaker": "Speaker 17", "speaker_id": "v17"},
            {"start": 0.9, "end": 2.0, "speaker": "Speaker 4", "speaker_id": "v4"},
        ],
    }
    srt = exports.render("srt", recording)
    assert "Speaker 1: Hello." in srt and "Speaker 2: Hi there." in srt and "Speaker 17" not in srt
    assert "\nNoise.\n" in srt
    assert "<v Speaker 2>Hi there." in exports.render("vtt", recording)
    assert "[00:00:00] Speaker 1: Hello." in exports.render("txt", recording)
    rttm = [line.split()[7] for line in exports.render("rttm", recording).splitlines()]
    assert rttm == ["Speaker_1", "Speaker_2"]
    data = exports.render("json", recording)
    assert '"label": "Speaker 17"' in data and '"label_in_recording": "Speaker 1"' in data
    assert recording["segments"][0]["speaker"] == "Speaker 17"  # the caller's copy is left as it was
