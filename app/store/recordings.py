"""Recordings and their transcript segments, always scoped to one user."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

from app.store import memory
from app.store.db import Tx
from app.store.rows import RecordingRow, SegmentRow

RECORDING_COLUMNS = (
    "id, user_id, title, original_filename, content_sha256, size_bytes, duration_seconds, audio_format, "
    "blob_id, pcm_blob_id, language, options, status, asr_model, diarized, recorded_at, created_at, "
    "summary, action_items, summary_state, summary_model, speech_seconds, covered_seconds, audio_quality, "
    "channel_turns, speaker_turns, tags"
)


def insert_recording(tx: Tx, **fields: Any) -> RecordingRow:
    row = {
        "id": uuid.uuid4().hex,
        "created_at": time.time(),
        "status": "queued",
        "asr_model": None,
        "diarized": 0,
        **fields,
    }
    row["options"] = json.dumps(row.get("options") or {})
    row["tags"] = json.dumps(row.get("tags") or [])
    tx.insert(
        "recordings", RECORDING_COLUMNS, {name: row.get(name) for name in RECORDING_COLUMNS.split(", ")}
    )
    return row


def get_recording(tx: Tx, recording_id: str, user_id: str | None = None) -> RecordingRow | None:
    """The recording, or None when it does not exist or belongs to someone else (the caller cannot tell)."""
    if user_id is None:
        return tx.one(f"SELECT {RECORDING_COLUMNS} FROM recordings WHERE id = ?", (recording_id,))
    return tx.one(
        f"SELECT {RECORDING_COLUMNS} FROM recordings WHERE id = ? AND user_id = ?", (recording_id, user_id)
    )


def list_recordings(
    tx: Tx,
    user_id: str,
    sha256: str | None = None,
    limit: int = 100,
    tag: str | None = None,
    voice_id: str | None = None,
) -> list[dict[str, Any]]:
    """The user's recordings, newest first; each filter given narrows them (all must hold)."""
    where, params = ["user_id = ?"], [user_id]
    if tag:
        # Tags hold no quote or LIKE wildcard (`schemas.recordings.parse_tag`): the quoted tag matches whole.
        where.append("tags LIKE ?")
        params.append(f'%"{tag}"%')
    if sha256:
        where.append("content_sha256 = ?")
        params.append(sha256)
    if voice_id:
        where.append(
            "EXISTS (SELECT 1 FROM segments s WHERE s.recording_id = recordings.id AND s.voice_id = ?)"
        )
        params.append(voice_id)
    return tx.all(
        f"SELECT {RECORDING_COLUMNS} FROM recordings WHERE {' AND '.join(where)} "
        "ORDER BY created_at DESC LIMIT ?",
        (*params, limit),
    )


def speakers_by_recording(tx: Tx, user_id: str, rows: list[RecordingRow]) -> dict[str, list[dict]]:
    """Each recording's speakers (`id`, `name`, `number`) in the order diarization first heard them (its
    speaker turns, which correcting a line does not move: the numbers a reader sees stay put while they
    fix lines), then any speaker the turns do not hold, by their first line. What
    `app.serializers.public_speakers` numbers "Speaker 1, 2" within the recording."""
    if not rows:
        return {}
    ids = [row["id"] for row in rows]
    voices = tx.all(
        "SELECT s.recording_id, v.id, v.name, v.number, MIN(s.start_s) AS first_s "
        "FROM segments s JOIN voices v ON v.id = s.voice_id "
        f"WHERE v.user_id = ? AND s.recording_id IN ({', '.join('?' * len(ids))}) "
        "GROUP BY s.recording_id, v.id, v.name, v.number",
        (user_id, *ids),
    )
    grouped: dict[str, list[dict]] = {recording_id: [] for recording_id in ids}
    for voice in voices:
        grouped[voice["recording_id"]].append(voice)
    for row in rows:
        first_turn: dict[str, float] = {}
        for start, _end, voice_id in json.loads(row["speaker_turns"] or "[]"):
            first_turn[voice_id] = min(start, first_turn.get(voice_id, start))
        grouped[row["id"]].sort(
            key=lambda v: (first_turn.get(v["id"], float("inf")), v["first_s"], v["number"])
        )
    return grouped


