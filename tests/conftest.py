"""Shared fixtures: a real Redis, a real store (SQLCipher or PostgreSQL, by NEMO_TEST_STORE), real Celery
worker processes started the way `make up` starts them, and a real gunicorn server for the CLI and browser."""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlparse, urlunparse

import pytest
import redis

from tests.helpers import SPOKEN, synthesize

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


# Fixtures that start or reach a service: a test using none of them (directly or through another fixture)
# is a unit test (`make unit`).
SERVICE_FIXTURES = frozenset(
    {"environment", "app", "client", "store", "workers", "live_server", "own_redis", "broker"}
    | {"browser", "chromium_paths"}
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        uses_service = SERVICE_FIXTURES & set(getattr(item, "fixturenames", ()))
        if not uses_service and item.get_closest_marker("services") is None:
            item.add_marker(pytest.mark.unit)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _redis_url() -> tuple[str, subprocess.Popen | None]:
    url = os.environ.get("NEMO_TEST_REDIS_URL", "redis://127.0.0.1:6379/11")
    try:
        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
        return url, None
    except redis.RedisError:
        from deploy.launcher import redis_server_binary

        port = free_port()
        proc = subprocess.Popen(
            [redis_server_binary(), "--port", str(port), "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
        )
        url = f"redis://127.0.0.1:{port}/0"
        for _ in range(100):
            try:
                redis.Redis.from_url(url).ping()
                return url, proc
            except redis.RedisError:
                time.sleep(0.1)
        raise RuntimeError("could not start a Redis server for the tests") from None


@pytest.fixture(scope="session")
def backend() -> str:
    name = os.environ.get("NEMO_TEST_STORE", "sqlcipher")
    assert name in ("sqlcipher", "postgres"), name
    return name


@pytest.fixture(scope="session")
def environment(tmp_path_factory, backend):
    """Environment for every process of the system under test; the in-process app uses it too."""
    instance = tmp_path_factory.mktemp("instance")
    redis_url, redis_proc = _redis_url()
    redis.Redis.from_url(redis_url).flushdb()
    env = {
        "NEMO_INSTANCE_DIR": str(instance),
        "REDIS_URL": redis_url,
        "DATABASE_URL": "",
        "NEMO_RATE_LIMIT": "100000/minute",
        "NEMO_LOGIN_RATE_LIMIT": "100000/minute",
        "NEMO_SSE_HEARTBEAT_SECONDS": "1",
        "OMP_WAIT_POLICY": "PASSIVE",
        "NEMO_WORKER_THREADS": "2",
        # Some tests run a stage in their own process, with no broker message naming its job: the suite's
        # workers must not take that for a job whose message was lost (tests/test_stalled.py sets its own).
        "NEMO_STALL_SECONDS": "900",
        # The tests' webhook receiver listens on loopback (only this address: 127.0.0.2 stays refused), and
        # retries come quickly.
        "NEMO_WEBHOOK_ALLOWED_NETWORKS": "127.0.0.1/32",
        "NEMO_WEBHOOK_RETRY_SECONDS": "1,1,1",
        # A stand-in Home Assistant that tests/test_voice_actions.py starts on this port.
        "NEMO_HOME_ASSISTANT_URL": f"http://127.0.0.1:{free_port()}",
        "NEMO_HOME_ASSISTANT_TOKEN": "test-home-assistant-token",
        # Every JSON answer is checked against the schema its route declares (app/contract): a route that
        # sends what the OpenAPI document does not say fails whichever test meets it.
        "NEMO_CHECK_RESPONSES": "1",
    }
    admin_conn = None
    database = None
    if backend == "postgres":
        import psycopg

        base = os.environ.get("NEMO_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
        database = f"nemo_test_{secrets.token_hex(4)}"
        admin_conn = psycopg.connect(base, autocommit=True)
        admin_conn.execute(f"CREATE DATABASE {database}")
        env["DATABASE_URL"] = urlunparse(urlparse(base)._replace(path=f"/{database}"))
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    yield env
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value
    if admin_conn is not None:
        admin_conn.execute(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")
        admin_conn.close()
    if redis_proc is not None:
        redis_proc.terminate()


@pytest.fixture(scope="session")
def app(environment):
    from app import create_app

    return create_app()


@pytest.fixture()
def client(app):
    return app.test_client()


@pytest.fixture(scope="module")
def client_module(app):
    """A test client that a module's tests and module-scoped fixtures share."""
    return app.test_client()


@pytest.fixture(scope="session")
def store(app):
    return app.extensions["nemo.store"]


def _make_user(store, name: str, role: str = "user") -> dict:
    from app.store import users

    password = secrets.token_urlsafe(12)
    with store.tx() as tx:
        row = users.create_user(tx, name, password, role)
        token, _ = users.create_token(tx, row["id"], "tests")
    return {**row, "password": password, "token": token, "auth": {"Authorization": f"Bearer {token}"}}


@pytest.fixture(scope="session")
def alice(store):
    return _make_user(store, "alice", "admin")


@pytest.fixture(scope="session")
def bob(store):
    return _make_user(store, "bob")


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


@pytest.fixture(scope="session")
def workers(environment, app, tmp_path_factory):
    """The GPU, CPU and search workers, as real `nemoctl worker` processes; waits until all report in."""
    logs = tmp_path_factory.mktemp("worker-logs")
    procs = []
    kinds = ("gpu", "cpu", "search")
    for kind in kinds:
        log = (logs / f"{kind}.log").open("w")
        procs.append(
            subprocess.Popen(
                [str(BIN / "nemoctl"), "worker", kind],
                env={**os.environ},
                cwd=ROOT,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        )
    client = redis.Redis.from_url(environment["REDIS_URL"])
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if len(list(client.scan_iter("nemo:worker:*"))) >= len(kinds):
            break
        if any(p.poll() is not None for p in procs):
            raise RuntimeError(f"a worker exited; see {logs}")
        time.sleep(0.5)
    else:
        raise RuntimeError(f"workers did not report in; see {logs}")
    yield {"procs": procs, "logs": logs}
    for proc in procs:
        _stop(proc)


@pytest.fixture(scope="session")
def live_server(environment, workers, tmp_path_factory):
    """The web app under gunicorn, as `make up` runs it."""
    port = free_port()
    log = (tmp_path_factory.mktemp("web-log") / "web.log").open("w")
    proc = subprocess.Popen(
        [
            str(BIN / "gunicorn"),
            "-c",
            str(ROOT / "deploy" / "gunicorn.conf.py"),
            "-b",
            f"127.0.0.1:{port}",
            "--workers",
            "2",
            "app:create_app()",
        ],
        env={**os.environ},
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    import requests

    for _ in range(120):
        try:
            if requests.get(f"{url}/api/v1/health", timeout=5).status_code in (200, 503):
                break
        except requests.RequestException:  # not listening yet, or too busy starting to answer
            time.sleep(0.25)
    else:
        _stop(proc)
        raise RuntimeError("gunicorn did not start")
    yield url
    _stop(proc)


@pytest.fixture(scope="session")
def speech_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("speech")


@pytest.fixture(scope="session")
def speech_wav(speech_dir) -> Path:
    return synthesize(SPOKEN, speech_dir / "budget.wav")


@pytest.fixture()
def browser(chromium_paths, tmp_path):
    """A headless Chromium driver for one test (`tests.browser`)."""
    from tests.browser import chromium

    with chromium(chromium_paths, tmp_path / "profile") as driver:
        yield driver


@pytest.fixture(scope="session")
def chromium_paths() -> tuple[str, str]:
    chromium, driver = shutil.which("chromium"), shutil.which("chromedriver")
    if not chromium or not driver:
        raise RuntimeError("Debian's chromium and chromium-driver are missing: run `make system-deps`")
    return chromium, driver
