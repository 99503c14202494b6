"""What the benches that run against a system of their own share: a free port, a scratch instance's
environment and user, the web server and workers started on it and stopped together (`System`), and
percentiles. Kept apart from `bench/search.py`, where it began, because the chat, load, answer and fault
benches and tests/test_faults.py use it too; `bench.search` still gives these names."""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import requests

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(np.array(values), q))


def scratch_env(workdir: Path, redis_url: str, threads: int, database_url: str = "", **extra: str) -> dict:
    """The environment of a system on a scratch instance: its own directory, Redis database and store, no
    rate limit (a bench asks far faster than a person), explicit threads."""
    return {
        "NEMO_INSTANCE_DIR": str(workdir / "instance"),
        "REDIS_URL": redis_url,
        "DATABASE_URL": database_url,
        "NEMO_RATE_LIMIT": "1000000/minute",
        "NEMO_WORKER_THREADS": str(threads),
        "OMP_WAIT_POLICY": "PASSIVE",
        **extra,
    }


def scratch_user(redis_url: str, name: str) -> tuple[object, str]:
    """A fresh scratch instance for a bench (its Redis database flushed, the schema made): (the store, an
    API token of a new user `name`). The environment must already be the scratch one (scratch_env)."""
    import redis

    redis.Redis.from_url(redis_url).flushdb()
    from app import create_app
    from app.store import users

    store = create_app().extensions["nemo.store"]
    with store.tx() as tx:
        user = users.create_user(tx, name, secrets.token_urlsafe(16))
        token, _ = users.create_token(tx, user["id"], "bench")
    return store, token


class System:
    """Web and the given workers on a scratch instance; stopped together."""

    def __init__(self, env: dict[str, str], logs: Path, kinds: tuple[str, ...] = ("search", "cpu")) -> None:
        self.env = {**os.environ, **env}
        self.logs = logs
        self.kinds = kinds
        self.procs: dict[str, subprocess.Popen] = {}
        self.port = free_port()

    def _start(self, name: str, argv: list[str]) -> None:
        log = (self.logs / f"{name}.log").open("w")
        self.procs[name] = subprocess.Popen(
            argv, env=self.env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )

    def start(self) -> str:
        for kind in self.kinds:
            self._start(kind, [str(BIN / "nemoctl"), "worker", kind])
        self._start(
            "web",
            [
                str(BIN / "gunicorn"),
                "-c",
                str(ROOT / "deploy" / "gunicorn.conf.py"),
                "-b",
                f"127.0.0.1:{self.port}",
                "app:create_app()",
            ],
        )
        url = f"http://127.0.0.1:{self.port}"
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                health = requests.get(f"{url}/api/v1/health", timeout=5).json()
                if health.get("workers", 0) >= len(self.kinds):
                    return url
            except (requests.RequestException, ValueError):
                pass
            time.sleep(0.5)
        raise RuntimeError(f"the system did not come up; see {self.logs}")

    def stop(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in self.procs.values():
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)


class Api:
    """The API of a running system, as a bench calls it (a token's session, JSON answers, a job followed
    on its event stream)."""

    def __init__(self, server: str, token: str) -> None:
        self.server = server.rstrip("/")
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {token}"

    def __call__(self, method: str, path: str, **kwargs):
        response = self.session.request(method, f"{self.server}/api/v1{path}", timeout=600, **kwargs)
        response.raise_for_status()
        return None if response.status_code == 204 else response.json()

    def follow(self, job_id: str) -> str:
        """Wait on the job's event stream (no polling, no rate limit) and return how it ended."""
        url = f"{self.server}/api/v1/jobs/{job_id}/events"
        with self.session.get(url, stream=True, timeout=3600) as stream:
            for line in stream.iter_lines(decode_unicode=True):
                if line.startswith("event: ") and line[7:] in ("done", "failed", "cancelled"):
                    return line[7:]
        return "lost"
