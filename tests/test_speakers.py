"""Who spoke: diarization of a synthetic two-voice conversation, an enrolled voice named in a new recording,
a stable label for the other, exports that carry both, corrections that outlive re-diarization, and a
diarization failure that keeps the transcript."""

from __future__ import annotations

import io
import re

import numpy as np
import pytest

from app.store import jobs
from bench.corpus import Turn, conversation, synthesize, write_wav
from tests.helpers import enroll, speakers_by_turn, upload, wait_for_job

KAL, SLT, AWB = "flite:kal", "flite:slt", "flite:awb"


@pytest.fixture(scope="module")
def kal_enrolled(client_module, alice, tmp_path_factory):
    return enroll(client_module, alice["auth"], "Kal", KAL, tmp_path_factory.mktemp("enroll"))


@pytest.fixture(scope="module")
def client_module(app):
    return app.test_client()


@pytest.fixture(scope="module")
def two_voices(client_module, workers, alice, kal_enrolled, tmp_path_factory):
    path = tmp_path_factory.mktemp("conv") / "two.wav"
    turns = conversation(
        [
            Turn(v, t)
            for v, t in [
                (KAL, "I think the budget for the warehouse needs another look before we sign anything."),
                (SLT, "We could move the launch to March if the supplier confirms the new dates."),
                (KAL, "The customer interviews were clear that onboarding takes far too long."),
                (SLT, "Let us ask the finance team to send the updated numbers by Friday."),
                (KAL, "Hiring two more engineers would cut the backlog in half by the summer."),
                (SLT, "Our cloud costs went up again because nobody turned off the test servers."),
            ]
        ],
        path,
    )
    accepted = upload(client_module, path, alice["auth"], speakers="2").get_json()
    job = wait_for_job(client_module, accepted["job_id"], alice["auth"])
    assert job["state"] == "done" and job["warning"] is None, job
    return accepted["recording_id"], turns


def test_enrolled_voice_is_named_and_the_other_has_a_stable_label(client_module, alice, two_voices):
    recording_id, turns = two_voices
    recording = client_module.get(f"/api/v1/recordings/{recording_id}", headers=alice["auth"]).get_json()
    assert recording["diarized"] is True
    labels = speakers_by_turn(recording["segments"], turns)
    kal_labels = {label for label, t in zip(labels, turns, strict=True) if t.voice == KAL}
    slt_labels = {label for label, t in zip(labels, turns, strict=True) if t.voice == SLT}
    assert kal_labels == {"Kal"}
    assert len(slt_labels) == 1 and re.fullmatch(r"Speaker \d+", slt_labels.pop())
    # No segment spans two speakers' turns.
    for segment in recording["segments"]:
        touched = {
            t.voice for t in turns if min(segment["end"], t.end) - max(segment["start"], t.start) > 0.3
        }
        assert len(touched) <= 1, segment


