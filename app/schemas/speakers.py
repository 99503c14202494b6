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


def person_name(value: str) -> str:
    if voices.looks_unnamed(value):
        raise ValueError(f"{value!r} is how an unnamed speaker is shown; give a person's name")
    return value


# A speaker as a route takes one: spaces collapsed, not blank, at most NAME_MAX characters; a name, or
# the label "Speaker N" of an unnamed voice.
SpeakerName = Annotated[str, Field(min_length=1, max_length=voices.NAME_MAX), AfterValidator(speaker_name)]
# A new name for a person: a SpeakerName that is not a "Speaker N" label.
PersonName = Annotated[SpeakerName, AfterValidator(person_name)]


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


class SpeakerSample(Answer):
    id: str
    seconds: float = Field(description="seconds of voice in it")
    created_at: Timestamp
    audio: str = Field(description="where to play it (byte ranges served)")


class SpeakerSamples(Answer):
    """The samples a voice was enrolled from."""

    samples: list[SpeakerSample]


class NameBody(Request):
    name: PersonName


class EnrollForm(Fields):
    name: PersonName = Field(description="the person's name")


class Enrolling(Answer):
    """Accepted: the voice profile is built by the job."""

    speaker_id: str
    job_id: str
    name: str


class MergeBody(Request):
    into: str = Field(min_length=1, max_length=64, description="the speaker who remains (an id)")
