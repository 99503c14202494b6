"""Speakers: enrolled voices and the unnamed identities found in recordings."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, Field

from app.schemas.base import Answer, Fields, QueryFields, Request, Timestamp
from app.store import voices


def speaker_name(value: str) -> str:
    try:
        return voices.validate_name(value)
    except voices.VoiceError as exc:
        raise ValueError(str(exc)) from exc


# A person's name as every route takes it: spaces collapsed, not blank, at most NAME_MAX characters.
SpeakerName = Annotated[str, Field(min_length=1, max_length=voices.NAME_MAX), AfterValidator(speaker_name)]


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
    name: SpeakerName


class EnrollForm(Fields):
    name: SpeakerName = Field(description="the person's name")


class Enrolling(Answer):
    """Accepted: the voice profile is built by the job."""

    speaker_id: str
    job_id: str
    name: str
