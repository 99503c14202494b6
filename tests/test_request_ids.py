"""A request's id, from the web into every worker that works on what it asked for, in the logs of each;
and the JSON log lines that carry it."""

from __future__ import annotations

import json
import logging
import re
import secrets

import requests

import celeryconfig
from app import request_ids
from app.log_format import JsonLines, RequestContext
from tests.helpers import synthesize, upload_over_http


def test_the_request_id_reaches_every_worker_the_upload_goes_through(live_server, workers, bob, tmp_path):
    rid = f"upload-{secrets.token_hex(6)}"
    path = synthesize(
        "Request tracing makes every upload easy to follow through the workers.", tmp_path / "traced.wav"
    )
    accepted, state = upload_over_http(live_server, bob, path, {"X-Request-ID": rid})
    assert state == "done" and accepted.headers["X-Request-ID"] == rid
    job_id = accepted.json()["job_id"]
    # The audio stage runs on the CPU worker, transcription on the GPU worker, and each stage's task was
    # sent by the one before it: every one of them logs under the upload's id. (A worker restarted by an
    # earlier test logs to a file of its own in the same folder.)
    text = "".join(path.read_text(errors="replace") for path in workers["logs"].glob("*.log"))
    stages = [line for line in text.splitlines() if f"job {job_id}:" in line]
    ran = {task for task in (celeryconfig.PREPARE_TASK, celeryconfig.CHUNKS_TASK, celeryconfig.DIARIZE_TASK)
           if any(line.endswith(f"job {job_id}: {task}") for line in stages)}  # fmt: skip
    assert ran == {celeryconfig.PREPARE_TASK, celeryconfig.CHUNKS_TASK, celeryconfig.DIARIZE_TASK}, stages
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