def titles(tx: Tx, user_id: str) -> list[tuple[str, str]]:
    """(id, title) of every recording of the user: what a question may name."""
    rows = tx.all("SELECT id, title FROM recordings WHERE user_id = ?", (user_id,))
    return [(row["id"], row["title"]) for row in rows]


def keep_detected_language(tx: Tx, recording_id: str, language: str) -> str | None:
    """The recording's language: `language` if it had none yet, else the one an earlier chunk found."""
    tx.execute(
        "UPDATE recordings SET language = ? WHERE id = ? AND language IS NULL", (language, recording_id)
    )
    return get_recording(tx, recording_id)["language"]


def segment_count(tx: Tx, recording_id: str) -> int:
    return tx.one("SELECT count(*) AS n FROM segments WHERE recording_id = ?", (recording_id,))["n"]


def update_recording(tx: Tx, recording_id: str, **fields: Any) -> None:
    allowed = {
        "status", "asr_model", "pcm_blob_id", "diarized",
        "summary", "action_items", "summary_state", "summary_model",
        "speech_seconds", "covered_seconds", "audio_quality", "channel_turns", "speaker_turns", "options",
        "title", "tags",
    }  # fmt: skip
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
        "INSERT INTO segments (id, recording_id, chunk_index, seq, start_s, end_s, text, words, "
        "avg_logprob, audio_quality) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (
                uuid.uuid4().hex,
                recording_id,
                chunk_index,
                seq,
                seg["start"],
                seg["end"],
                seg["text"],
                json.dumps(seg.get("words", [])),
                seg.get("avg_logprob"),
                json.dumps(seg["audio_quality"]) if seg.get("audio_quality") else None,
            )
            for seq, seg in enumerate(segments)
        ],
    )


SEGMENT_SELECT = (
    "SELECT s.id, s.chunk_index, s.seq, s.start_s, s.end_s, s.text, s.words, s.avg_logprob, s.voice_id, "
    "s.speaker_locked, "
    "s.text_edited, s.emotion, s.emotion_scores, s.audio_quality, v.name AS voice_name, "
    "v.number AS voice_number "
    "FROM segments s "
    "LEFT JOIN voices v ON v.id = s.voice_id"
)


def speaker_turns(tx: Tx, recording: RecordingRow) -> list[dict[str, Any]] | None:
    """Who talks when (overlap included), each voice under its name today; None before diarization. A
    voice since deleted or merged away is an unnamed speaker (null)."""
    if not recording["speaker_turns"]:
        return None
    turns = json.loads(recording["speaker_turns"])
    ids = sorted({voice_id for _start, _end, voice_id in turns})
    names = {}
    if ids:
        rows = tx.all(
            f"SELECT id, name, number FROM voices WHERE user_id = ? AND id IN ({', '.join('?' * len(ids))})",
            [recording["user_id"], *ids],
        )
        names = {r["id"]: r["name"] or f"Speaker {r['number']}" for r in rows}
    return [
        {
            "start": round(start, 3),
            "end": round(end, 3),
            "speaker": names.get(voice_id),
            "speaker_id": voice_id if voice_id in names else None,
        }
        for start, end, voice_id in turns
    ]


def speaks_in(tx: Tx, recording_id: str, voice_id: str) -> bool:
    """Whether any segment of the recording is the voice's."""
    return (
        tx.one(
            "SELECT 1 AS yes FROM segments WHERE recording_id = ? AND voice_id = ? LIMIT 1",
            (recording_id, voice_id),
        )
        is not None
    )


def owned_segment(tx: Tx, segment_id: str, user_id: str) -> dict[str, Any] | None:
    """`id` and `recording_id` of a segment in one of the user's recordings; None for anyone else's."""
    return tx.one(
        "SELECT s.id, s.recording_id FROM segments s JOIN recordings r ON r.id = s.recording_id "
        "WHERE s.id = ? AND r.user_id = ?",
        (segment_id, user_id),
    )


def get_segment(tx: Tx, segment_id: str) -> SegmentRow | None:
    return tx.one(f"{SEGMENT_SELECT} WHERE s.id = ?", (segment_id,))


