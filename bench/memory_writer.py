"""The synthetic memory of the search bench (`bench/search.py`), written straight into the store with the
store functions the indexing task uses: recordings with no audio behind them, meetings of filler sentences
with planted facts, and the sentence vectors cached between runs. Kept apart from the bench's measurements
and command line because it is how the memory is made, not what is measured on it."""

from __future__ import annotations

import hashlib
import json
import os
import random
import secrets
import time
import uuid
from pathlib import Path

import numpy as np

CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "nemo-bench"
SEGMENTS_PER_RECORDING = 200
SEGMENT_SECONDS = 4.0
TWO_YEARS = 2 * 365 * 86400.0


def cached_embeddings(embedder, texts: list[str], label: str) -> np.ndarray:
    key = hashlib.sha256(("\n".join(texts) + embedder.name).encode()).hexdigest()[:16]
    path = CACHE / f"{label}-{len(texts)}-{key}.npy"
    if path.exists():
        return np.load(path)
    started = time.perf_counter()
    vectors = embedder.embed(texts)
    print(f"embedded {len(texts)} {label} sentences in {time.perf_counter() - started:.0f} s", flush=True)
    CACHE.mkdir(parents=True, exist_ok=True)
    np.save(path, vectors)
    return vectors


def synthetic_recording(tx, user_id: str, title: str, duration: float, recorded_at: float) -> dict:
    """A recording row with no audio behind it: the benchmark writes its segments directly."""
    from app.store import recordings

    return recordings.insert_recording(
        tx,
        user_id=user_id,
        title=title,
        original_filename=None,
        content_sha256=secrets.token_hex(32),
        size_bytes=0,
        duration_seconds=duration,
        audio_format="synthetic",
        blob_id="none",
        pcm_blob_id=None,
        language="en",
        options={},
        status="diarized",
        recorded_at=recorded_at,
    )


class MemoryWriter:
    """Writes meetings straight into the store, with the store functions the indexing task uses."""

    def __init__(self, store, user_id, voice_ids, model: str, pool_texts, pool_vectors, pool_scores, seed=3):
        from models.labels import EMOTIONS

        self.store, self.user_id, self.voice_ids, self.model = store, user_id, voice_ids, model
        self.pool_texts, self.pool_vectors = pool_texts, pool_vectors
        self.pool_labels = [EMOTIONS[i] for i in pool_scores.argmax(axis=1)]
        self.pool_scores = [
            json.dumps({e: round(float(p), 4) for e, p in zip(EMOTIONS, row, strict=True)})
            for row in pool_scores
        ]
        self.rng = random.Random(seed)
        self.count = 0
        self.now = time.time()

    def add_recording(self, planted: list[tuple[str, np.ndarray, str, str]] | None = None) -> list[str]:
        """One meeting of SEGMENTS_PER_RECORDING segments; `planted` (text, vector, label, scores) replace
        random filler positions. Returns the planted segments' ids."""
        from app.store import memory

        rng = self.rng
        speakers = rng.sample(self.voice_ids, rng.randint(2, 5))
        picks = [rng.randrange(len(self.pool_texts)) for _ in range(SEGMENTS_PER_RECORDING)]
        rows = [
            (self.pool_texts[i], self.pool_vectors[i], self.pool_labels[i], self.pool_scores[i])
            for i in picks
        ]
        positions = rng.sample(range(SEGMENTS_PER_RECORDING), len(planted or []))
        for position, item in zip(positions, planted or [], strict=True):
            rows[position] = item
        planted_ids = []
        with self.store.tx() as tx:
            recording = synthetic_recording(
                tx,
                self.user_id,
                f"Meeting {self.count // SEGMENTS_PER_RECORDING + 1}",
                SEGMENTS_PER_RECORDING * SEGMENT_SECONDS,
                self.now - rng.random() * TWO_YEARS,
            )
            segment_rows, items = [], []
            for seq, (text, vector, label, scores) in enumerate(rows):
                segment_id = uuid.uuid4().hex
                start = seq * SEGMENT_SECONDS
                segment_rows.append(
                    (segment_id, recording["id"], 0, seq, start, start + SEGMENT_SECONDS - 0.3, text,
                     rng.choice(speakers), label, scores, "bench")
                )  # fmt: skip
                items.append((segment_id, text, vector))
                if seq in positions:
                    planted_ids.append((positions.index(seq), segment_id))
            tx.executemany(
                "INSERT INTO segments (id, recording_id, chunk_index, seq, start_s, end_s, text, voice_id, "
                "emotion, emotion_scores, emotion_model) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                segment_rows,
            )
            memory.add_vectors(tx, self.user_id, recording["id"], self.model, items)
        self.count += SEGMENTS_PER_RECORDING
        return [segment_id for _n, segment_id in sorted(planted_ids)]
