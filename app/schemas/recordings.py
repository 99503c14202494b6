"""Recordings: what an upload may say about itself, the list's filters, corrections, re-diarization."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Literal

from pydantic import Field, field_validator, model_validator

from app.schemas.base import Answer, Fields, QueryFields, Request
from app.schemas.live import language_code
from app.schemas.rows import Recording, Voice
from app.schemas.speakers import SpeakerName

TITLE_MAX = 200
MAX_SPEAKERS_LIMIT = 32
TAGS_MAX = 20
_TAG = re.compile(r"[a-z0-9][a-z0-9 .-]{0,39}")
# A recording's date lies between 1970 and a day from now (clocks drift); a date in year 9999 once made every
# assistant question that found the recording fail.
RECORDED_AT_AHEAD_SECONDS = 86_400
SpeakerCount = int | None


def parse_tag(text: str) -> str:
    """One tag, lower-cased: letters, digits, spaces, dots and hyphens, at most 40 characters."""
    tag = " ".join(text.strip().lower().split())
    if not _TAG.fullmatch(tag):
        raise ValueError(
            "a tag is 1-40 letters, digits, spaces, dots or hyphens, starting with a letter or digit"
        )
    return tag


def recorded_moment(text: str, field: str) -> float:
    """ISO 8601 (a naive time is taken as UTC) to epoch seconds, within 1970 and a day from now."""
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"{field} must be an ISO 8601 date-time, e.g. 2026-11-24T09:30:00Z") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    try:
        stamp = moment.timestamp()
    except (OverflowError, ValueError, OSError):
        raise ValueError(f"{field} is out of range") from None
    if not 0 <= stamp <= datetime.now(UTC).timestamp() + RECORDED_AT_AHEAD_SECONDS:
        raise ValueError(f"{field} must lie between 1970 and now")
    return stamp


class SpeakerCounts(Fields):
    speakers: SpeakerCount = Field(
        None, ge=1, le=MAX_SPEAKERS_LIMIT, description="the exact number of speakers"
    )
    max_speakers: SpeakerCount = Field(None, ge=1, le=MAX_SPEAKERS_LIMIT, description="at most this many")

    @model_validator(mode="after")
    def _consistent(self) -> SpeakerCounts:
        if self.speakers and self.max_speakers and self.speakers > self.max_speakers:
            raise ValueError("speakers cannot exceed max_speakers")
        return self


class RecordingOptions(SpeakerCounts):
    """What an upload may say about itself, besides the audio."""

    title: str | None = Field(None, max_length=TITLE_MAX, description="default: the file's name")
    recorded_at: str | None = Field(
        None, description="ISO 8601; default: the file's own creation time, else now"
    )
    tags: str | None = Field(None, description=f"comma-separated, at most {TAGS_MAX}")

    @field_validator("title")
    @classmethod
    def _title(cls, value: str | None) -> str | None:
        return (value or "").strip() or None

    @field_validator("recorded_at")
    @classmethod
    def _recorded_at(cls, value: str | None) -> str | None:
        if value:
            recorded_moment(value, "recorded_at")
        return value or None

    @field_validator("tags")
    @classmethod
    def _tags(cls, value: str | None) -> str | None:
        tags = list(dict.fromkeys(parse_tag(t) for t in (value or "").split(",") if t.strip()))
        if len(tags) > TAGS_MAX:
            raise ValueError(f"at most {TAGS_MAX} tags")
        return ",".join(tags) or None

    @property
    def tag_list(self) -> list[str]:
        return self.tags.split(",") if self.tags else []

    @property
    def recorded_epoch(self) -> float | None:
        return recorded_moment(self.recorded_at, "recorded_at") if self.recorded_at else None


class UploadForm(RecordingOptions):
    language: str | None = Field(None, description="a language code such as 'en'; absent: detected")
    channels: Literal["mix", "speakers"] = Field(
        "mix", description="mix: one mixture; speakers: each channel of a call is one side of it"
    )

    @field_validator("language")
    @classmethod
    def _language(cls, value: str | None) -> str | None:
        return language_code(value)


class RecordingEdit(Request):
    """A new title or set of tags; what is absent stays."""

    title: str | None = Field(None, min_length=1, max_length=TITLE_MAX)
    tags: list[str] | None = Field(None, max_length=TAGS_MAX, description="replaces the recording's tags")

    @field_validator("title")
    @classmethod
    def _title(cls, value: str | None) -> str | None:
        if value is not None and not value.strip():
            raise ValueError(f"title must be 1 to {TITLE_MAX} characters")
        return None if value is None else " ".join(value.split())

    @field_validator("tags")
    @classmethod
    def _tags(cls, value: list[str] | None) -> list[str] | None:
        return None if value is None else list(dict.fromkeys(parse_tag(tag) for tag in value))

    @model_validator(mode="after")
    def _something(self) -> RecordingEdit:
        if self.title is None and self.tags is None:
            raise ValueError("send title or tags")
        return self


class SummaryQueued(Answer):
    """Accepted: the summary is being written again; the recording's summary_state is "pending" until
    it is done."""

    recording_id: str
    summary_state: Literal["pending"]


class Accepted(Answer):
    """Accepted: follow the job at /api/v1/jobs/{job_id}."""

    job_id: str
    recording_id: str


class RecordingsQuery(QueryFields):
    sha256: str | None = Field(
        None, pattern=r"^[0-9a-f]{64}$", description="only the recording with this content"
    )
    tag: str | None = Field(None, description="only recordings with this tag")
    speaker_id: str | None = Field(
        None, max_length=64, description="only recordings this speaker speaks in (an id from /speakers)"
    )

    @field_validator("tag")
    @classmethod
    def _tag(cls, value: str | None) -> str | None:
        return None if value is None else parse_tag(value)


class RecordingList(Answer):
    """Your recordings, newest first, each with its latest job."""

    recordings: list[Recording]


class ExportQuery(QueryFields):
    format: Literal["srt", "vtt", "json", "txt", "rttm"]


class SpeakerNameBody(Request):
    name: SpeakerName
    add_to_profile: bool = Field(True, description="also learn this recording's voice into the named profile")


class RecordingSpeaker(Answer):
    """The speaker as now named in this recording."""

    recording_id: str
    speaker: Voice


class DiarizeBody(Request):
    speakers: int | None = Field(None, ge=1, le=MAX_SPEAKERS_LIMIT, description="null: estimate")
    max_speakers: int | None = Field(None, ge=1, le=MAX_SPEAKERS_LIMIT)

    @model_validator(mode="after")
    def _consistent(self) -> DiarizeBody:
        if self.speakers and self.max_speakers and self.speakers > self.max_speakers:
            raise ValueError("speakers cannot exceed max_speakers")
        return self
