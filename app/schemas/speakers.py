"""Speakers: enrolled voices and the unnamed identities found in recordings."""

from __future__ import annotations

from pydantic import Field, field_validator

from app.schemas.base import Answer, Fields, QueryFields, Request, Timestamp
from app.store import voices


def speaker_name(value: str) -> str:
    try:
        return voices.validate_name(value)
    except voices.VoiceError as exc:
        raise ValueError(str(exc)) from exc


class SpeakersQuery(QueryFields):
    enrolled: bool = Field(False, description="only the named (enrolled) voices")


class SpeakerUsage(Answer):
    """A speaker and where they speak."""

    id: str
    name: str | None
    label: str
    enrolled: bool
    created_at: Timestamp
    recordings: int = Field(description="recordings the speaker is heard in")
    samples: int = Field(description="enrollment samples")


class Speakers(Answer):
    """Your speakers, named and unnamed."""

    speakers: list[SpeakerUsage]


class NameBody(Request):
    name: str = Field(min_length=1, max_length=voices.NAME_MAX)

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        return speaker_name(value)


class EnrollForm(Fields):
    name: str = Field(min_length=1, max_length=voices.NAME_MAX, description="the person's name")

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        return speaker_name(value)


class Enrolling(Answer):
    """Accepted: the voice profile is built by the job."""

    speaker_id: str
    job_id: str
    name: str
