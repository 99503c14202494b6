"""`nemoctl up` (what `make up` runs): starts its own Redis when none answers, the workers, Flower behind
authentication and gunicorn; serves an upload end to end while each of its processes is killed with SIGKILL
and restarted (the job ends done, every chunk's segments exactly once, the web answering throughout);
Ctrl-C stops everything it started."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import redis
import requests

from tests.conftest import ROOT, free_port
from tests.faults import SENTENCES
from tests.helpers import children_of, chunk_state, synthesize, word_error_rate

NEMOCTL = str(Path(sys.executable).parent / "nemoctl")
# About three minutes of speech: several chunks, each its own ASR task (NEMO_ASR_BATCH=1 below), so the
# GPU worker can be killed between two of them.
TEXT = " ".join(f"Part {n}. {SENTENCES[n % 3]}" for n in range(1, 41))


class WebProbe(threading.Thread):
    """Asks /api/v1/health every 0.2 s and keeps the failures, with their time. A call may wait up to
    20 s (a new gunicorn booting on a loaded machine): late is answering, refused or cut is not."""

    def __init__(self, url: str, headers: dict) -> None:
        super().__init__(daemon=True)
        self.url, self.headers = url, headers
        self.failures: list[tuple[float, str]] = []
        self.answered = 0
        self.stopping = threading.Event()

    def run(self) -> None:
        while not self.stopping.is_set():
            try:
                status = requests.get(self.url, headers=self.headers, timeout=20).status_code
                if status == 200:
                    self.answered += 1
                else:
                    self.failures.append((time.monotonic(), str(status)))
            except requests.RequestException as exc:
                self.failures.append((time.monotonic(), type(exc).__name__))
            time.sleep(0.2)


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


def test_up_keeps_everything_running_and_stops_on_ctrl_c(environment, store, bob, tmp_path):
    web_port, flower_port, redis_port = free_port(), free_port(), free_port()
    redis_url = f"redis://127.0.0.1:{redis_port}/0"
    env = {
        **os.environ,
        "REDIS_URL": redis_url,
        "NEMO_PORT": str(web_port),
        "NEMO_FLOWER_PORT": str(flower_port),
        "NEMO_WEB_WORKERS": "1",
        "NEMO_ASR_BATCH": "1",
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
        # Its Prometheus counters too: Flower itself serves them to anyone.
        assert requests.get(f"{flower}metrics", timeout=5).status_code == 401
        assert requests.get(f"{flower}metrics", auth=("admin", "wrong"), timeout=5).status_code == 401
        metrics = requests.get(f"{flower}metrics", auth=("admin", password_file.read_text()), timeout=5)
        assert metrics.status_code == 200 and "flower_" in metrics.text

        wav = synthesize(TEXT, tmp_path / "long.wav")
        with wav.open("rb") as handle:
            accepted = requests.post(
                f"{base}/api/v1/recordings", files={"audio": handle}, headers=bob["auth"], timeout=60
            ).json()
        probe = WebProbe(f"{base}/api/v1/health", bob["auth"])
        probe.start()
        # The GPU worker dies between two chunks of the transcript.
        done, total = wait_until(
            lambda: (
                (state := chunk_state(store, accepted["recording_id"]))[1]
                and 1 <= state[0] < state[1]
                and state
            ),
            300,
            "the first chunk",
        )
        assert total >= 3, total
        first = children_of(up.pid)
        assert set(first) >= {"gpu-worker", "cpu-worker", "search-worker", "flower", "web"}, first
        for kind in ("gpu-worker", "cpu-worker", "search-worker", "flower"):
            os.kill(first[kind], signal.SIGKILL)
            time.sleep(2)
        web_failures_before = len(probe.failures)
        os.kill(first["web"], signal.SIGKILL)
        killed_web = time.monotonic()
        back = wait_until(
            lambda: (
                requests.get(f"{base}/api/v1/health", headers=bob["auth"], timeout=2).status_code == 200
                and time.monotonic()
            ),
            60,
            "the web to answer again",
        )
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
            420,
            "the job",
        )
        probe.stopping.set()
        probe.join()
        assert job["state"] == "done", job
        assert chunk_state(store, accepted["recording_id"]) == (total, total)
        segments = requests.get(
            f"{base}/api/v1/recordings/{accepted['recording_id']}", headers=bob["auth"], timeout=5
        ).json()["segments"]
        ordered = sorted(segments, key=lambda s: s["start"])
        for before, after in zip(ordered, ordered[1:], strict=False):
            assert after["start"] >= before["end"] - 0.5, "no segment is there twice"
        assert word_error_rate(TEXT, " ".join(s["text"] for s in ordered)) <= 0.3
        # The web kept answering while the workers and Flower died, and came back within seconds of its
        # own death.
        assert probe.failures[:web_failures_before] == [], probe.failures
        # Even gunicorn's own death refuses no connection: the launcher holds the listening socket, so
        # calls wait in its backlog for the new gunicorn. (A call the dying one was serving may be cut.)
        after_web = probe.failures[web_failures_before:]
        assert not [f for f in after_web if f[1] == "ConnectionError"] and len(after_web) <= 1, after_web
        assert back - killed_web < 30, back - killed_web
        again = children_of(up.pid)
        for kind in ("gpu-worker", "cpu-worker", "search-worker", "flower", "web"):
            assert again.get(kind) not in (None, first[kind]), (kind, first, again)
        printed = (tmp_path / "up.log").read_text()
        for kind in ("gpu-worker", "cpu-worker", "search-worker", "flower", "web"):
            assert f"{kind} exited with status -9" in printed and f"{kind} restarted" in printed, kind
        assert "stopping everything" not in printed
        health = wait_until(
            lambda: (
                (r := requests.get(f"{base}/api/v1/health", headers=bob["auth"], timeout=2)).json()["status"]
                == "ok"
                and r.json()
            ),
            60,
            "every worker to beat again",
        )
        assert {w["hostname"].split("@")[0] for w in health["workers"]} == {"gpu", "cpu", "search"}
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
