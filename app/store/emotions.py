"""Emotion labels on segments, and the summaries the emotions page draws."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from app.store.db import Tx
from app.store.segment_filters import SegmentFilters, where_clause
from models.labels import EMOTIONS

DAY = 86400.0


def unlabelled_segments(tx: Tx, recording_id: str, model: str) -> list[dict[str, Any]]:
    """Segments with no emotion yet, or one from another model (a changed text clears it)."""
    return tx.all(
        "SELECT id, text FROM segments WHERE recording_id = ? "
        "AND (emotion IS NULL OR emotion_model IS NULL OR emotion_model <> ?) ORDER BY start_s, seq",
        (recording_id, model),
    )


def set_emotions(tx: Tx, model: str, labelled: Sequence[tuple[str, str, str, dict[str, float]]]) -> int:
    """(segment id, text it was computed from, emotion, scores): a segment whose text changed meanwhile is
    left unlabelled for the next pass rather than given a label for words it no longer has."""
    changed = 0
    for segment_id, text, emotion, scores in labelled:
        changed += tx.execute(
            "UPDATE segments SET emotion = ?, emotion_scores = ?, emotion_model = ? "
            "WHERE id = ? AND text = ?",
            (emotion, json.dumps(scores), model, segment_id, text),
        )
    return changed


def summary(tx: Tx, user_id: str, filters: SegmentFilters, bucket_seconds: float = DAY) -> dict[str, Any]:
    """Counts of each emotion per speaker and per period (by the day, or bucket, of the recording)."""
    where, params = where_clause(filters, user_id)
    base = (
        "FROM segments s JOIN recordings r ON r.id = s.recording_id LEFT JOIN voices v ON v.id = s.voice_id "
        f"WHERE r.user_id = ? AND s.emotion IS NOT NULL{where}"
    )
    by_speaker_rows = tx.all(
        f"SELECT s.voice_id, v.name, v.number, s.emotion, count(*) AS n {base} "
        "GROUP BY s.voice_id, v.name, v.number, s.emotion",
        (user_id, *params),
    )
    by_recording_rows = tx.all(
        f"SELECT r.id, r.recorded_at, s.emotion, count(*) AS n {base} "
        "GROUP BY r.id, r.recorded_at, s.emotion",
        (user_id, *params),
    )
    speakers: dict[str | None, dict[str, Any]] = {}
    for row in by_speaker_rows:
        label = None if row["voice_id"] is None else row["name"] or f"Speaker {row['number']}"
        entry = speakers.setdefault(
            row["voice_id"],
            {"speaker": label, "speaker_id": row["voice_id"], "counts": dict.fromkeys(EMOTIONS, 0)},
        )
        entry["counts"][row["emotion"]] = entry["counts"].get(row["emotion"], 0) + int(row["n"])
    periods: dict[float, dict[str, int]] = {}
    for row in by_recording_rows:
        start = (float(row["recorded_at"]) // bucket_seconds) * bucket_seconds
        counts = periods.setdefault(start, dict.fromkeys(EMOTIONS, 0))
        counts[row["emotion"]] = counts.get(row["emotion"], 0) + int(row["n"])
    by_speaker = sorted(
        ({**entry, "total": sum(entry["counts"].values())} for entry in speakers.values()),
        key=lambda entry: -entry["total"],
    )
    totals = dict.fromkeys(EMOTIONS, 0)
    for entry in by_speaker:
        for emotion, n in entry["counts"].items():
            totals[emotion] = totals.get(emotion, 0) + n
    return {
        "emotions": list(EMOTIONS),
        "totals": totals,
        "total": sum(totals.values()),
        "by_speaker": by_speaker,
        "over_time": [
            {"start": start, "counts": counts, "total": sum(counts.values())}
            for start, counts in sorted(periods.items())
        ],
        "bucket_seconds": bucket_seconds,
    }
