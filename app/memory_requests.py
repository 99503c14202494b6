"""Reading a search (or summary) request: every field checked, names resolved to the caller's own rows.

Anything wrong is a 400 (or a 404 for a recording that is not the caller's) with a message that says which
field and why, before any work is queued.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from app.errors import ApiError
from app.numbers import whole_number
from app.store import recordings, voices
from app.store.db import Tx
from app.store.segment_filters import SegmentFilters
from models.labels import EMOTIONS

QUERY_MAX_CHARS = 1000
TOP_K_MAX = 100
LAST_N_MAX = 100_000
FILTER_FIELDS = ("speaker", "emotion", "recording_id", "since", "until", "last_n_recordings")
INDEX_MODES = ("auto", "exact", "approximate")
RANKINGS = ("auto", "learned", "fused")
LATEST_EPOCH = 253_402_300_799  # 9999-12-31T23:59:59Z
_SPEAKER_LABEL = re.compile(r"speaker\s+([0-9]{1,9})", re.IGNORECASE)


@dataclass(frozen=True)
class SearchRequest:
    query: str
    top_k: int
    filters: SegmentFilters
    index: str
    ranking: str


def _bad(message: str) -> ApiError:
    return ApiError(400, "bad_field", message)


def parse_time(name: str, value: Any) -> float:
    """ISO 8601 (a date, or a date and time; UTC unless an offset is given) or epoch seconds."""
    if isinstance(value, bool):
        raise _bad(f"{name} must be an ISO 8601 date or time, or epoch seconds")
    if isinstance(value, int | float):
        return _epoch(name, value)
    if isinstance(value, str) and value.strip():
        text = value.strip()
        if len(text) > 64:
            raise _bad(f"{name} is not a date (it is {len(text)} characters long)")
        try:
            return _epoch(name, float(text))
        except ValueError:
            pass
        try:
            moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            raise _bad(f"{name} is not a date: {text[:40]!r} (use ISO 8601, e.g. 2026-11-24T09:00)") from None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return moment.timestamp()
    raise _bad(f"{name} must be an ISO 8601 date or time, or epoch seconds")


def _epoch(name: str, seconds: float) -> float:
    """Epoch seconds a date can hold (1970 to the end of 9999): not inf, NaN or a 400-digit number."""
    if not 0 <= seconds <= LATEST_EPOCH:  # false for NaN too
        raise _bad(f"{name} is out of range: epoch seconds from 0 to {LATEST_EPOCH}")
    return float(seconds)


def parse_int(name: str, value: Any, low: int, high: int) -> int:
    if isinstance(value, str) and (number := whole_number(value)) is not None:
        value = number
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise _bad(f"{name} must be a whole number from {low} to {high}")
    return value


def resolve_speaker(tx: Tx, user_id: str, value: Any) -> str:
    """A speaker given by id, by name, or by the label "Speaker N" -> the caller's voice id."""
    if not isinstance(value, str) or not value.strip():
        raise _bad("speaker must be a speaker's name, label or id")
    value = " ".join(value.split())
    voice = voices.get_voice(tx, value, user_id) or voices.get_voice_by_name(tx, user_id, value)
    if voice is None and (label := _SPEAKER_LABEL.fullmatch(value)):
        voice = voices.get_unnamed_by_number(tx, user_id, int(label.group(1)))
    if voice is None:
        voice = voices.get_voice_by_name_any_case(tx, user_id, value)
    if voice is None:
        raise _bad(f"unknown speaker {value[:80]!r}: see GET /api/v1/speakers for the names you can use")
    return voice["id"]


def parse_filters(tx: Tx, user_id: str, raw: Any) -> SegmentFilters:
    if raw is None:
        return SegmentFilters()
    if not isinstance(raw, dict):
        raise _bad("filters must be an object")
    unknown = set(raw) - set(FILTER_FIELDS)
    if unknown:
        raise _bad(f"unknown filter {sorted(unknown)[0]!r}; filters are {', '.join(FILTER_FIELDS)}")
    raw = {name: value for name, value in raw.items() if value is not None and value != ""}
    voice_id = resolve_speaker(tx, user_id, raw["speaker"]) if "speaker" in raw else None
    emotion = raw.get("emotion")
    if emotion is not None:
        if not isinstance(emotion, str) or emotion.strip().lower() not in EMOTIONS:
            raise _bad(f"unknown emotion {str(emotion)[:40]!r}; emotions are {', '.join(EMOTIONS)}")
        emotion = emotion.strip().lower()
    recording_id = raw.get("recording_id")
    if recording_id is not None and (
        not isinstance(recording_id, str) or recordings.get_recording(tx, recording_id, user_id) is None
    ):
        raise ApiError(404, "not_found", "no such recording")
    since = parse_time("since", raw["since"]) if "since" in raw else None
    until = parse_time("until", raw["until"]) if "until" in raw else None
    if since is not None and until is not None and since > until:
        raise _bad("since is after until")
    last_n = raw.get("last_n_recordings")
    if last_n is not None:
        last_n = parse_int("last_n_recordings", last_n, 1, LAST_N_MAX)
    return SegmentFilters(voice_id, emotion, recording_id, since, until, last_n)


def parse_search(tx: Tx, user_id: str, body: dict[str, Any]) -> SearchRequest:
    unknown = set(body) - {"query", "top_k", "filters", "index", "ranking"}
    if unknown:
        raise _bad(f"unknown field {sorted(unknown)[0]!r}")
    query = body.get("query")
    if not isinstance(query, str) or not query.strip():
        raise _bad("query must be a non-empty string")
    if len(query) > QUERY_MAX_CHARS:
        raise _bad(f"query is {len(query)} characters; the limit is {QUERY_MAX_CHARS}")
    top_k = parse_int("top_k", body.get("top_k", 10), 1, TOP_K_MAX)
    index = body.get("index", "auto")
    if index not in INDEX_MODES:
        raise _bad(f"index must be one of {', '.join(INDEX_MODES)}")
    ranking = body.get("ranking", "auto")
    if ranking not in RANKINGS:
        raise _bad(f"ranking must be one of {', '.join(RANKINGS)}")
    filters = parse_filters(tx, user_id, body.get("filters"))
    return SearchRequest(" ".join(query.split()), top_k, filters, index, ranking)
