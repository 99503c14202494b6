"""Deleting a recording takes it out of search: its words are no longer found and its vectors are gone.
Apart from tests/test_memory.py because it needs none of that file's module-wide memory (three recordings
processed by the real workers): it uploads and deletes a recording of its own, for a user of its own. Runs
on both store backends (NEMO_TEST_STORE)."""

from __future__ import annotations

import time

from tests.conftest import _make_user
from tests.helpers import search, spoken_lines, upload, vector_count, wait_for_job


def test_deleting_a_recording_removes_it_from_search(client_module, workers, store, tmp_path):
    user = _make_user(store, f"dave-{time.monotonic_ns()}")
    path = tmp_path / "garden.wav"
    spoken_lines("flite:rms", ["The tomatoes in the greenhouse need watering twice a day."], path)
    accepted = upload(client_module, path, user["auth"], title="Garden").get_json()
    assert wait_for_job(client_module, accepted["job_id"], user["auth"], timeout=300)["state"] == "done"
    assert (
        search(client_module, user, "watering the tomatoes")["results"][0]["recording_id"]
        == accepted["recording_id"]
    )
    assert (
        client_module.delete(
            f"/api/v1/recordings/{accepted['recording_id']}", headers=user["auth"]
        ).status_code
        == 204
    )
    assert search(client_module, user, "watering the tomatoes")["results"] == []
    assert vector_count(store, accepted["recording_id"]) == 0
