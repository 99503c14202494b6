"""The fields of `POST /v1/audio/transcriptions`, as OpenAI documents them (each error names its
`param`), plus Nemo's own: `store`, and the upload form's `title`, `speakers`, `max_speakers`,
`recorded_at`, `tags`. One model: it checks the request and writes this operation's part of the OpenAPI
document."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, ValidationInfo, field_validator, model_validator
from werkzeug.datastructures import MultiDict

from app.contract.operation import form_values, validated
from app.errors import ApiError
from app.schemas.base import Answer
from app.schemas.recordings import RecordingOptions

RESPONSE_FORMATS = ("json", "text", "srt", "vtt", "verbose_json", "diarized_json")
# Formats a stream can carry: its events hold text only, no times or speakers.
STREAMABLE = ("json", "text")
# OpenAI's alias for "the transcription model"; tools send it unchanged whichever server they talk to.
OPENAI_ALIAS = "whisper-1"
PROMPT_MAX_CHARS = 1000
GRANULARITIES_FIELD = "timestamp_granularities[]"


class TranscriptionForm(RecordingOptions):
    model: str = Field(min_length=1, description="whisper-1, or the ASR model served (GET /v1/models)")
    response_format: Literal[RESPONSE_FORMATS] = "json"  # type: ignore[valid-type]
    timestamp_granularities: list[Literal["word", "segment"]] = Field(
        default_factory=list,
        alias=GRANULARITIES_FIELD,
        description="with verbose_json: word and/or segment (default segment); also read without the []",
    )
    stream: bool = Field(False, description="transcript.text.delta events, then transcript.text.done")
    store: bool = Field(True, description="keep the recording in your memory (false: deleted once answered)")
    language: str | None = Field(None, pattern=r"^[a-z]{2,3}$", description="ISO-639-1, such as 'en'")
    prompt: str | None = Field(None, max_length=PROMPT_MAX_CHARS, description="Whisper's initial prompt")
    temperature: float | None = Field(None, ge=0, le=1, allow_inf_nan=False)

    @model_validator(mode="before")
    @classmethod
    def _granularities_either_way(cls, raw: Any) -> Any:
        """Clients send `timestamp_granularities[]` (OpenAI's own) or the name without brackets."""
        if isinstance(raw, dict) and "timestamp_granularities" in raw:
            raw = dict(raw)
            plain = raw.pop("timestamp_granularities")
            bracketed = raw.get(GRANULARITIES_FIELD, [])
            as_list = lambda v: v if isinstance(v, list) else [v]  # noqa: E731
            raw[GRANULARITIES_FIELD] = as_list(bracketed) + as_list(plain)
        return raw

    @field_validator("model", "prompt", mode="before")
    @classmethod
    def _trimmed(cls, value: object) -> object:
        return value.strip() if isinstance(value, str) else value

    @field_validator("language", mode="before")
    @classmethod
    def _lower(cls, value: object) -> object:
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("timestamp_granularities")
    @classmethod
    def _granularities(cls, value: list[str], info: ValidationInfo) -> list[str]:
        if value and info.data.get("response_format") != "verbose_json":
            raise ValueError("timestamp_granularities[] needs response_format=verbose_json")
        return list(dict.fromkeys(value))

    @field_validator("stream")
    @classmethod
    def _streamable(cls, value: bool, info: ValidationInfo) -> bool:
        if value and info.data.get("response_format", "json") not in STREAMABLE:
            raise ValueError(f"stream=true works with response_format {' or '.join(STREAMABLE)}")
        return value

    @property
    def granularities(self) -> tuple[str, ...]:
        return tuple(self.timestamp_granularities) or ("segment",)

    @property
    def decode_options(self) -> dict:
        """What the ASR engine is told (`workers.asr.DecodeHints`); nothing for a plain request."""
        options: dict = {}
        if self.prompt:
            options["prompt"] = self.prompt
        if self.temperature:
            options["temperature"] = self.temperature
        return options


def check_model(form: TranscriptionForm, models: tuple[str, ...]) -> None:
    """`models` are the ids served."""
    if form.model not in models:
        raise ApiError(
            400,
            "model_not_found",
            f"model {form.model!r} is not served here; use one of: {', '.join(models)}",
            param="model",
        )


def parse(form: MultiDict, models: tuple[str, ...]) -> TranscriptionForm:
    """A request's fields as the endpoint reads them (its contract, then the served models)."""
    wanted = validated(TranscriptionForm, form_values(TranscriptionForm, form, {"file"}))
    check_model(wanted, models)
    return wanted


class Model(Answer):
    """A model served here."""

    id: str
    object: Literal["model"]
    created: int
    owned_by: str


class ModelList(Answer):
    """The models served: OpenAI's alias first, then the ASR model the workers run."""

    object: Literal["list"]
    data: list[Model]
