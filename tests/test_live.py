"""Live streams, end to end: numbered chunks of a few seconds posted out of order, partial transcripts over
SSE from the GPU worker, every kind of bad chunk refused without a trace, and a closed stream turned into a
recording that goes through the whole pipeline and is found by search."""

from __future__ import annotations

import time

import pytest
import requests

from app.client import parse_sse
from bench.corpus import utterance_wav
from tests.conftest import _make_user
from tests.helpers import wait_for_job

PHRASES = [
    "Buy more coffee beans.",
    "Call the dentist tomorrow.",
    "Water the tomato plants.",
]


def chunk_wav(text: str, seconds: float = 2.0) -> bytes:
    return utterance_wav("flite:slt", text, seconds)


def post_chunk(url: str, user: dict, stream_id: str, seq, audio: bytes, name: str = "chunk.wav"):
    return requests.post(
        f"{url}/api/v1/streams/{stream_id}/chunks",
        data={"seq": str(seq)},
        files={"audio": (name, audio)},
        headers=user["auth"],
        timeout=30,
    )


@pytest.fixture(scope="module")
def chunks() -> list[bytes]:
    return [chunk_wav(p) for p in PHRASES]


def test_a_live_stream_becomes_a_searchable_recording(live_server, workers, store, chunks, bob):
    user = _make_user(store, f"frank-{time.monotonic_ns()}")
    opened = requests.post(
        f"{live_server}/api/v1/streams", json={"title": "Glasses"}, headers=user["auth"], timeout=10
    )
    assert opened.status_code == 201, opened.text
    stream_id = opened.json()["stream_id"]
    # Out of order: 0, 2, then 1.
    for seq in (0, 2, 1):
        response = post_chunk(live_server, user, stream_id, seq, chunks[seq])
        assert response.status_code == 202, response.text
    # A repeat of the same audio is fine and changes nothing; other audio under a used number is refused.
    repeat = post_chunk(live_server, user, stream_id, 1, chunks[1])
    assert repeat.status_code == 200 and repeat.json()["duplicate"] is True
    conflict = post_chunk(live_server, user, stream_id, 1, chunks[2])
    assert conflict.status_code == 409 and conflict.json()["error"]["code"] == "seq_conflict"
    # Not audio, too long, no seq, bad seq, someone else's stream: refused.
    bad = [
        (post_chunk(live_server, user, stream_id, 3, b"this is not audio at all" * 20, "x.wav"), 415),
        (post_chunk(live_server, user, stream_id, 3, chunk_wav(PHRASES[0], 7.0)), 422),
        (post_chunk(live_server, user, stream_id, 3, chunk_wav(PHRASES[0], 0.4)), 422),
        (post_chunk(live_server, user, stream_id, "-1", chunks[0]), 400),
        (post_chunk(live_server, user, stream_id, "three", chunks[0]), 400),
        (post_chunk(live_server, bob, stream_id, 3, chunks[0]), 404),
    ]
    for response, status in bad:
        assert response.status_code == status, response.text
        assert response.json()["error"]["message"]
    # Partial transcripts, one per chunk, each with its words.
    partials = {}
    with requests.get(
        f"{live_server}/api/v1/streams/{stream_id}/events", headers=user["auth"], stream=True, timeout=120
    ) as response:
        for _id, event, data in parse_sse(response.iter_lines(decode_unicode=True)):
            if event == "partial":
                partials[data["seq"]] = data
            if len(partials) == 3:
                break
    assert sorted(partials) == [0, 1, 2]
    for seq, word in ((0, "coffee"), (1, "dentist"), (2, "tomato")):
        assert word in partials[seq]["text"].lower(), partials[seq]
    assert partials[2]["start"] == pytest.approx(4.0, abs=0.05)
    state = requests.get(f"{live_server}/api/v1/streams/{stream_id}", headers=user["auth"], timeout=10).json()
    assert [c["seq"] for c in state["chunks"]] == [0, 1, 2]
    # Close: the chunks, in order, become a recording that goes through the pipeline.
    closed = requests.post(
        f"{live_server}/api/v1/streams/{stream_id}/close", headers=user["auth"], timeout=60
    )
    assert closed.status_code == 200, closed.text
    body = closed.json()
    assert body["state"] == "closed" and body["recording_id"] and body["job_id"]
    again = requests.post(f"{live_server}/api/v1/streams/{stream_id}/close", headers=user["auth"], timeout=60)
    assert again.json()["recording_id"] == body["recording_id"]
    late = post_chunk(live_server, user, stream_id, 3, chunks[0])
    assert late.status_code == 409 and late.json()["error"]["code"] == "stream_closed"
    with store.tx() as tx:
        assert tx.one("SELECT count(*) AS n FROM live_chunks WHERE stream_id = ?", (stream_id,))["n"] == 3
        assert tx.one("SELECT count(*) AS n FROM recordings WHERE user_id = ?", (user["id"],))["n"] == 1

    class Api:  # wait_for_job speaks the Flask test client's dialect
        def get(self, path, headers):
            response = requests.get(f"{live_server}{path}", headers=headers, timeout=10)
            response.get_json = response.json
            return response

    job = wait_for_job(Api(), body["job_id"], user["auth"], timeout=300)
    assert job["state"] == "done", job
    recording = requests.get(
        f"{live_server}/api/v1/recordings/{body['recording_id']}", headers=user["auth"], timeout=10
    ).json()
    text = " ".join(s["text"] for s in recording["segments"]).lower()
    assert text.index("coffee") < text.index("dentist") < text.index("tomato"), text
    assert recording["duration"] == pytest.approx(6.0, abs=0.05)
    found = requests.post(
        f"{live_server}/api/v1/search",
        json={"query": "we are running out of coffee", "top_k": 3},
        headers=user["auth"],
        timeout=30,
    ).json()
    assert found["results"][0]["recording_id"] == body["recording_id"]
    assert "coffee" in found["results"][0]["text"].lower()
    # bob sees none of it.
    assert (
        requests.get(f"{live_server}/api/v1/streams/{stream_id}", headers=bob["auth"], timeout=10).status_code
        == 404
    )