def test_exports_carry_speakers_and_times(client_module, alice, two_voices):
    recording_id, _turns = two_voices
    base = f"/api/v1/recordings/{recording_id}/export?format="
    srt = client_module.get(base + "srt", headers=alice["auth"])
    assert srt.status_code == 200 and "attachment" in srt.headers["Content-Disposition"]
    text = srt.get_data(as_text=True)
    assert re.search(r"^1\n00:00:0\d,\d{3} --> 00:00:\d\d,\d{3}\n(Kal|Speaker \d+): ", text, re.M)
    assert "Kal: " in text and re.search(r"Speaker \d+: ", text)
    vtt = client_module.get(base + "vtt", headers=alice["auth"]).get_data(as_text=True)
    assert vtt.startswith("WEBVTT") and "<v Kal>" in vtt and re.search(r"<v Speaker \d+>", vtt)
    assert re.search(r"\d\d:\d\d:\d\d\.\d{3} --> ", vtt)
    data = client_module.get(base + "json", headers=alice["auth"]).get_json()
    assert {s["speaker"] for s in data["segments"]} >= {"Kal"} and len(
        {s["speaker"] for s in data["segments"]}
    ) == 2
    txt = client_module.get(base + "txt", headers=alice["auth"]).get_data(as_text=True)
    assert re.search(r"^\[00:00:0\d\] Kal: ", txt, re.M)
    rttm = client_module.get(base + "rttm", headers=alice["auth"]).get_data(as_text=True).splitlines()
    assert rttm and all(
        re.fullmatch(rf"SPEAKER {recording_id} 1 \d+\.\d{{3}} \d+\.\d{{3}} <NA> <NA> \S+ <NA> <NA>", line)
        for line in rttm
    ), rttm
    # Exports name speakers as this meeting does ("Speaker 1" of it); the JSON maps that to the identity.
    here = {s["id"]: s["label_in_recording"] for s in data["speakers"]}
    assert {line.split()[7] for line in rttm} == {
        here[s["speaker_id"]].replace(" ", "_") for s in data["segments"]
    }
    assert "Speaker 1: " in text and "<v Speaker 1>" in vtt and set(here.values()) == {"Kal", "Speaker 1"}
    bad = client_module.get(base + "docx", headers=alice["auth"])
    assert bad.status_code == 400 and bad.get_json()["error"]["code"] == "bad_field"
    assert bad.get_json()["error"]["message"].startswith("format:")


def test_naming_a_speaker_teaches_the_profile(client_module, alice, two_voices, tmp_path):
    recording_id, turns = two_voices
    recording = client_module.get(f"/api/v1/recordings/{recording_id}", headers=alice["auth"]).get_json()
    other = next(s for s in recording["segments"] if s["speaker"] != "Kal")
    url = f"/api/v1/recordings/{recording_id}/speakers/{other['speaker_id']}"
    assert client_module.patch(url, json={"name": ""}, headers=alice["auth"]).status_code == 400
    assert client_module.patch(url, json={"name": "x" * 101}, headers=alice["auth"]).status_code == 400
    renamed = client_module.patch(url, json={"name": "Sally"}, headers=alice["auth"])
    assert renamed.status_code == 200, renamed.get_json()
    recording = client_module.get(f"/api/v1/recordings/{recording_id}", headers=alice["auth"]).get_json()
    assert set(speakers_by_turn(recording["segments"], turns)) == {"Kal", "Sally"}

    # A new recording with Sally and an unknown voice: Sally is recognised, the stranger is not.
    path = tmp_path / "second.wav"
    second = conversation(
        [
            Turn(v, t)
            for v, t in [
                (AWB, "Can we agree to meet again on Tuesday morning with the final plan?"),
                (SLT, "The pilot in Berlin went well, and the partners want to extend it."),
                (AWB, "Before we decide, we should hear what the legal team has to say."),
                (SLT, "Sarah said the deadline for the report is the end of the month."),
            ]
        ],
        path,
        seed=3,
    )
    accepted = upload(client_module, path, alice["auth"], max_speakers="3").get_json()
    assert wait_for_job(client_module, accepted["job_id"], alice["auth"])["state"] == "done"
    segments = client_module.get(
        f"/api/v1/recordings/{accepted['recording_id']}", headers=alice["auth"]
    ).get_json()["segments"]
    labels = speakers_by_turn(segments, second)
    assert [label for label, t in zip(labels, second, strict=True) if t.voice == SLT] == ["Sally", "Sally"]
    stranger = {label for label, t in zip(labels, second, strict=True) if t.voice == AWB}
    assert len(stranger) == 1 and stranger.pop() not in ("Sally", "Kal")


def test_an_unnamed_voice_keeps_one_label_across_recordings(client_module, alice, two_voices, tmp_path):
    """Two recordings with the same stranger: both call them by the same "Speaker N"."""
    labels = []
    for n, lines in enumerate(
        [
            [
                "The parcel for the Dublin office was sent back again this morning.",
                "Then we should call the courier.",
            ],
            [
                "I checked the invoices and two of them are still unpaid.",
                "Send me the list after lunch please.",
            ],
        ]
    ):
        path = tmp_path / f"stranger-{n}.wav"
        turns = conversation([Turn("flite:rms", lines[0]), Turn(KAL, lines[1])], path, seed=n)
        accepted = upload(client_module, path, alice["auth"], speakers="2").get_json()
        assert wait_for_job(client_module, accepted["job_id"], alice["auth"])["state"] == "done"
        segments = client_module.get(
            f"/api/v1/recordings/{accepted['recording_id']}", headers=alice["auth"]
        ).get_json()["segments"]
        by_turn = speakers_by_turn(segments, turns)
        assert by_turn[1] == "Kal"
        labels.append(by_turn[0])
    assert labels[0] == labels[1] and re.fullmatch(r"Speaker \d+", labels[0]), labels


