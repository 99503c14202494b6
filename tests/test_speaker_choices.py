"""Choosing who spoke without making a second person: a label picks the existing speaker, more samples
join an existing voice, two speakers merge on purpose; and the summary that follows such a change, with
the action items a person would write. Real workers, store and models."""

from __future__ import annotations

import io
import time

import pytest

from bench.corpus import Turn, conversation, synthesize, write_wav
from tests.conftest import _make_user
from tests.helpers import enroll, speakers_by_turn, upload, wait_for_job

KAL, SLT, AWB = "flite:kal", "flite:slt", "flite:awb"
MEETING = [
    (KAL, "Thanks for coming. We need the launch plan ready before the board meeting."),
    (SLT, "I will write the press release by Friday."),
    (KAL, "Sarah, can you book the venue for the party?"),
    (AWB, "Yes, I will book it tomorrow morning."),
    (KAL, "And I will send the budget to the finance team on Monday."),
    (SLT, "I will write the press release by Friday."),
]


@pytest.fixture(scope="module")
def carol(store):
    return _make_user(store, "carol")


@pytest.fixture(scope="module")
def meeting(client_module, workers, carol, tmp_path_factory):
    path = tmp_path_factory.mktemp("meeting") / "meeting.wav"
    turns = conversation([Turn(v, t) for v, t in MEETING], path, seed=11)
    accepted = upload(client_module, path, carol["auth"], speakers="3").get_json()
    assert wait_for_job(client_module, accepted["job_id"], carol["auth"])["state"] == "done"
    return accepted["recording_id"], turns


def _recording(client, user, recording_id):
    return client.get(f"/api/v1/recordings/{recording_id}", headers=user["auth"]).get_json()


def _speakers(client, user):
    return client.get("/api/v1/speakers", headers=user["auth"]).get_json()["speakers"]


def _summary_after(client, user, recording_id, since_state=None, timeout=240):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        recording = _recording(client, user, recording_id)
        if recording["summary_state"] in ("done", "failed") and recording["summary_state"] != since_state:
            return recording
        time.sleep(1)
    raise AssertionError(f"no summary in {timeout} s: {recording['summary_state']}")


def test_the_summary_lists_each_task_once_with_owner_and_due_date(client_module, carol, meeting):
    recording_id, turns = meeting
    recording = _summary_after(client_module, carol, recording_id)
    assert recording["summary_state"] == "done" and recording["summary"]
    items = recording["action_items"]
    labels = speakers_by_turn(recording["segments"], turns)
    slt, kal = labels[1], labels[0]
    assert len(items) == 3, items  # the press release is said twice and listed once
    press, venue, budget = items
    assert press.startswith(f"{slt}: write the press release") and "friday" in press.lower(), items
    assert venue.startswith("Sarah: book the venue") and "tomorrow morning" in venue.lower(), items
    assert budget.startswith(f"{kal}: send the budget") and "monday" in budget.lower(), items


def test_renaming_a_speaker_rewrites_the_summary(client_module, carol, meeting):
    recording_id, turns = meeting
    recording = _summary_after(client_module, carol, recording_id)
    slt_label = speakers_by_turn(recording["segments"], turns)[1]
    slt_id = next(s["speaker_id"] for s in recording["segments"] if s["speaker"] == slt_label)
    renamed = client_module.patch(
        f"/api/v1/recordings/{recording_id}/speakers/{slt_id}", json={"name": "Robin"}, headers=carol["auth"]
    )
    assert renamed.status_code == 200, renamed.get_json()
    assert _recording(client_module, carol, recording_id)["summary_state"] == "pending"
    rewritten = _summary_after(client_module, carol, recording_id, since_state="pending")
    assert rewritten["action_items"][0].startswith("Robin: write the press release"), rewritten[
        "action_items"
    ]
    assert not any(item.startswith(slt_label + ":") for item in rewritten["action_items"])
    # Asked for by hand: accepted, and written again.
    asked = client_module.post(f"/api/v1/recordings/{recording_id}/summary", headers=carol["auth"])
    assert asked.status_code == 202 and asked.get_json()["summary_state"] == "pending"
    assert (
        _summary_after(client_module, carol, recording_id, since_state="pending")["summary_state"] == "done"
    )


