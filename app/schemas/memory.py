"""Search, the emotion of a text, emotion summaries: what a client sends and gets back."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from app.schemas.base import Answer, Request
from models.labels import EMOTIONS

QUERY_MAX_CHARS = 1000
TOP_K_MAX = 100
LAST_N_MAX = 100_000
LATEST_EPOCH = 253_402_300_799  # 9999-12-31T23:59:59Z
EMOTION_TEXT_MAX = 5000
TimeValue = str | float


def moment(name: str, value: Any) -> float:
    """ISO 8601 (a date, or a date and time; UTC unless an offset is given) or epoch seconds, as epoch
    seconds from 1970 to the end of 9999 (not inf, NaN or a 400-digit number)."""
    if isinstance(value, bool):
        raise ValueError(f"{name} must be an ISO 8601 date or time, or epoch seconds")
    if isinstance(value, int | float):
        return _epoch(name, value)
    if isinstance(value, str) and value.strip():
        text = value.strip()
        if len(text) > 64:
            raise ValueError(f"{name} is not a date (it is {len(text)} characters long)")
        try:
            seconds = float(text)
        except ValueError:
            seconds = None
        if seconds is not None:
            return _epoch(name, seconds)
        try:
            when = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            raise ValueError(
                f"{name} is not a date: {text[:40]!r} (use ISO 8601, e.g. 2026-11-24T09:00)"
            ) from None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        return when.timestamp()
    raise ValueError(f"{name} must be an ISO 8601 date or time, or epoch seconds")


def _epoch(name: str, seconds: float) -> float:
    if not 0 <= seconds <= LATEST_EPOCH:  # false for NaN too
        raise ValueError(f"{name} is out of range: epoch seconds from 0 to {LATEST_EPOCH}")
    return float(seconds)


class Filters(Request):
    """Which segments count: by speaker (name, "Speaker N" or id), emotion, recording, time, or the latest
    recordings. An empty value is no filter."""

    speaker: str | None = Field(
        None, max_length=200, description='a name, a label such as "Speaker 2", or an id'
    )
    emotion: str | None = Field(None, description=f"one of {', '.join(EMOTIONS)}")
    recording_id: str | None = Field(None, max_length=64)
    since: TimeValue | None = Field(None, description="ISO 8601 or epoch seconds")
    until: TimeValue | None = Field(None, description="ISO 8601 or epoch seconds")
    last_n_recordings: int | None = Field(None, ge=1, le=LAST_N_MAX)

    @model_validator(mode="before")
    @classmethod
    def _empty_is_absent(cls, raw: Any) -> Any:
        if isinstance(raw, dict):
            return {name: value for name, value in raw.items() if value is not None and value != ""}
        return raw

    @field_validator("speaker")
    @classmethod
    def _speaker(cls, value: str | None) -> str | None:
        if value is not None and not value.strip():
            raise ValueError("speaker must be a speaker's name, label or id")
        return None if value is None else " ".join(value.split())

    @field_validator("emotion")
    @classmethod
    def _emotion(cls, value: str | None) -> str | None:
        if value is not None and value.strip().lower() not in EMOTIONS:
            raise ValueError(f"unknown emotion {value[:40]!r}; emotions are {', '.join(EMOTIONS)}")
        return None if value is None else value.strip().lower()

    @field_validator("since", "until")
    @classmethod
    def _time(cls, value: TimeValue | None, info) -> float | None:
        return None if value is None else moment(info.field_name, value)

    @model_validator(mode="after")
    def _ordered(self) -> Filters:
        if self.since is not None and self.until is not None and self.since > self.until:
            raise ValueError("since is after until")
        return self


class SearchBody(Request):
    query: str = Field(
        min_length=1, max_length=QUERY_MAX_CHARS, description="what to look for, in plain language"
    )
    top_k: int = Field(10, ge=1, le=TOP_K_MAX)
    filters: Filters | None = None
    index: Literal["auto", "exact", "approximate"] = "auto"
    ranking: Literal["auto", "learned", "fused"] = "auto"

    @field_validator("query")
    @classmethod
    def _query(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("query must be a non-empty string")
        return " ".join(value.split())


class SearchHit(Answer):
    score: float = Field(description="the ranking's score; higher is better")
    similarity: float | None = Field(description="cosine similarity of the query and the segment")
    segment_id: str
    recording_id: str
    recording_title: str
    recorded_at: float | None
    start: float
    end: float
    speaker: str | None
    speaker_id: str | None
    text: str
    emotion: str | None
    emotion_scores: dict[str, float] | None
    context_before: list[dict[str, Any]]
    context_after: list[dict[str, Any]]


class SearchResults(Answer):
    """The segments that answer the query, best first, each with its neighbours for context."""

    query: str
    results: list[SearchHit]
    index: Literal["exact", "approximate"] = Field(description="which index served the search")
    ranking: str
    searched: int = Field(description="segments in the caller's index")
    took_ms: float


class EmotionTextBody(Request):
    text: str = Field(min_length=1, max_length=EMOTION_TEXT_MAX)

    @field_validator("text")
    @classmethod
    def _text(cls, value: str) -> str:
        if not value.strip():
            raise ValueError(f"text must be a non-empty string of at most {EMOTION_TEXT_MAX} characters")
        return " ".join(value.split())


class EmotionOfText(Answer):
    """The emotion a text expresses."""

    emotion: str
    confidence: float
    all_scores: dict[str, float]


class EmotionSummaryQuery(Filters):
    bucket: Literal["hour", "day", "week"] = "day"


class SpeakerEmotions(Answer):
    speaker: str | None
    speaker_id: str | None
    counts: dict[str, int]
    total: int


class EmotionSummary(Answer):
    """Emotion counts per speaker and over time."""

    emotions: list[str]
    totals: dict[str, int]
    total: int
    by_speaker: list[SpeakerEmotions]
    over_time: list[dict[str, Any]] = Field(description="{start, counts, total} per period, oldest first")
    bucket_seconds: float
    bucket: Literal["hour", "day", "week"]
