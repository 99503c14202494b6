"""Priorities on the shared GPU worker, end to end: a chat question asked while a twelve-minute recording is
transcribed is answered before the chunks still to go, and the recording then completes with every chunk
once. Apart from tests/test_chat.py because it needs none of that file's module-wide memory: it uploads its
own long recording for a user of its own. Runs on both store backends (NEMO_TEST_STORE)."""

from __future__ import annotations

import time

import requests

from app.client import parse_sse
from tests.conftest import _make_user
from tests.helpers import ask, follow, spoken_lines, upload, wait_for_job


def _chunk_events(url: str, user: dict, job_id: str) -> list[tuple[str, dict]]:
    with requests.get(
        f"{url}/api/v1/jobs/{job_id}/events", headers=user["auth"], stream=True, timeout=600
    ) as r:
        events = list(parse_sse(r.iter_lines(decode_unicode=True)))
    return [(i, d) for i, e, d in events if e == "progress" and "transcribed" in (d.get("message") or "")]


def _ms(event_id: str) -> int:
    return int(event_id.split("-")[0])


def test_a_question_jumps_ahead_of_a_long_transcription(live_server, client_module, workers, store, tmp_path):
    """While a long recording is transcribed chunk by chunk, a chat question is answered after at most the
    chunk that was running when it came, before the remaining ones; then the recording completes with
    every chunk transcribed once."""
    user = _make_user(store, f"erin-{time.monotonic_ns()}")
    path = tmp_path / "long.wav"
    lines = [
        "The committee reviewed the harbour expansion plan in detail.",
        "Funding for the new bridge was approved by a narrow vote.",
        "Residents asked for more buses on the northern routes.",
    ]
    spoken_lines("flite:kal", lines, path, repeat=40)  # about twelve minutes: two dozen chunks
    response = upload(client_module, path, user["auth"], title="Council")
    assert response.status_code == 202, response.get_json()
    job = response.get_json()
    # Wait until transcription is under way, with chunks still to go.
    seen: list[str] = []
    with requests.get(
        f"{live_server}/api/v1/jobs/{job['job_id']}/events", headers=user["auth"], stream=True, timeout=300
    ) as r:
        for event_id, event, data in parse_sse(r.iter_lines(decode_unicode=True)):
            if event == "progress" and "transcribed" in (data.get("message") or ""):
                seen.append(event_id)
                break
    chat = ask(live_server, user, "Say hello in five words.", use_memory=False, max_tokens=16)
    answer = follow(live_server, user, chat["chat_id"])
    assert answer[-1][1] == "done"
    answered_at = _ms(answer[-1][0])
    finished = wait_for_job(client_module, job["job_id"], user["auth"], timeout=600)
    assert finished["state"] == "done", finished
    chunk_events = _chunk_events(live_server, user, job["job_id"])
    before = [i for i, _d in chunk_events if _ms(i) <= answered_at]
    after = [i for i, _d in chunk_events if _ms(i) > answered_at]
    # At most the batch that was running when the question came finished in between; the rest waited.
    assert len(before) - len(seen) <= 1, (len(before), len(seen), len(after))
    assert len(after) >= 2, (len(before), len(after))
    # No chunk lost or doubled: every planned chunk done, each has speech, and no two segments overlap.
    rec = job["recording_id"]
    with store.tx() as tx:
        planned = tx.all("SELECT idx, done FROM chunks WHERE recording_id = ? ORDER BY idx", (rec,))
        segments = tx.all(
            "SELECT chunk_index, start_s, end_s, text FROM segments WHERE recording_id = ? ORDER BY start_s",
            (rec,),
        )
    assert len(planned) >= 12 and all(c["done"] for c in planned)
    assert {s["chunk_index"] for s in segments} == {c["idx"] for c in planned}
    for earlier, later in zip(segments, segments[1:], strict=False):
        assert later["start_s"] >= earlier["end_s"] - 0.5, (earlier, later)
    text = " ".join(s["text"] for s in segments).lower()
    assert 30 <= text.count("bridge") <= 41, text.count("bridge")