def test_a_label_picks_the_existing_speaker_never_a_second_one(client_module, carol, bob, meeting):
    recording_id, turns = meeting
    recording = _recording(client_module, carol, recording_id)
    labels = speakers_by_turn(recording["segments"], turns)
    kal_label = labels[0]
    unnamed = sorted({s["speaker"] for s in recording["segments"] if s["speaker"].startswith("Speaker ")})
    assert kal_label in unnamed
    line = next(s for s in recording["segments"] if s["speaker"] != kal_label)
    before = _speakers(client_module, carol)

    # "Speaker N" as the list shows it, in any case: that speaker, not a new one named "Speaker N".
    moved = client_module.patch(
        f"/api/v1/segments/{line['id']}", json={"speaker": kal_label.lower()}, headers=carol["auth"]
    )
    assert moved.status_code == 200, moved.get_json()
    kal_id = next(s["speaker_id"] for s in recording["segments"] if s["speaker"] == kal_label)
    assert moved.get_json()["speaker_id"] == kal_id and moved.get_json()["speaker"] == kal_label
    after = _speakers(client_module, carol)
    assert [s["label"] for s in after].count(kal_label) == 1
    assert {s["id"] for s in after} <= {s["id"] for s in before}

    # A label nobody has, or a person named like a label: refused, nothing changes.
    for url, body in (
        (f"/api/v1/segments/{line['id']}", {"speaker": "Speaker 999"}),
        (f"/api/v1/speakers/{kal_id}", {"name": "Speaker 7"}),
        (f"/api/v1/recordings/{recording_id}/speakers/{kal_id}", {"name": "Speaker 998"}),
    ):
        response = client_module.patch(url, json=body, headers=carol["auth"])
        assert response.status_code == 400, (url, response.get_json())
    assert [s["label"] for s in _speakers(client_module, carol)] == [s["label"] for s in after]
    # Another user's speaker is not there for bob.
    assert (
        client_module.patch(
            f"/api/v1/segments/{line['id']}", json={"speaker_id": kal_id}, headers=bob["auth"]
        ).status_code
        == 404
    )


def test_unnamed_speakers_are_numbered_in_each_recording_and_find_its_recordings(
    client_module, carol, bob, meeting
):
    """The recording calls its unnamed speakers "Speaker 1, 2" in the order they first speak (its page
    and exports), each linked to the identity search knows; the list says who speaks in each recording
    and finds the recordings of one speaker."""
    recording_id, turns = meeting
    recording = _recording(client_module, carol, recording_id)
    speakers = recording["speakers"]
    # In the order diarization first heard them (its turns: a corrected line does not renumber them).
    first_heard = {}
    for turn in sorted(recording["speaker_turns"], key=lambda t: t["start"]):
        first_heard.setdefault(turn["speaker_id"], turn["start"])
    assert [s["id"] for s in speakers] == sorted(first_heard, key=first_heard.get)
    unnamed = [s["label_in_recording"] for s in speakers if s["name"] is None]
    assert unnamed == [f"Speaker {n}" for n in range(1, len(unnamed) + 1)] and unnamed
    assert all(s["label_in_recording"] == s["name"] for s in speakers if s["name"])
    global_labels = {v["id"]: v["label"] for v in _speakers(client_module, carol)}
    assert all(s["label"] == global_labels[s["id"]] for s in speakers)
    kal_id = speakers[0]["id"]  # Kal opens the meeting
    assert speakers_by_turn(recording["segments"], turns)[0] == speakers[0]["label"]

    def listed(user, **query):
        response = client_module.get("/api/v1/recordings", query_string=query, headers=user["auth"])
        assert response.status_code == 200, response.get_json()
        return response.get_json()["recordings"]

    entry = next(r for r in listed(carol) if r["id"] == recording_id)
    assert [s["id"] for s in entry["speakers"]] == [s["id"] for s in speakers]
    assert [r["id"] for r in listed(carol, speaker_id=kal_id)] == [recording_id]
    assert listed(bob, speaker_id=kal_id) == []  # carol's speaker finds nothing of bob's, says nothing
    assert listed(carol, speaker_id="no-such-speaker") == []


