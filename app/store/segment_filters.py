"""Filters over a user's segments, as SQL: the same conditions narrow vector search, keyword search and the
emotion summaries, so a filter means one thing everywhere and really excludes what it does not match."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class SegmentFilters:
    voice_id: str | None = None
    emotion: str | None = None
    recording_id: str | None = None
    # Epoch seconds, compared with the moment the segment was spoken: recorded_at + start.
    since: float | None = None
    until: float | None = None
    last_n_recordings: int | None = None

    @property
    def empty(self) -> bool:
        return all(value is None for value in asdict(self).values())

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> SegmentFilters:
        return cls(**(data or {}))


def where_clause(filters: SegmentFilters, user_id: str) -> tuple[str, list[Any]]:
    """` AND ...` conditions over `s` (segments) and `r` (recordings), with their parameters."""
    sql, params = [], []
    if filters.voice_id is not None:
        sql.append("s.voice_id = ?")
        params.append(filters.voice_id)
    if filters.emotion is not None:
        sql.append("s.emotion = ?")
        params.append(filters.emotion)
    if filters.recording_id is not None:
        sql.append("r.id = ?")
        params.append(filters.recording_id)
    if filters.since is not None:
        sql.append("r.recorded_at + s.start_s >= ?")
        params.append(filters.since)
    if filters.until is not None:
        sql.append("r.recorded_at + s.start_s <= ?")
        params.append(filters.until)
    if filters.last_n_recordings is not None:
        sql.append("r.id IN (SELECT id FROM recordings WHERE user_id = ? ORDER BY recorded_at DESC LIMIT ?)")
        params.extend([user_id, filters.last_n_recordings])
    return "".join(f" AND {condition}" for condition in sql), params
