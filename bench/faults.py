"""The fault-injection suite's long form: `nemoctl up` (supervised) processing a batch of recordings while
every process kind is SIGKILLed at random moments and Redis is killed and started again from its
append-only file.

    .venv/bin/python -m bench.faults                          # 6 recordings, 12 faults
    .venv/bin/python -m bench.faults --recordings 10 --faults 30 --seed 2 --out faults.json
    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/faults .venv/bin/python -m bench.faults --cut-store 3

Each fault is timed until the system is whole again (a worker: its heartbeat comes back from a new
process; Flower: it answers; the web: `/health` answers; Redis: `/health` says ok). At the end every job
must be done or failed with a reason, every chunk's segments there exactly once, no blob left that
nothing refers to, and the web must never have answered with a 5xx other than 503 while Redis was away.
`tests/test_faults.py` and `tests/test_launcher.py` run bounded forms of the same checks in CI.
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import argparse  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import random  # noqa: E402
import secrets  # noqa: E402
import signal  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import requests  # noqa: E402

from bench.search import free_port  # noqa: E402
from tests.faults import OwnRedis, WebProbe, check_segments, orphan_blobs, upload_batch, wait_all  # noqa: E402
from tests.helpers import children_of  # noqa: E402

KINDS = ("gpu-worker", "cpu-worker", "search-worker", "flower", "web", "redis")
WORKER_HOST = {"gpu-worker": "gpu", "cpu-worker": "cpu", "search-worker": "search"}


def whole(kind: str, base: str, flower: str, headers: dict, old_pid: int | None, up_pid: int = 0) -> bool:
    """Whether the killed kind is serving again (the web and Flower: from a new process, since the old
    one's workers may answer for a moment after their parent died)."""
    try:
        if (
            kind in ("web", "flower")
            and old_pid is not None
            and children_of(up_pid).get(kind) in (None, old_pid)
        ):
            return False
        if kind == "flower":
            return requests.get(flower, timeout=2).status_code == 401
        health = requests.get(f"{base}/api/v1/health", headers=headers, timeout=5)
        if kind in ("web", "redis"):
            return health.status_code == 200 and health.json()["status"] == "ok"
        workers = health.json().get("workers", []) if health.status_code == 200 else []
        return any(
            w["hostname"].startswith(WORKER_HOST[kind] + "@")
            and w["pid"] != old_pid
            and time.time() - w["seen_at"] < 15
            for w in workers
        )
    except (requests.RequestException, ValueError):
        return False


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--recordings", type=int, default=6)
    parser.add_argument("--parts", type=int, default=12, help="sentences per recording (about 5 s each)")
    parser.add_argument("--faults", type=int, default=12)
    parser.add_argument("--gap", type=float, nargs=2, default=(6.0, 20.0), help="seconds between faults")
    parser.add_argument("--cut-store", type=int, default=0, help="PostgreSQL connection cuts (DATABASE_URL)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()

    rng = random.Random(args.seed)
    workdir = Path(tempfile.mkdtemp(prefix="nemo-bench-faults-"))
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores; work dir {workdir}", flush=True)
    own_redis = OwnRedis(workdir / "redis")
    own_redis.start()
    web_port, flower_port = free_port(), free_port()
    env = {
        **os.environ,
        "NEMO_INSTANCE_DIR": str(workdir / "instance"),
        "REDIS_URL": own_redis.url,
        "NEMO_RATE_LIMIT": "1000000/minute",
        "NEMO_PORT": str(web_port),
        "NEMO_FLOWER_PORT": str(flower_port),
        "NEMO_WEB_WORKERS": "1",
        "NEMO_ASR_BATCH": "1",
        "NEMO_SUMMARIES": "0",
    }
    os.environ.update(env)
    from app import create_app
    from app.store import users

    app = create_app()
    store = app.extensions["nemo.store"]
    with store.tx() as tx:
        user = users.create_user(tx, f"faults-{secrets.token_hex(4)}", secrets.token_urlsafe(16))
        token, _ = users.create_token(tx, user["id"], "bench")
    headers = {"Authorization": f"Bearer {token}"}
    log = (workdir / "up.log").open("w")
    nemoctl = str(Path(sys.executable).parent / "nemoctl")
    up = subprocess.Popen([nemoctl, "up"], env=env, stdout=log, stderr=subprocess.STDOUT)
    base, flower = f"http://127.0.0.1:{web_port}", f"http://127.0.0.1:{flower_port}/"
    report: dict = {}
    try:
        deadline = time.monotonic() + 180
        while not whole("web", base, flower, headers, None) and time.monotonic() < deadline:
            time.sleep(1)
        since = time.time()
        accepted = upload_batch(base, headers, workdir, args.recordings, args.parts)
        probe = WebProbe(base, headers)
        probe.start()
        faults = []
        cuts = sorted(rng.sample(range(args.faults), min(args.cut_store, args.faults)))
        for n in range(args.faults):
            time.sleep(rng.uniform(*args.gap))
            kind = "store" if n in cuts else rng.choice(KINDS)
            started = time.monotonic()
            old_pid = None
            if kind == "redis":
                own_redis.kill()
                time.sleep(2)
                own_redis.start()
            elif kind == "store":
                import psycopg

                database = os.environ["DATABASE_URL"].rsplit("/", 1)
                with psycopg.connect(database[0] + "/postgres", autocommit=True) as admin:
                    admin.execute(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s "
                        "AND pid <> pg_backend_pid()",
                        (database[1],),
                    )
            else:
                pid = children_of(up.pid).get(kind)
                if pid is None:
                    continue
                old_pid = pid
                if kind in WORKER_HOST:
                    workers = requests.get(f"{base}/api/v1/health", headers=headers, timeout=5).json()[
                        "workers"
                    ]
                    old_pid = next(
                        (w["pid"] for w in workers if w["hostname"].startswith(WORKER_HOST[kind])), None
                    )
                os.kill(pid, signal.SIGKILL)
            check_kind = "web" if kind == "store" else kind
            while (
                not whole(check_kind, base, flower, headers, old_pid, up.pid)
                and time.monotonic() - started < 300
            ):
                time.sleep(0.25)
            faults.append({"kind": kind, "recovered_s": round(time.monotonic() - started, 2)})
            print(f"fault {n + 1}: {kind}, whole again after {faults[-1]['recovered_s']} s", flush=True)
        finals = wait_all(base, headers, accepted, timeout=3600)
        statuses = probe.stop()
        bad_segments = []
        for job in accepted:
            try:
                check_segments(store, job["recording_id"])
            except AssertionError as exc:
                bad_segments.append(str(exc)[:200])
        by_kind: dict[str, list[float]] = {}
        for fault in faults:
            by_kind.setdefault(fault["kind"], []).append(fault["recovered_s"])
        report = {
            "machine": f"{platform.machine()}, {os.cpu_count()} cores",
            "store": "postgres" if os.environ.get("DATABASE_URL") else "sqlcipher",
            "recordings": args.recordings,
            "jobs_done": sum(j["state"] == "done" for j in finals),
            "jobs_failed": [j.get("error") for j in finals if j["state"] != "done"],
            "faults": len(faults),
            "recovery_s": {
                kind: {"count": len(v), "median": statistics.median(v), "max": max(v)}
                for kind, v in sorted(by_kind.items())
            },
            "segment_problems": bad_segments,
            "orphan_blobs": orphan_blobs(store, app.extensions["nemo.config"].BLOB_DIR, since),
            "web_statuses": {str(k): v for k, v in statuses.items()},
        }
    finally:
        up.send_signal(signal.SIGINT)
        up.wait(timeout=120)
        own_redis.stop()
    print(json.dumps(report, indent=2), flush=True)
    if args.out:
        args.out.write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
