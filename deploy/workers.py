"""How each kind of worker is started: the queues it consumes, how many processes, and the `celery worker`
command line (used by `nemoctl worker` and by the launcher behind `nemoctl up`)."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import celeryconfig

WORKER_KINDS = {
    # The GPU worker holds the big models: one process, one task at a time.
    "gpu": {"queues": celeryconfig.GPU_QUEUES, "concurrency": 1},
    "cpu": {"queues": celeryconfig.CPU_QUEUES, "concurrency": 2},
    # Two processes, each with its own query model and index replicas (loaded after the fork, never
    # shared across it): one search no longer queues behind another. On two cores with 20 uploads in
    # flight, 50 searches a second queued for over a second behind one process (bench/load).
    "search": {"queues": celeryconfig.SEARCH_QUEUES, "concurrency": 2},
}


def worker_argv(kind: str, concurrency: int | None = None, loglevel: str = "INFO") -> list[str]:
    spec = WORKER_KINDS[kind]
    celery_bin = shutil.which("celery", path=str(Path(sys.executable).parent)) or "celery"
    return [
        celery_bin,
        "-A",
        "tasks.celery_app",
        "worker",
        "-Q",
        ",".join(spec["queues"]),
        "-c",
        str(concurrency or spec["concurrency"]),
        "-n",
        f"{kind}@%h",
        *(["--pool", spec["pool"]] if "pool" in spec else []),
        "-E",
        "--loglevel",
        loglevel,
    ]