def test_corrections_survive_rediarization(client_module, alice, bob, two_voices):
    recording_id, _turns = two_voices
    segments = client_module.get(f"/api/v1/recordings/{recording_id}", headers=alice["auth"]).get_json()[
        "segments"
    ]
    first, second = segments[0], segments[1]
    edited = client_module.patch(
        f"/api/v1/segments/{first['id']}", json={"text": "Corrected words here."}, headers=alice["auth"]
    )
    assert edited.status_code == 200 and edited.get_json()["text"] == "Corrected words here."
    moved = client_module.patch(
        f"/api/v1/segments/{second['id']}", json={"speaker": "Guest"}, headers=alice["auth"]
    )
    assert moved.status_code == 200 and moved.get_json()["speaker"] == "Guest"
    # Another user's segment is not there for bob; bad corrections change nothing.
    assert (
        client_module.patch(
            f"/api/v1/segments/{first['id']}", json={"text": "mine now"}, headers=bob["auth"]
        ).status_code
        == 404
    )
    for bad in ({}, {"text": ""}, {"text": "x" * 6000}, {"speaker": ""}, {"speaker_id": "nope"}):
        assert client_module.patch(
            f"/api/v1/segments/{first['id']}", json=bad, headers=alice["auth"]
        ).status_code in (400, 404)

    job = client_module.post(
        f"/api/v1/recordings/{recording_id}/diarize", json={"speakers": 2}, headers=alice["auth"]
    )
    assert job.status_code == 202, job.get_json()
    assert wait_for_job(client_module, job.get_json()["job_id"], alice["auth"])["state"] == "done"
    after = {
        s["id"]: s
        for s in client_module.get(f"/api/v1/recordings/{recording_id}", headers=alice["auth"]).get_json()[
            "segments"
        ]
    }
    assert after[first["id"]]["text"] == "Corrected words here." and after[first["id"]]["edited"]
    assert after[second["id"]]["speaker"] == "Guest"


def test_enrollment_bad_input(client_module, alice, tmp_path):
    silence = tmp_path / "silence.wav"
    write_wav(np.zeros(48000, dtype=np.float32), silence)
    short = tmp_path / "short.wav"
    write_wav(synthesize(KAL, "Hi."), short)

    def post(data):
        return client_module.post(
            "/api/v1/speakers", data=data, headers=alice["auth"], content_type="multipart/form-data"
        )

    before = client_module.get("/api/v1/speakers", headers=alice["auth"]).get_json()["speakers"]
    response = post({"name": "Quiet", "audio": (io.BytesIO(silence.read_bytes()), "silence.wav")})
    assert response.status_code == 422 and response.get_json()["error"]["code"] == "silent_sample"
    response = post({"name": "Brief", "audio": (io.BytesIO(short.read_bytes()), "short.wav")})
    assert response.status_code == 422 and response.get_json()["error"]["code"] == "sample_too_short"
    assert post({"name": "", "audio": (io.BytesIO(short.read_bytes()), "a.wav")}).status_code == 400
    assert post({"name": "Kal", "audio": (io.BytesIO(short.read_bytes()), "a.wav")}).status_code == 409
    assert post({"name": "Nobody"}).status_code == 400
    assert client_module.get("/api/v1/speakers", headers=alice["auth"]).get_json()["speakers"] == before