def correct_text(tx: Tx, segment_id: str, text: str) -> None:
    """A person's correction: kept over any later transcription, its emotion to be labelled again."""
    tx.execute(
        "UPDATE segments SET text = ?, text_edited = 1, emotion = NULL, emotion_scores = NULL WHERE id = ?",
        (text, segment_id),
    )


def assign_speaker(tx: Tx, segment_id: str, voice_id: str) -> None:
    """A person's choice of speaker: locked, so a later diarization keeps it."""
    tx.execute("UPDATE segments SET voice_id = ?, speaker_locked = 1 WHERE id = ?", (voice_id, segment_id))


def list_segments(tx: Tx, recording_id: str) -> list[SegmentRow]:
    """The recording's segments in time order (`app.serializers.public_segment` shows them)."""
    rows = tx.all(f"{SEGMENT_SELECT} WHERE s.recording_id = ? ORDER BY s.start_s, s.seq", (recording_id,))
    return rows


def said_in(tx: Tx, recording_id: str) -> str:
    """A recording's title, its speakers' names and every word said in it, as one text: what an answer
    citing the recording is checked against (`workers.answer_check`)."""
    rows = tx.all(
        "SELECT r.title, s.text, v.name AS voice_name FROM recordings r "
        "LEFT JOIN segments s ON s.recording_id = r.id LEFT JOIN voices v ON v.id = s.voice_id "
        "WHERE r.id = ?",
        (recording_id,),
    )
    if not rows:
        return ""
    names = {row["voice_name"] for row in rows if row["voice_name"]}
    return " ".join([rows[0]["title"] or "", *sorted(names), *(row["text"] or "" for row in rows)])


def chunk_segments(tx: Tx, recording_id: str, chunk_index: int) -> list[SegmentRow]:
    return tx.all(
        f"{SEGMENT_SELECT} WHERE s.recording_id = ? AND s.chunk_index = ? ORDER BY s.seq",
        (recording_id, chunk_index),
    )


def rewrite_chunk(tx: Tx, recording_id: str, chunk_index: int, rows: list[dict[str, Any]]) -> None:
    """Make a chunk's segments exactly `rows`, in order.

    A row with the `id` of an existing segment updates it in place (its id, and any link to it, survives);
    a row without one is inserted; the chunk's other segments are deleted.
    """
    keep = {r["id"] for r in rows if r.get("id")}
    existing = [
        r["id"]
        for r in tx.all(
            "SELECT id FROM segments WHERE recording_id = ? AND chunk_index = ?", (recording_id, chunk_index)
        )
    ]
    for segment_id in existing:
        if segment_id not in keep:
            tx.execute("DELETE FROM segments WHERE id = ?", (segment_id,))
    # Move the survivors' order numbers out of the way first: (recording, chunk, seq) is unique.
    tx.execute(
        "UPDATE segments SET seq = -1 - seq WHERE recording_id = ? AND chunk_index = ?",
        (recording_id, chunk_index),
    )
    for seq, row in enumerate(rows):
        values = (seq, row["start"], row["end"], row["text"], json.dumps(row["words"]), row.get("voice_id"))
        if row.get("id"):
            tx.execute(
                # A segment whose words changed (split at a speaker turn) needs its emotion again.
                "UPDATE segments SET emotion = CASE WHEN text = ? THEN emotion ELSE NULL END, "
                "emotion_scores = CASE WHEN text = ? THEN emotion_scores ELSE NULL END, "
                "seq = ?, start_s = ?, end_s = ?, text = ?, words = ?, voice_id = ? WHERE id = ?",
                (row["text"], row["text"], *values, row["id"]),
            )
        else:
            # A piece split off a segment carries the quality measured over the whole of it.
            quality = row.get("audio_quality")
            tx.execute(
                "INSERT INTO segments (id, recording_id, chunk_index, seq, start_s, end_s, text, words, "
                "voice_id, audio_quality) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (uuid.uuid4().hex, recording_id, chunk_index, *values, quality),
            )


def delete_recording(tx: Tx, recording_id: str) -> None:
    """The recording, its segments, and (recorded for the index replicas) its vectors."""
    memory.forget_recording(tx, recording_id)
    tx.execute("DELETE FROM recordings WHERE id = ?", (recording_id,))
