"""The chunks a recording is cut into for ASR, and which of them are done."""

from __future__ import annotations

from typing import Any

from app.store.db import Tx


def save_plan(tx: Tx, recording_id: str, plan: list[tuple[float, float]]) -> None:
    """Record the chunk plan once; a second planning of the same recording keeps the first."""
    if tx.one("SELECT idx FROM chunks WHERE recording_id = ? LIMIT 1", (recording_id,)):
        return
    tx.executemany(
        "INSERT INTO chunks (recording_id, idx, start_s, end_s, done) VALUES (?, ?, ?, ?, 0)",
        [(recording_id, idx, start, end) for idx, (start, end) in enumerate(plan)],
    )


def list_chunks(tx: Tx, recording_id: str) -> list[dict[str, Any]]:
    return tx.all(
        "SELECT idx, start_s, end_s, done FROM chunks WHERE recording_id = ? ORDER BY idx", (recording_id,)
    )


def get_chunk(tx: Tx, recording_id: str, idx: int) -> dict[str, Any] | None:
    return tx.one(
        "SELECT idx, start_s, end_s, done FROM chunks WHERE recording_id = ? AND idx = ?", (recording_id, idx)
    )


def mark_done(tx: Tx, recording_id: str, idx: int) -> tuple[int, int]:
    """Mark a chunk done; returns (chunks done, chunks in all), counted under the recording's lock so
    exactly one finishing chunk sees the last one done."""
    tx.lock("recordings", recording_id)
    tx.execute("UPDATE chunks SET done = 1 WHERE recording_id = ? AND idx = ?", (recording_id, idx))
    row = tx.one(
        "SELECT count(*) AS total, coalesce(sum(done), 0) AS finished FROM chunks WHERE recording_id = ?",
        (recording_id,),
    )
    return int(row["finished"]), int(row["total"])
