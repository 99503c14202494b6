"""`nemoctl up` (what `make up` runs): starts its own Redis when none answers, the workers, Flower behind
authentication and gunicorn; serves an upload end to end; Ctrl-C stops everything it started."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import redis
import requests

from tests.conftest import ROOT, free_port
from tests.helpers import SPOKEN, word_error_rate

NEMOCTL = str(Path(sys.executable).parent / "nemoctl")


def wait_until(check, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            value = check()
            if value:
                return value
        except (requests.RequestException, redis.RedisError):  # not up yet, or too busy starting to answer
            pass
        time.sleep(0.5)
    raise AssertionError(f"timed out waiting for {what}")


def test_up_runs_everything_and_stops_on_ctrl_c(environment, bob, speech_wav, tmp_path):
    web_port, flower_port, redis_port = free_port(), free_port(), free_port()
    redis_url = f"redis://127.0.0.1:{redis_port}/0"
    env = {
        **os.environ,
        "REDIS_URL": redis_url,
        "NEMO_PORT": str(web_port),
        "NEMO_FLOWER_PORT": str(flower_port),
        "NEMO_WEB_WORKERS": "1",
    }
    log = (tmp_path / "up.log").open("w")
    up = subprocess.Popen([NEMOCTL, "up"], env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{web_port}"
    try:
        health = wait_until(
            lambda: (
                (r := requests.get(f"{base}/api/v1/health", headers=bob["auth"], timeout=2)).status_code
                == 200
                and r.json()["status"] == "ok"
                and r.json()
            ),
            120,
            "the system to report healthy",
        )
        assert {w["hostname"].split("@")[0] for w in health["workers"]} == {"gpu", "cpu", "search"}
        assert redis.Redis.from_url(redis_url).ping()  # the launcher started this Redis itself
        printed = (tmp_path / "up.log").read_text()
        assert f"http://127.0.0.1:{web_port}/" in printed and "nemoctl user create" in printed
        password_file = Path(environment["NEMO_INSTANCE_DIR"]) / "secrets" / "flower_password"
        assert password_file.read_text() not in printed

        flower = f"http://127.0.0.1:{flower_port}/"
        wait_until(lambda: requests.get(flower, timeout=2).status_code == 401, 60, "Flower")
        assert requests.get(flower, auth=("admin", "wrong"), timeout=5).status_code == 401
        assert requests.get(flower, auth=("admin", password_file.read_text()), timeout=5).status_code == 200

        with speech_wav.open("rb") as handle:
            accepted = requests.post(
                f"{base}/api/v1/recordings", files={"audio": handle}, headers=bob["auth"], timeout=60
            ).json()
        job = wait_until(
            lambda: (
                (
                    j := requests.get(
                        f"{base}/api/v1/jobs/{accepted['job_id']}", headers=bob["auth"], timeout=5
                    ).json()
                )["state"]
                in ("done", "failed")
                and j
            ),
            120,
            "the job",
        )
        assert job["state"] == "done", job
        segments = requests.get(
            f"{base}/api/v1/recordings/{accepted['recording_id']}", headers=bob["auth"], timeout=5
        ).json()["segments"]
        assert word_error_rate(SPOKEN, " ".join(s["text"] for s in segments)) <= 0.25
    finally:
        up.send_signal(signal.SIGINT)
        code = up.wait(timeout=60)
    assert code == 0
    for port in (web_port, flower_port):
        try:
            requests.get(f"http://127.0.0.1:{port}/", timeout=1)
            raise AssertionError(f"port {port} still answers after Ctrl-C")
        except requests.ConnectionError:
            pass
    try:
        redis.Redis.from_url(redis_url, socket_connect_timeout=1).ping()
        raise AssertionError("the launcher's Redis still answers after Ctrl-C")
    except redis.ConnectionError:
        pass
