"""Live streams: opening one, sending chunks."""

from __future__ import annotations

import re

from pydantic import Field, field_validator

from app.languages import CODE_OF_NAME, LANGUAGES
from app.schemas.base import Answer, Fields

MAX_SEQ = 10_000_000
TITLE_MAX = 200
_LANGUAGE = re.compile(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*|[A-Za-z]{4,16}")


def language_code(value: str | None) -> str | None:
    """'en', 'pt-BR' (read as 'pt'), 'English': a language the ASR knows (app/languages.py), or None
    for "detect it"."""
    value = (value or "").strip()
    if not value:
        return None
    if len(value) > 16 or not _LANGUAGE.fullmatch(value):
        raise ValueError("language must be a language code such as 'en'")
    code = CODE_OF_NAME.get(value.lower()) or value.lower().split("-")[0]
    if code not in LANGUAGES:
        raise ValueError(f"{value[:16]!r} is not a language the transcriber knows; use a code such as 'en'")
    return code


class OpenStreamBody(Fields):
    """JSON or form fields."""

    title: str | None = Field(None, max_length=TITLE_MAX, description="default: Live <date> UTC")
    language: str | None = Field(None, description="a language code such as 'en'; absent: detected")

    @field_validator("language")
    @classmethod
    def _language(cls, value: str | None) -> str | None:
        return language_code(value)


class ChunkForm(Fields):
    seq: int = Field(ge=0, le=MAX_SEQ, description="the chunk's number; chunks may arrive out of order")


class ChunkAccepted(Answer):
    """Queued for transcription (202), or a repeat of a chunk already received (200)."""

    stream_id: str
    seq: int
    duration: float | None = None
    duplicate: bool | None = None
