"""Turning ranked vector ids into search results: live segments only, with their context."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from app.store.db import Tx
from app.store.segment_filters import SegmentFilters, where_clause

HIT_SELECT = (
    "SELECT v.vid, s.id, s.recording_id, s.start_s, s.end_s, s.text, s.emotion, s.emotion_scores, "
    "s.voice_id, vo.name AS voice_name, vo.number AS voice_number, r.title, r.recorded_at "
    "FROM segment_vectors v JOIN segments s ON s.id = v.segment_id AND s.text = v.text "
    "JOIN recordings r ON r.id = s.recording_id LEFT JOIN voices vo ON vo.id = s.voice_id"
)


def candidate_vids(tx: Tx, user_id: str, filters: SegmentFilters) -> list[int]:
    """Every vector id of the user's segments that pass the filters. Read from the segments' side through
    the (segment, vid) index; a vector of words since edited may be among them, and `hydrate` drops it."""
    where, params = where_clause(filters, user_id)
    rows = tx.all(
        "SELECT v.vid FROM segments s JOIN recordings r ON r.id = s.recording_id "
        f"JOIN segment_vectors v ON v.segment_id = s.id WHERE r.user_id = ?{where}",
        (user_id, *params),
    )
    return [row["vid"] for row in rows]


def said_before(tx: Tx, user_id: str, vids: Sequence[int]) -> dict[int, dict[str, Any]]:
    """For each live vid of the user's: its segment's `text` and `speaker_id`, and the segment said just
    before it in its recording (`before_text`, `before_speaker_id`, and `before_vid`, that segment's vector
    of the same model; None where there is none or it is not indexed). What the re-ranker reads to tell a
    question asked in a meeting from the reply after it. Two queries, whatever the number of vids."""
    if not vids:
        return {}
    rows = tx.all(
        "SELECT v.vid, v.model, s.text, s.voice_id, (SELECT p.id FROM segments p "
        "WHERE p.recording_id = s.recording_id AND (p.start_s, p.id) < (s.start_s, s.id) "
        "ORDER BY p.start_s DESC, p.id DESC LIMIT 1) AS before_id "
        "FROM segment_vectors v JOIN segments s ON s.id = v.segment_id AND s.text = v.text "
        f"WHERE v.vid IN ({', '.join('?' * len(vids))}) AND v.user_id = ?",
        (*vids, user_id),
    )
    before_ids = sorted({row["before_id"] for row in rows if row["before_id"] is not None})
    earlier: dict[str, dict[str, Any]] = {}
    vectors: dict[tuple[str, str], int] = {}
    if before_ids:
        for row in tx.all(
            "SELECT s.id, s.text, s.voice_id, v.vid, v.model FROM segments s LEFT JOIN segment_vectors v "
            "ON v.segment_id = s.id AND v.text = s.text AND v.user_id = ? "
            f"WHERE s.id IN ({', '.join('?' * len(before_ids))})",
            (user_id, *before_ids),
        ):
            earlier[row["id"]] = row
            if row["vid"] is not None:
                vectors[(row["id"], row["model"])] = row["vid"]
    said = {}
    for row in rows:
        before = earlier.get(row["before_id"])
        said[row["vid"]] = {
            "text": row["text"],
            "speaker_id": row["voice_id"],
            "before_text": None if before is None else before["text"],
            "before_speaker_id": None if before is None else before["voice_id"],
            "before_vid": None if before is None else vectors.get((before["id"], row["model"])),
        }
    return said


def _speaker(row: dict[str, Any]) -> str | None:
    if row["voice_id"] is None:
        return None
    return row["voice_name"] or f"Speaker {row['voice_number']}"


def _neighbours(tx: Tx, hit: dict[str, Any], before: int, after: int) -> tuple[list, list]:
    columns = "s.id, s.start_s, s.end_s, s.text, s.voice_id, vo.name AS voice_name, vo.number AS voice_number"
    source = "FROM segments s LEFT JOIN voices vo ON vo.id = s.voice_id WHERE s.recording_id = ?"
    # Row-value comparisons walk the (recording_id, start_s, id) index from the hit outwards.
    earlier = tx.all(
        f"SELECT {columns} {source} AND (s.start_s, s.id) < (?, ?) "
        "ORDER BY s.start_s DESC, s.id DESC LIMIT ?",
        (hit["recording_id"], hit["start_s"], hit["id"], before),
    )
    later = tx.all(
        f"SELECT {columns} {source} AND (s.start_s, s.id) > (?, ?) ORDER BY s.start_s, s.id LIMIT ?",
        (hit["recording_id"], hit["start_s"], hit["id"], after),
    )

    def brief(row: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": row["id"],
            "start": round(row["start_s"], 3),
            "end": round(row["end_s"], 3),
            "speaker": _speaker(row),
            "speaker_id": row["voice_id"],
            "text": row["text"],
        }

    return [brief(r) for r in reversed(earlier)], [brief(r) for r in later]


def hydrate(
    tx: Tx,
    user_id: str,
    ranked: Sequence[tuple[int, float, float | None]],
    filters: SegmentFilters,
    top_k: int,
    context: int = 1,
) -> list[dict[str, Any]]:
    """Results for (vid, fused score, cosine similarity) in rank order, each with `context` segments of its
    recording on either side. A vid whose segment was deleted or edited since it was indexed, or that no
    longer passes the filters, is skipped: every result is true of the store at the moment it is read."""
    if not ranked:
        return []
    where, params = where_clause(filters, user_id)
    # Rows are read in rank order, a few more than wanted at a time, until top_k of them are live.
    by_vid: dict[int, dict[str, Any]] = {}
    step = max(top_k * 2, 20)
    for start in range(0, len(ranked), step):
        vids = [vid for vid, _score, _similarity in ranked[start : start + step]]
        rows = tx.all(
            f"{HIT_SELECT} WHERE v.vid IN ({', '.join('?' * len(vids))}) "
            f"AND v.user_id = ? AND r.user_id = ?{where}",
            (*vids, user_id, user_id, *params),
        )
        by_vid.update((row["vid"], row) for row in rows)
        if len(by_vid) >= top_k:
            break
    results = []
    for vid, score, similarity in ranked:
        row = by_vid.get(vid)
        if row is None:
            continue
        before, after = _neighbours(tx, row, context, context)
        results.append(
            {
                "score": round(score, 6),
                "similarity": None if similarity is None else round(similarity, 4),
                "segment_id": row["id"],
                "recording_id": row["recording_id"],
                "recording_title": row["title"],
                "recorded_at": row["recorded_at"],
                "start": round(row["start_s"], 3),
                "end": round(row["end_s"], 3),
                "speaker": _speaker(row),
                "speaker_id": row["voice_id"],
                "text": row["text"],
                "emotion": row["emotion"],
                "emotion_scores": json.loads(row["emotion_scores"]) if row["emotion_scores"] else None,
                "context_before": before,
                "context_after": after,
            }
        )
        if len(results) == top_k:
            break
    return results
