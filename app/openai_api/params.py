"""The fields of `POST /v1/audio/transcriptions`, checked as OpenAI checks them (each error names its
`param`), plus Nemo's own: `store`, and the upload form's `title`, `speakers`, `max_speakers`,
`recorded_at`."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from werkzeug.datastructures import MultiDict

from app.errors import ApiError

RESPONSE_FORMATS = ("json", "text", "srt", "vtt", "verbose_json", "diarized_json")
GRANULARITIES = ("word", "segment")
# Formats a stream can carry: its events hold text only, no times or speakers.
STREAMABLE = ("json", "text")
# OpenAI's alias for "the transcription model"; tools send it unchanged whichever server they talk to.
OPENAI_ALIAS = "whisper-1"
PROMPT_MAX_CHARS = 1000
_LANGUAGE = re.compile(r"^[a-z]{2,3}$")
_TRUE, _FALSE = ("true", "1", "yes"), ("false", "0", "no")


@dataclass(frozen=True)
class TranscriptionParams:
    model: str
    response_format: str
    granularities: tuple[str, ...]
    stream: bool
    store: bool
    language: str | None
    prompt: str | None
    temperature: float | None

    @property
    def decode_options(self) -> dict:
        """What the ASR engine is told (`workers.asr.DecodeHints`); nothing for a plain request."""
        options: dict = {}
        if self.prompt:
            options["prompt"] = self.prompt
        if self.temperature:
            options["temperature"] = self.temperature
        return options


def _flag(form: MultiDict, name: str, default: bool) -> bool:
    raw = (form.get(name) or "").strip().lower()
    if not raw:
        return default
    if raw in _TRUE:
        return True
    if raw in _FALSE:
        return False
    raise ApiError(400, "invalid_value", f"{name} must be true or false", param=name)


def _temperature(form: MultiDict) -> float | None:
    raw = (form.get("temperature") or "").strip()
    if not raw:
        return None
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not 0.0 <= value <= 1.0:  # NaN fails too
        raise ApiError(400, "invalid_value", "temperature must be a number from 0 to 1", param="temperature")
    return value


def parse(form: MultiDict, models: tuple[str, ...]) -> TranscriptionParams:
    """The request's options, or a 400 naming the field at fault. `models` are the ids served."""
    model = (form.get("model") or "").strip()
    if not model:
        raise ApiError(400, "missing_required_parameter", "model is required, e.g. whisper-1", param="model")
    if model not in models:
        raise ApiError(
            400,
            "model_not_found",
            f"model {model!r} is not served here; use one of: {', '.join(models)}",
            param="model",
        )
    response_format = (form.get("response_format") or "json").strip()
    if response_format not in RESPONSE_FORMATS:
        raise ApiError(
            400,
            "invalid_value",
            f"response_format must be one of: {', '.join(RESPONSE_FORMATS)}",
            param="response_format",
        )
    granularities = tuple(
        dict.fromkeys(
            g.strip()
            for g in form.getlist("timestamp_granularities[]") + form.getlist("timestamp_granularities")
            if g.strip()
        )
    )
    if any(g not in GRANULARITIES for g in granularities):
        raise ApiError(
            400,
            "invalid_value",
            "timestamp_granularities[] takes word and/or segment",
            param="timestamp_granularities",
        )
    if granularities and response_format != "verbose_json":
        raise ApiError(
            400,
            "invalid_value",
            "timestamp_granularities[] needs response_format=verbose_json",
            param="timestamp_granularities",
        )
    stream = _flag(form, "stream", False)
    if stream and response_format not in STREAMABLE:
        raise ApiError(
            400,
            "invalid_value",
            f"stream=true works with response_format {' or '.join(STREAMABLE)}",
            param="stream",
        )
    language = (form.get("language") or "").strip().lower() or None
    if language is not None and not _LANGUAGE.match(language):
        raise ApiError(
            400, "invalid_value", "language must be an ISO-639-1 code such as 'en'", param="language"
        )
    prompt = (form.get("prompt") or "").strip() or None
    if prompt is not None and len(prompt) > PROMPT_MAX_CHARS:
        raise ApiError(
            400, "invalid_value", f"prompt must be at most {PROMPT_MAX_CHARS} characters", param="prompt"
        )
    return TranscriptionParams(
        model=model,
        response_format=response_format,
        granularities=granularities or ("segment",),
        stream=stream,
        store=_flag(form, "store", True),
        language=language,
        prompt=prompt,
        temperature=_temperature(form),
    )
