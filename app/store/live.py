"""Live streams and their chunks, always scoped to one user."""

from __future__ import annotations

import time
import uuid
from typing import Any

from app.store.db import Tx

STREAM_COLUMNS = "id, user_id, title, language, state, recording_id, job_id, created_at, closed_at"
CHUNK_COLUMNS = "stream_id, seq, audio_sha256, pcm_blob_id, duration_s, text, received_at, transcribed_at"


def create_stream(tx: Tx, user_id: str, title: str, language: str | None) -> dict[str, Any]:
    row = {
        "id": uuid.uuid4().hex,
        "user_id": user_id,
        "title": title,
        "language": language,
        "state": "open",
        "created_at": time.time(),
    }
    tx.insert("live_streams", ", ".join(row), row)
    return get_stream(tx, row["id"])


def get_stream(tx: Tx, stream_id: str, user_id: str | None = None) -> dict[str, Any] | None:
    if user_id is None:
        return tx.one(f"SELECT {STREAM_COLUMNS} FROM live_streams WHERE id = ?", (stream_id,))
    return tx.one(
        f"SELECT {STREAM_COLUMNS} FROM live_streams WHERE id = ? AND user_id = ?", (stream_id, user_id)
    )


def made_recording(tx: Tx, recording_id: str) -> bool:
    """Whether the recording is a closed live stream's (whose chunks were seen as they came)."""
    return tx.one("SELECT id FROM live_streams WHERE recording_id = ?", (recording_id,)) is not None


def get_chunk(tx: Tx, stream_id: str, seq: int) -> dict[str, Any] | None:
    return tx.one(
        f"SELECT {CHUNK_COLUMNS} FROM live_chunks WHERE stream_id = ? AND seq = ?", (stream_id, seq)
    )


def chunks(tx: Tx, stream_id: str) -> list[dict[str, Any]]:
    return tx.all(f"SELECT {CHUNK_COLUMNS} FROM live_chunks WHERE stream_id = ? ORDER BY seq", (stream_id,))


def add_chunk(tx: Tx, stream_id: str, seq: int, sha256: str, pcm_blob_id: str, duration_s: float) -> None:
    tx.execute(
        f"INSERT INTO live_chunks ({CHUNK_COLUMNS}) VALUES (?, ?, ?, ?, ?, NULL, ?, NULL)",
        (stream_id, seq, sha256, pcm_blob_id, duration_s, time.time()),
    )


def remove_chunk(tx: Tx, stream_id: str, seq: int) -> None:
    """A chunk never sent to a worker (its queue was unreachable) leaves no row behind."""
    tx.execute("DELETE FROM live_chunks WHERE stream_id = ? AND seq = ?", (stream_id, seq))


def offset_of(tx: Tx, stream_id: str, seq: int) -> float:
    """Seconds of audio before this chunk among the chunks received so far (a late earlier chunk moves
    it; the recording made at close has the final timing)."""
    row = tx.one(
        "SELECT coalesce(sum(duration_s), 0) AS s FROM live_chunks WHERE stream_id = ? AND seq < ?",
        (stream_id, seq),
    )
    return float(row["s"])


def set_chunk_text(tx: Tx, stream_id: str, seq: int, text: str) -> None:
    tx.execute(
        "UPDATE live_chunks SET text = ?, transcribed_at = ? WHERE stream_id = ? AND seq = ?",
        (text, time.time(), stream_id, seq),
    )


def close_stream(tx: Tx, stream_id: str, recording_id: str | None, job_id: str | None) -> bool:
    """Close an open stream; False when it was already closed (the first close wins)."""
    changed = tx.execute(
        "UPDATE live_streams SET state = 'closed', recording_id = ?, job_id = ?, closed_at = ? "
        "WHERE id = ? AND state = 'open'",
        (recording_id, job_id, time.time(), stream_id),
    )
    return changed > 0
