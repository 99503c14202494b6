"""A request's id, from the web into every worker that works on what it asked for, in the logs of each;
and the JSON log lines that carry it."""

from __future__ import annotations

import json
import logging
import re
import secrets

import requests

from app import request_ids
from app.log_format import JsonLines, RequestContext
from tests.helpers import synthesize


def test_the_request_id_reaches_every_worker_the_upload_goes_through(live_server, workers, bob, tmp_path):
    rid = f"upload-{secrets.token_hex(6)}"
    path = synthesize(
        "Request tracing makes every upload easy to follow through the workers.", tmp_path / "traced.wav"
    )
    with path.open("rb") as audio:
        accepted = requests.post(
            f"{live_server}/api/v1/recordings",
            files={"audio": audio},
            headers={**bob["auth"], "X-Request-ID": rid},
            timeout=60,
        )
    assert accepted.status_code == 202 and accepted.headers["X-Request-ID"] == rid
    job_id = accepted.json()["job_id"]
    with requests.get(
        f"{live_server}/api/v1/jobs/{job_id}/events", headers=bob["auth"], stream=True, timeout=300
    ) as events:
        for line in events.iter_lines(decode_unicode=True):
            if line.startswith("event: ") and line[7:] in ("done", "failed", "cancelled"):
                assert line == "event: done"
                break
    # The audio stage runs on the CPU worker, transcription on the GPU worker, and each stage's task was
    # sent by the one before it: every one of them logs under the upload's id.
    for kind in ("cpu", "gpu"):
        text = (workers["logs"] / f"{kind}.log").read_text()
        stages = [line for line in text.splitlines() if f"job {job_id}:" in line]
        assert stages, kind
        assert all(f"[{rid}]" in line for line in stages), stages


def test_an_id_is_made_when_none_or_a_bad_one_is_given(live_server):
    made = requests.get(f"{live_server}/api/v1/health", timeout=30).headers["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", made)
    forged = "a" * 65
    replaced = requests.get(f"{live_server}/api/v1/health", headers={"X-Request-ID": forged}, timeout=30)
    assert re.fullmatch(r"[0-9a-f]{32}", replaced.headers["X-Request-ID"])


def test_json_lines_carry_the_request_id_and_the_error():
    record = logging.LogRecord("tasks.pipeline", logging.ERROR, __file__, 1, "job %s failed", ("j1",), None)
    try:
        raise RuntimeError("disk on fire")
    except RuntimeError:
        import sys

        record.exc_info = sys.exc_info()
    token = request_ids.current.set("req-42")
    try:
        RequestContext().filter(record)
    finally:
        request_ids.current.reset(token)
    line = json.loads(JsonLines().format(record))
    assert line["request_id"] == "req-42" and line["level"] == "ERROR" and line["message"] == "job j1 failed"
    assert "disk on fire" in line["exception"] and "task_id" not in line
