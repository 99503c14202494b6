"""Job rows: the last known state of a piece of work, for polling. The live detail is on the event stream."""

from __future__ import annotations

import time
import uuid
from typing import Any

from app.store.db import Tx
from app.store.rows import JobRow

STATES = ("queued", "running", "done", "failed", "cancelled")
TERMINAL = ("done", "failed", "cancelled")
JOB_COLUMNS = (
    "id, user_id, recording_id, voice_id, kind, state, stage, progress, error, warning, "
    "created_at, updated_at"
)


def insert_job(
    tx: Tx, user_id: str, recording_id: str | None, kind: str, stage: str, voice_id: str | None = None
) -> JobRow:
    now = time.time()
    row = {
        "id": uuid.uuid4().hex,
        "user_id": user_id,
        "recording_id": recording_id,
        "voice_id": voice_id,
        "kind": kind,
        "state": "queued",
        "stage": stage,
        "progress": 0.0,
        "error": None,
        "warning": None,
        "created_at": now,
        "updated_at": now,
    }
    tx.execute(
        "INSERT INTO jobs (id, user_id, recording_id, voice_id, kind, state, stage, progress, created_at, "
        "updated_at) VALUES (?, ?, ?, ?, ?, 'queued', ?, 0, ?, ?)",
        (row["id"], user_id, recording_id, voice_id, kind, stage, now, now),
    )
    return row


def get_job(tx: Tx, job_id: str, user_id: str | None = None) -> JobRow | None:
    if user_id is None:
        return tx.one(f"SELECT {JOB_COLUMNS} FROM jobs WHERE id = ?", (job_id,))
    return tx.one(f"SELECT {JOB_COLUMNS} FROM jobs WHERE id = ? AND user_id = ?", (job_id, user_id))


def get_jobs(tx: Tx, job_ids: list[str], user_id: str) -> list[JobRow]:
    """Those of the given jobs that belong to the user; unknown and foreign ids are simply absent."""
    if not job_ids:
        return []
    marks = ", ".join("?" * len(job_ids))
    return tx.all(
        f"SELECT {JOB_COLUMNS} FROM jobs WHERE user_id = ? AND id IN ({marks})", [user_id, *job_ids]
    )


def list_jobs(tx: Tx, user_id: str, limit: int = 100) -> list[JobRow]:
    return tx.all(
        f"SELECT {JOB_COLUMNS} FROM jobs WHERE user_id = ? ORDER BY created_at DESC LIMIT ?", (user_id, limit)
    )


STATES = ("queued", "running", "done", "failed", "cancelled")


def count_by_state(tx: Tx) -> dict[tuple[str, str], int]:
    """Jobs of every user by (kind, state), for `/metrics`."""
    rows = tx.all("SELECT kind, state, count(*) AS n FROM jobs GROUP BY kind, state")
    return {(r["kind"], r["state"]): int(r["n"]) for r in rows}


def latest_for_recording(tx: Tx, recording_id: str) -> JobRow | None:
    return tx.one(
        f"SELECT {JOB_COLUMNS} FROM jobs WHERE recording_id = ? ORDER BY created_at DESC LIMIT 1",
        (recording_id,),
    )


def recording_busy(tx: Tx, recording_id: str) -> bool:
    """Whether a job on the recording is queued or running."""
    return (
        tx.one(
            "SELECT id FROM jobs WHERE recording_id = ? AND state IN ('queued', 'running') LIMIT 1",
            (recording_id,),
        )
        is not None
    )


def unfinished_since(tx: Tx, before: float) -> list[JobRow]:
    """Jobs not yet finished that have not changed since `before` (candidates for a lost task)."""
    return tx.all(
        f"SELECT {JOB_COLUMNS} FROM jobs WHERE state IN ('queued', 'running') AND updated_at < ?", (before,)
    )


def update_job(tx: Tx, job_id: str, **fields: Any) -> bool:
    """Update a job that has not finished; a finished (or cancelled) job never changes again."""
    allowed = {"state", "stage", "progress", "error", "warning"}
    if not fields or set(fields) - allowed:
        raise ValueError(f"cannot update {sorted(set(fields) - allowed)}")
    now = time.time()
    if fields.get("state") is not None and fields["state"] not in STATES:
        raise ValueError(f"unknown state {fields['state']!r}")
    assignments = ", ".join(f"{name} = ?" for name in fields)
    params = [*fields.values(), now]
    finished = ", finished_at = ?" if fields.get("state") in TERMINAL else ""
    if finished:
        params.append(now)
    changed = tx.execute(
        f"UPDATE jobs SET {assignments}, updated_at = ?{finished} "
        f"WHERE id = ? AND state NOT IN ('done', 'failed', 'cancelled')",
        [*params, job_id],
    )
    return changed > 0


def advance_stage(tx: Tx, job_id: str, from_stage: str, to_stage: str) -> bool:
    """Move a running job from one stage to the next; only one caller can win, so a stage starts once."""
    changed = tx.execute(
        "UPDATE jobs SET stage = ?, updated_at = ? WHERE id = ? AND stage = ? "
        "AND state NOT IN ('done', 'failed', 'cancelled')",
        (to_stage, time.time(), job_id, from_stage),
    )
    return changed > 0
