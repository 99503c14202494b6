"""What the API answers with: one function per kind of row, the only place a stored row becomes the JSON a
client sees (times rounded, JSON columns parsed, flags as booleans, a speaker's name as users see it). The
pages, the SSE relay, the job and chat events and the assistant's summaries use the same shapes."""

from __future__ import annotations

import json
from typing import Any

from app.store import voices
from app.store.rows import JobRow, RecordingRow, SegmentRow, VoiceRow


def public_recording(
    row: RecordingRow,
    segments: list[dict] | None = None,
    job: JobRow | None = None,
    turns: list[dict] | None = None,
    speakers: list[dict] | None = None,
) -> dict[str, Any]:
    body = {
        "id": row["id"],
        "title": row["title"],
        "status": row["status"],
        "filename": row["original_filename"],
        "sha256": row["content_sha256"],
        "size_bytes": row["size_bytes"],
        "duration": round(row["duration_seconds"], 3),
        "language": row["language"],
        "asr_model": row["asr_model"],
        "recorded_at": row["recorded_at"],
        "diarized": bool(row["diarized"]),
        "created_at": row["created_at"],
        # pending (queued behind everything else), done, failed, or None before processing finished.
        "summary_state": row["summary_state"],
        "summary": row["summary"],
        "action_items": json.loads(row["action_items"]) if row["action_items"] else [],
        "speech_coverage": speech_coverage(row),
        "audio_quality": json.loads(row["audio_quality"]) if row["audio_quality"] else None,
        # False once processing found nothing anybody said (silence, music, noise); None until it knows.
        "speech_found": _speech_found(row),
        "tags": json.loads(row["tags"]) if row["tags"] else [],
    }
    if speakers is not None:
        body["speakers"] = public_speakers(speakers)
    if job is not None:
        body["job"] = public_job(job)
    if segments is not None:
        body["segments"] = segments
        # Who talks when, two people at once where they overlap (diarization's own output, as RTTM gives it).
        body["speaker_turns"] = turns
    return body


def public_speakers(rows: list[dict]) -> list[dict[str, Any]]:
    """A recording's speakers, given in the order diarization first heard them
    (`store.recordings.speakers_by_recording`; a corrected line does not reorder them).

    `label` is who they are across all recordings (a name, or "Speaker 17": what search filters and
    the assistant use); `label_in_recording` is how this one meeting calls them: a name, or "Speaker 1,
    2, ..." numbered in that order, as a reader of one transcript expects. The transcript page, the
    exports and the summary show the second; the `id` links both to the same identity.
    """
    unnamed = 0
    speakers = []
    for row in rows:
        if row["name"] is None:
            unnamed += 1
        speakers.append(
            {
                "id": row["id"],
                "name": row["name"],
                "label": row["name"] or f"Speaker {row['number']}",
                "label_in_recording": row["name"] or f"Speaker {unnamed}",
            }
        )
    return speakers


def as_in_recording(items: list[dict[str, Any]], speakers: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Segments or turns with each `speaker` as the recording calls them (`public_speakers`'
    `label_in_recording`): what its page, its exports and its summary say. New dicts; the input stays."""
    here = {s["id"]: s["label_in_recording"] for s in speakers}
    return [{**item, "speaker": here.get(item.get("speaker_id"), item.get("speaker"))} for item in items]


def speech_coverage(row: RecordingRow) -> dict | None:
    """Seconds of speech the VAD heard, seconds of it that words account for, and their ratio; None until
    transcription has finished."""
    if row["speech_seconds"] is None:
        return None
    speech, covered = row["speech_seconds"], row["covered_seconds"] or 0.0
    return {
        "speech_seconds": round(speech, 2),
        "covered_seconds": round(covered, 2),
        "ratio": round(covered / speech, 4) if speech > 0 else None,
    }


def _speech_found(row: RecordingRow) -> bool | None:
    if row["status"] == "no_speech":
        return False
    return True if row["speech_seconds"] is not None and row["speech_seconds"] > 0 else None


def public_segment(row: SegmentRow) -> dict[str, Any]:
    speaker = None if row["voice_id"] is None else row["voice_name"] or f"Speaker {row['voice_number']}"
    return {
        "id": row["id"],
        "start": round(row["start_s"], 3),
        "end": round(row["end_s"], 3),
        "speaker": speaker,
        "speaker_id": row["voice_id"],
        "text": row["text"],
        "words": json.loads(row["words"]),
        "edited": bool(row["text_edited"] or row["speaker_locked"]),
        "emotion": row["emotion"],
        "emotion_scores": json.loads(row["emotion_scores"]) if row["emotion_scores"] else None,
        "audio_quality": json.loads(row["audio_quality"]) if row["audio_quality"] else None,
    }


def public_job(row: JobRow) -> dict[str, Any]:
    return {
        "id": row["id"],
        "recording_id": row["recording_id"],
        "speaker_id": row["voice_id"],
        "kind": row["kind"],
        "state": row["state"],
        "stage": row["stage"],
        "progress": round(float(row["progress"]), 4),
        "error": row["error"],
        "warning": row["warning"],
        "created_at": row["created_at"],
        "updated_at": row["updated_at"],
    }


def public_voice(row: VoiceRow) -> dict[str, Any]:
    return {
        "id": row["id"],
        "name": row["name"],
        "label": voices.label(row),
        "enrolled": row["name"] is not None,
        "created_at": row["created_at"],
    }


def public_stream(row: dict[str, Any], chunk_rows: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    body = {
        "stream_id": row["id"],
        "title": row["title"],
        "language": row["language"],
        "state": row["state"],
        "recording_id": row["recording_id"],
        "job_id": row["job_id"],
        "created_at": row["created_at"],
        "closed_at": row["closed_at"],
    }
    if chunk_rows is not None:
        body["chunks"] = [
            {"seq": c["seq"], "duration": round(c["duration_s"], 3), "text": c["text"]} for c in chunk_rows
        ]
        body["transcript"] = " ".join(c["text"] for c in chunk_rows if c["text"])
    return body


def public_chat(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "chat_id": row["id"],
        "conversation_id": row["conversation_id"],
        "state": row["state"],
        "messages": row["messages"],
        "use_memory": bool(row["use_memory"]),
        "max_tokens": row["max_tokens"],
        "temperature": row["temperature"],
        "answer": row["answer"],
        "citations": row["citations"],
        "usage": row["usage"],
        "timings": row["timings"],
        "model": row["model"],
        "error": row["error"],
        "created_at": row["created_at"],
        "finished_at": row["finished_at"],
    }