def test_samples_join_an_existing_voice_and_two_speakers_merge(client_module, carol, bob, meeting, tmp_path):
    kal = enroll(client_module, carol["auth"], "Kalvin", KAL, tmp_path)
    sample = tmp_path / "more.wav"
    write_wav(synthesize(KAL, "Here is one more sample of my voice, long enough to be useful."), sample)

    def post_sample(speaker_id, user=carol):
        return client_module.post(
            f"/api/v1/speakers/{speaker_id}/samples",
            data={"audio": (io.BytesIO(sample.read_bytes()), "more.wav")},
            headers=user["auth"],
            content_type="multipart/form-data",
        )

    # Enrolling the same name again says how to add samples instead.
    again = client_module.post(
        "/api/v1/speakers",
        data={"name": "Kalvin", "audio": (io.BytesIO(sample.read_bytes()), "more.wav")},
        headers=carol["auth"],
        content_type="multipart/form-data",
    )
    assert again.status_code == 409 and "/samples" in again.get_json()["error"]["message"]
    added = post_sample(kal["speaker_id"])
    assert added.status_code == 202, added.get_json()
    assert wait_for_job(client_module, added.get_json()["job_id"], carol["auth"])["state"] == "done"
    profile = client_module.get(f"/api/v1/speakers/{kal['speaker_id']}", headers=carol["auth"]).get_json()
    assert profile["samples"] == 3
    assert post_sample(kal["speaker_id"], user=bob).status_code == 404

    # The same person enrolled twice: merged into one, with every sample.
    twin = enroll(client_module, carol["auth"], "Kal Twin", KAL, tmp_path)
    url = f"/api/v1/speakers/{twin['speaker_id']}/merge"
    assert (
        client_module.post(url, json={"into": twin["speaker_id"]}, headers=carol["auth"]).status_code == 400
    )
    assert client_module.post(url, json={"into": kal["speaker_id"]}, headers=bob["auth"]).status_code == 404
    merged = client_module.post(url, json={"into": kal["speaker_id"]}, headers=carol["auth"])
    assert merged.status_code == 200, merged.get_json()
    assert merged.get_json()["id"] == kal["speaker_id"] and merged.get_json()["samples"] == 5
    names = [s["label"] for s in _speakers(client_module, carol)]
    assert "Kal Twin" not in names and names.count("Kalvin") == 1
    assert (
        client_module.get(f"/api/v1/speakers/{twin['speaker_id']}", headers=carol["auth"]).status_code == 404
    )

    # Each sample can be heard, as uploaded, with byte ranges; nobody else can hear it.
    listed = client_module.get(f"/api/v1/speakers/{kal['speaker_id']}/samples", headers=carol["auth"])
    assert listed.status_code == 200, listed.get_json()
    samples = listed.get_json()["samples"]
    assert len(samples) == 5 and all(s["seconds"] > 1.5 for s in samples)
    uploaded = sample.read_bytes()
    heard = [client_module.get(s["audio"], headers=carol["auth"]) for s in samples]
    assert all(h.status_code == 200 and h.mimetype == "audio/wav" for h in heard)
    assert sum(h.get_data() == uploaded for h in heard) == 1  # "more.wav", byte for byte
    part = client_module.get(samples[0]["audio"], headers={**carol["auth"], "Range": "bytes=4-11"})
    assert part.status_code == 206 and part.get_data() == heard[0].get_data()[4:12]
    assert client_module.get(samples[0]["audio"], headers=bob["auth"]).status_code == 404
    assert (
        client_module.get(f"/api/v1/speakers/{kal['speaker_id']}/samples", headers=bob["auth"]).status_code
        == 404
    )
    missing = f"/api/v1/speakers/{kal['speaker_id']}/samples/{'0' * 32}/audio"
    assert client_module.get(missing, headers=carol["auth"]).status_code == 404

    # The meeting's unnamed speaker is Kalvin after all: merged, the unnamed one takes the name (never
    # lost to the merge) and the meeting's lines are Kalvin's.
    recording_id, _turns = meeting
    unnamed_kal = _recording(client_module, carol, recording_id)["speakers"][0]
    assert unnamed_kal["name"] is None
    merged = client_module.post(
        f"/api/v1/speakers/{kal['speaker_id']}/merge", json={"into": unnamed_kal["id"]}, headers=carol["auth"]
    )
    assert merged.status_code == 200, merged.get_json()
    assert merged.get_json()["name"] == "Kalvin" and merged.get_json()["samples"] == 5
    after = _recording(client_module, carol, recording_id)["speakers"][0]
    assert after["id"] == unnamed_kal["id"] and after["label_in_recording"] == "Kalvin"
    enrolling = [
        j
        for j in client_module.get("/api/v1/jobs", headers=carol["auth"]).get_json()["jobs"]
        if j["kind"] == "enroll" and j["speaker_id"] == unnamed_kal["id"]
    ]
    assert enrolling and wait_for_job(client_module, enrolling[0]["id"], carol["auth"])["state"] == "done"
