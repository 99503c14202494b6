"""Turning a checked search filter (app/schemas/memory.py) into the caller's own rows: a speaker named by
id, name or "Speaker N" becomes a voice id, a recording must be theirs. A name that matches nobody is a
400 that says where to look; another user's recording is a 404, as if it did not exist."""

from __future__ import annotations

from app.errors import ApiError
from app.schemas.memory import Filters
from app.store import recordings, voices
from app.store.db import Tx
from app.store.segment_filters import SegmentFilters


def resolve_speaker(tx: Tx, user_id: str, value: str) -> str:
    """A speaker given by id, by name, or by the label "Speaker N" -> the caller's voice id."""
    voice = voices.get_voice(tx, value, user_id) or voices.find_by_label(tx, user_id, value)
    if voice is None:
        raise ApiError(
            400,
            "bad_field",
            f"unknown speaker {value[:80]!r}: see GET /api/v1/speakers for the names you can use",
            param="speaker",
        )
    return voice["id"]


def resolve_filters(tx: Tx, user_id: str, wanted: Filters | None) -> SegmentFilters:
    if wanted is None:
        return SegmentFilters()
    voice_id = resolve_speaker(tx, user_id, wanted.speaker) if wanted.speaker is not None else None
    if wanted.recording_id is not None and recordings.get_recording(tx, wanted.recording_id, user_id) is None:
        raise ApiError(404, "not_found", "no such recording")
    return SegmentFilters(
        voice_id,
        wanted.emotion,
        wanted.recording_id,
        wanted.since,
        wanted.until,
        wanted.last_n_recordings,
    )
