"""Corrections to a segment: its words, or who really spoke it."""

from __future__ import annotations

from pydantic import Field, field_validator, model_validator

from app.schemas.base import Request
from app.schemas.speakers import SpeakerName

TEXT_MAX = 5000


class SegmentCorrection(Request):
    text: str | None = Field(None, min_length=1, max_length=TEXT_MAX, description="the words as really said")
    speaker_id: str | None = Field(None, max_length=64, description="the voice that really spoke it")
    speaker: SpeakerName | None = Field(None, description="a name: an existing speaker, else a new one")

    @field_validator("text")
    @classmethod
    def _text(cls, value: str | None) -> str | None:
        if value is not None and not value.strip():
            raise ValueError(f"text must be 1 to {TEXT_MAX} characters")
        return None if value is None else " ".join(value.split())

    @model_validator(mode="after")
    def _one_change(self) -> SegmentCorrection:
        if self.text is None and self.speaker_id is None and self.speaker is None:
            raise ValueError("send text, speaker_id or speaker")
        if self.speaker_id is not None and self.speaker is not None:
            raise ValueError("send speaker_id or speaker, not both")
        return self
