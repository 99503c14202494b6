"""Recordings and their transcript segments, always scoped to one user."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

from app.store.db import Tx

RECORDING_COLUMNS = (
    "id, user_id, title, original_filename, content_sha256, size_bytes, duration_seconds, audio_format, "
    "blob_id, pcm_blob_id, language, options, status, asr_model, recorded_at, created_at"
)


def insert_recording(tx: Tx, **fields: Any) -> dict[str, Any]:
    row = {"id": uuid.uuid4().hex, "created_at": time.time(), "status": "queued", "asr_model": None, **fields}
    row["options"] = json.dumps(row.get("options") or {})
    names = RECORDING_COLUMNS.split(", ")
    tx.execute(
        f"INSERT INTO recordings ({RECORDING_COLUMNS}) VALUES ({', '.join('?' * len(names))})",
        [row.get(n) for n in names],
    )
    return row


def get_recording(tx: Tx, recording_id: str, user_id: str | None = None) -> dict[str, Any] | None:
    """The recording, or None when it does not exist or belongs to someone else (the caller cannot tell)."""
    if user_id is None:
        return tx.one(f"SELECT {RECORDING_COLUMNS} FROM recordings WHERE id = ?", (recording_id,))
    return tx.one(
        f"SELECT {RECORDING_COLUMNS} FROM recordings WHERE id = ? AND user_id = ?", (recording_id, user_id)
    )


def list_recordings(
    tx: Tx, user_id: str, sha256: str | None = None, limit: int = 100
) -> list[dict[str, Any]]:
    if sha256:
        return tx.all(
            f"SELECT {RECORDING_COLUMNS} FROM recordings WHERE user_id = ? AND content_sha256 = ? "
            "ORDER BY created_at DESC LIMIT ?",
            (user_id, sha256, limit),
        )
    return tx.all(
        f"SELECT {RECORDING_COLUMNS} FROM recordings WHERE user_id = ? ORDER BY created_at DESC LIMIT ?",
        (user_id, limit),
    )


def update_recording(tx: Tx, recording_id: str, **fields: Any) -> None:
    allowed = {"status", "asr_model", "pcm_blob_id"}
    if not fields or set(fields) - allowed:
        raise ValueError(f"cannot update {sorted(set(fields) - allowed)}")
    assignments = ", ".join(f"{name} = ?" for name in fields)
    tx.execute(f"UPDATE recordings SET {assignments} WHERE id = ?", [*fields.values(), recording_id])


def replace_chunk_segments(
    tx: Tx, recording_id: str, chunk_index: int, segments: list[dict[str, Any]]
) -> None:
    """Write one chunk's segments; running it twice leaves them there once."""
    tx.execute("DELETE FROM segments WHERE recording_id = ? AND chunk_index = ?", (recording_id, chunk_index))
    tx.executemany(
        "INSERT INTO segments (id, recording_id, chunk_index, seq, start_s, end_s, speaker, text, words, "
        "avg_logprob) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (
                uuid.uuid4().hex,
                recording_id,
                chunk_index,
                seq,
                seg["start"],
                seg["end"],
                seg.get("speaker"),
                seg["text"],
                json.dumps(seg.get("words", [])),
                seg.get("avg_logprob"),
            )
            for seq, seg in enumerate(segments)
        ],
    )


def list_segments(tx: Tx, recording_id: str) -> list[dict[str, Any]]:
    rows = tx.all(
        "SELECT id, start_s, end_s, speaker, text, words FROM segments WHERE recording_id = ? "
        "ORDER BY chunk_index, seq",
        (recording_id,),
    )
    return [
        {
            "id": r["id"],
            "start": round(r["start_s"], 3),
            "end": round(r["end_s"], 3),
            "speaker": r["speaker"],
            "text": r["text"],
            "words": json.loads(r["words"]),
            "emotion": None,
            "emotion_scores": None,
        }
        for r in rows
    ]


def delete_recording(tx: Tx, recording_id: str) -> None:
    tx.execute("DELETE FROM recordings WHERE id = ?", (recording_id,))
