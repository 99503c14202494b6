"""Sentence vectors of segments: the store is their source of truth, index replicas follow it.

Every change takes numbers from one sequence inside its own transaction: an added vector's id (`vid`) is
such a number, and so is each removal. A replica that has applied everything up to N asks for the adds and
removals in (N, V], where V is the sequence value committed when it asks; holding the sequence row until
commit means no transaction can still be writing a number at or below V.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import numpy as np

from app.store import fulltext
from app.store.db import Store, Tx
from app.store.sequence import current_sequence, take_sequence

VECTOR_DTYPE = np.dtype("<f4")


def encode_vector(vector: np.ndarray) -> bytes:
    return np.asarray(vector, dtype=VECTOR_DTYPE).tobytes()


def decode_vectors(blobs: Sequence[bytes], dimension: int | None = None) -> np.ndarray:
    if not blobs:
        return np.zeros((0, dimension or 0), dtype=np.float32)
    return np.frombuffer(b"".join(bytes(b) for b in blobs), dtype=VECTOR_DTYPE).reshape(len(blobs), -1)


def stale_vectors(tx: Tx, recording_id: str, model: str) -> list[dict[str, Any]]:
    """Vectors of a recording whose segment is gone, was edited, or was embedded by another model."""
    return tx.all(
        "SELECT v.vid, v.user_id FROM segment_vectors v LEFT JOIN segments s ON s.id = v.segment_id "
        "WHERE v.recording_id = ? AND (s.id IS NULL OR s.text <> v.text OR v.model <> ?)",
        (recording_id, model),
    )


def unindexed_segments(tx: Tx, recording_id: str, model: str) -> list[dict[str, Any]]:
    """Segments of a recording with no vector of their current text by this model."""
    return tx.all(
        "SELECT s.id, s.text FROM segments s WHERE s.recording_id = ? AND NOT EXISTS ("
        "SELECT 1 FROM segment_vectors v WHERE v.segment_id = s.id AND v.text = s.text AND v.model = ?) "
        "ORDER BY s.start_s, s.seq",
        (recording_id, model),
    )


def add_vectors(
    tx: Tx, user_id: str, recording_id: str, model: str, items: Sequence[tuple[str, str, np.ndarray]]
) -> list[int]:
    """Store (segment id, text, vector) items and make their text findable; returns their vids."""
    if not items:
        return []
    first = take_sequence(tx, len(items))
    now = time.time()
    rows = [
        (first + i, segment_id, recording_id, user_id, model, text, now)
        for i, (segment_id, text, _vector) in enumerate(items)
    ]
    tx.executemany(
        "INSERT INTO segment_vectors (vid, segment_id, recording_id, user_id, model, text, created_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        rows,
    )
    tx.executemany(
        "INSERT INTO vector_blobs (vid, vector) VALUES (?, ?)",
        [(first + i, encode_vector(vector)) for i, (_segment, _text, vector) in enumerate(items)],
    )
    fulltext.index_texts(tx, [(row[0], row[5]) for row in rows])
    return [row[0] for row in rows]


def remove_vectors(tx: Tx, rows: Sequence[dict[str, Any]]) -> None:
    """Delete vectors and record each removal for the replicas."""
    if not rows:
        return
    first = take_sequence(tx, len(rows))
    tx.executemany(
        "INSERT INTO vector_removals (seq, vid, user_id) VALUES (?, ?, ?)",
        [(first + i, row["vid"], row["user_id"]) for i, row in enumerate(rows)],
    )
    tx.executemany("DELETE FROM segment_vectors WHERE vid = ?", [(row["vid"],) for row in rows])
    tx.executemany("DELETE FROM vector_blobs WHERE vid = ?", [(row["vid"],) for row in rows])
    fulltext.forget_texts(tx, [row["vid"] for row in rows])


def forget_recording(tx: Tx, recording_id: str) -> None:
    rows = tx.all("SELECT vid, user_id FROM segment_vectors WHERE recording_id = ?", (recording_id,))
    remove_vectors(tx, rows)


def forget_user(tx: Tx, user_id: str) -> None:
    remove_vectors(tx, tx.all("SELECT vid, user_id FROM segment_vectors WHERE user_id = ?", (user_id,)))


def added_since(
    tx: Tx, after: int, upto: int, user_ids: Sequence[str], limit: int
) -> tuple[np.ndarray, list[str], np.ndarray]:
    """A page (vid order) of the vectors of `user_ids` added in (after, upto]: (vids, owners, vectors).
    A replica follows only the users it has loaded; the others load in full when they first search."""
    if not user_ids:
        return np.zeros(0, np.int64), [], np.zeros((0, 0), np.float32)
    rows = tx.all(
        "SELECT v.vid, v.user_id, b.vector FROM segment_vectors v JOIN vector_blobs b ON b.vid = v.vid "
        f"WHERE v.vid > ? AND v.vid <= ? AND v.user_id IN ({', '.join('?' * len(user_ids))}) "
        "ORDER BY v.vid LIMIT ?",
        (after, upto, *user_ids, limit),
    )
    return (
        np.array([row["vid"] for row in rows], dtype=np.int64),
        [row["user_id"] for row in rows],
        decode_vectors([row["vector"] for row in rows]),
    )


def removed_since(tx: Tx, after: int, upto: int, user_ids: Sequence[str]) -> list[tuple[int, str]]:
    """(vid, owner) of the vectors of `user_ids` removed in (after, upto]."""
    if not user_ids:
        return []
    rows = tx.all(
        "SELECT vid, user_id FROM vector_removals WHERE seq > ? AND seq <= ? "
        f"AND user_id IN ({', '.join('?' * len(user_ids))}) ORDER BY seq",
        (after, upto, *user_ids),
    )
    return [(row["vid"], row["user_id"]) for row in rows]


def user_vectors(
    tx: Tx, user_id: str, after: int, upto: int, limit: int = 20000
) -> tuple[np.ndarray, np.ndarray]:
    """A page of a user's vectors with after < vid <= upto, in vid order: how a replica loads a user
    without holding every row as Python objects at once."""
    rows = tx.all(
        "SELECT v.vid, b.vector FROM segment_vectors v JOIN vector_blobs b ON b.vid = v.vid "
        "WHERE v.user_id = ? AND v.vid > ? AND v.vid <= ? ORDER BY v.vid LIMIT ?",
        (user_id, after, upto, limit),
    )
    return (
        np.array([row["vid"] for row in rows], dtype=np.int64),
        decode_vectors([row["vector"] for row in rows]),
    )


class StoredVectors:
    """The store as a vector index's feed (`workers.vector_index.VectorFeed`): each read in its own
    read-only transaction."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def current_sequence(self) -> int:
        with self.store.tx(readonly=True) as tx:
            return current_sequence(tx)

    def added_since(
        self, after: int, upto: int, user_ids: Sequence[str], limit: int
    ) -> tuple[np.ndarray, list[str], np.ndarray]:
        with self.store.tx(readonly=True) as tx:
            return added_since(tx, after, upto, user_ids, limit)

    def removed_since(self, after: int, upto: int, user_ids: Sequence[str]) -> list[tuple[int, str]]:
        with self.store.tx(readonly=True) as tx:
            return removed_since(tx, after, upto, user_ids)

    def user_vectors(self, user_id: str, after: int, upto: int, limit: int) -> tuple[np.ndarray, np.ndarray]:
        with self.store.tx(readonly=True) as tx:
            return user_vectors(tx, user_id, after, upto, limit)