def test_speaker_profiles_rename_and_delete(client_module, alice, bob, kal_enrolled):
    speaker_id = kal_enrolled["speaker_id"]
    assert client_module.get(f"/api/v1/speakers/{speaker_id}", headers=bob["auth"]).status_code == 404
    assert (
        client_module.patch(
            f"/api/v1/speakers/{speaker_id}", json={"name": "  "}, headers=alice["auth"]
        ).status_code
        == 400
    )
    listed = client_module.get("/api/v1/speakers?enrolled=1", headers=alice["auth"]).get_json()["speakers"]
    assert "Kal" in {s["name"] for s in listed}
    assert next(s for s in listed if s["name"] == "Kal")["samples"] == 2


def test_failed_diarization_keeps_the_transcript(environment, client_module, alice, two_voices):
    """A worker whose speaker model cannot load: the job still ends done, the transcript intact."""
    from app import create_app
    from app.config import Config
    from tasks.transcription import diarize_recording

    recording_id, _turns = two_voices
    config = Config()
    config.SPEAKER_MODEL = "/nonexistent/titanet.nemo"
    broken = create_app(config)
    before = client_module.get(f"/api/v1/recordings/{recording_id}", headers=alice["auth"]).get_json()[
        "segments"
    ]
    store = broken.extensions["nemo.store"]
    with store.tx() as tx:
        job = jobs.insert_job(tx, alice["id"], recording_id, "diarize", "diarization")
    with broken.app_context():
        diarize_recording.run(job["id"])
    # The transcript goes on to emotion and indexing in the CPU worker, warning kept.
    finished = wait_for_job(client_module, job["id"], alice["auth"])
    assert finished["state"] == "done" and "transcript is kept" in finished["warning"]
    recording = client_module.get(f"/api/v1/recordings/{recording_id}", headers=alice["auth"]).get_json()
    assert recording["diarized"] is False
    assert [s["text"] for s in recording["segments"]] == [s["text"] for s in before]


def test_the_pyannote_engine_names_the_same_people_and_keeps_corrections(client_module, alice, two_voices):
    """pyannote.audio's own pipeline (NEMO_DIARIZATION_ENGINE=pyannote) diarizes the conversation again,
    after the failure above left it undiarized: both people get the names their profiles hold (Kal
    enrolled, Sally named by a user), and the user's corrections of the earlier test stand."""
    from app import create_app
    from app.config import Config
    from tasks.transcription import diarize_recording

    recording_id, turns = two_voices
    config = Config()
    config.DIARIZATION_ENGINE = "pyannote"
    engine_app = create_app(config)
    with engine_app.extensions["nemo.store"].tx() as tx:
        job = jobs.insert_job(tx, alice["id"], recording_id, "diarize", "diarization")
    with engine_app.app_context():
        diarize_recording.run(job["id"])
    finished = wait_for_job(client_module, job["id"], alice["auth"])
    assert finished["state"] == "done" and finished["warning"] is None, finished
    recording = client_module.get(f"/api/v1/recordings/{recording_id}", headers=alice["auth"]).get_json()
    assert recording["diarized"] is True
    segments = recording["segments"]
    assert any(s["text"] == "Corrected words here." for s in segments)
    assert any(s["speaker"] == "Guest" for s in segments)
    # The turns the corrected segments do not hold, by who the diarization says speaks most of each.
    free = [s for s in segments if s["speaker"] != "Guest" and not s["edited"]]
    held = [
        t
        for t in turns
        if sum(max(0.0, min(s["end"], t.end) - max(s["start"], t.start)) for s in free)
        > 0.5 * (t.end - t.start)
    ]
    assert len(held) >= 4, (turns, segments)
    labels = speakers_by_turn(free, held)
    kal_labels = {label for label, t in zip(labels, held, strict=True) if t.voice == KAL}
    slt_labels = {label for label, t in zip(labels, held, strict=True) if t.voice == SLT}
    # The other voice was named Sally by the naming test above: its profile holds here too.
    assert kal_labels == {"Kal"} and slt_labels == {"Sally"}, labels
    talking = {t["speaker"] for t in recording["speaker_turns"]}
    assert "Kal" in talking and len(talking) == 2, recording["speaker_turns"]
