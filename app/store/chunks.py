"""The chunks a recording is cut into for ASR, and which of them are done."""

from __future__ import annotations

import json
from typing import Any

from app.store.db import Tx

CHUNK_COLUMNS = "idx, start_s, end_s, done, speech, speech_s, covered_s"


def save_plan(
    tx: Tx, recording_id: str, plan: list[tuple[float, float]], speech: list[tuple[float, float]]
) -> None:
    """Record the chunk plan once, each chunk with the VAD speech inside it; a second planning of the same
    recording keeps the first."""
    if tx.one("SELECT idx FROM chunks WHERE recording_id = ? LIMIT 1", (recording_id,)):
        return
    rows = []
    for idx, (start, end) in enumerate(plan):
        inside = [
            (round(max(a, start), 3), round(min(b, end), 3)) for a, b in speech if min(b, end) > max(a, start)
        ]
        rows.append((recording_id, idx, start, end, json.dumps(inside)))
    tx.executemany(
        "INSERT INTO chunks (recording_id, idx, start_s, end_s, done, speech) VALUES (?, ?, ?, ?, 0, ?)", rows
    )


def list_chunks(tx: Tx, recording_id: str) -> list[dict[str, Any]]:
    return tx.all(f"SELECT {CHUNK_COLUMNS} FROM chunks WHERE recording_id = ? ORDER BY idx", (recording_id,))


def get_chunk(tx: Tx, recording_id: str, idx: int) -> dict[str, Any] | None:
    return tx.one(
        f"SELECT {CHUNK_COLUMNS} FROM chunks WHERE recording_id = ? AND idx = ?", (recording_id, idx)
    )


def chunk_speech(chunk: dict[str, Any]) -> list[tuple[float, float]]:
    """The VAD speech inside a chunk (recording seconds); a chunk planned before speech was kept is taken
    to be speech throughout."""
    if chunk["speech"] is None:
        return [(chunk["start_s"], chunk["end_s"])]
    return [(a, b) for a, b in json.loads(chunk["speech"])]


def set_coverage(tx: Tx, recording_id: str, idx: int, speech_s: float, covered_s: float) -> None:
    tx.execute(
        "UPDATE chunks SET speech_s = ?, covered_s = ? WHERE recording_id = ? AND idx = ?",
        (speech_s, covered_s, recording_id, idx),
    )


def coverage_totals(tx: Tx, recording_id: str) -> tuple[float, float]:
    """(seconds of VAD speech, seconds of it covered by words) over the chunks measured so far."""
    row = tx.one(
        "SELECT coalesce(sum(speech_s), 0) AS speech, coalesce(sum(covered_s), 0) AS covered FROM chunks "
        "WHERE recording_id = ? AND speech_s IS NOT NULL",
        (recording_id,),
    )
    return float(row["speech"]), float(row["covered"])


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
