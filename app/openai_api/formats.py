"""A finished transcript in each of OpenAI's response formats. Speakers are Nemo's own: the names of
enrolled voices, "Speaker N" otherwise. `diarized_json` carries them per segment (OpenAI labels its
speakers A, B, ...), `srt` and `vtt` as the exports write them; the OpenAI formats that have no field for
a speaker carry it as an extra `speaker` key on each segment, which OpenAI's clients keep."""

from __future__ import annotations

import zlib
from typing import Any

from app import exports

# verbose_json names the language in English, as Whisper does.
LANGUAGE_NAMES = {
    "en": "english", "de": "german", "fr": "french", "es": "spanish", "it": "italian", "pt": "portuguese",
    "nl": "dutch", "pl": "polish", "ru": "russian", "uk": "ukrainian", "tr": "turkish", "ar": "arabic",
    "hi": "hindi", "ja": "japanese", "ko": "korean", "zh": "chinese", "sv": "swedish", "da": "danish",
    "no": "norwegian", "fi": "finnish", "cs": "czech", "el": "greek", "he": "hebrew", "id": "indonesian",
    "vi": "vietnamese", "th": "thai", "ro": "romanian", "hu": "hungarian", "ca": "catalan",
}  # fmt: skip


def transcript_text(segments: list[dict[str, Any]]) -> str:
    return " ".join(s["text"].strip() for s in segments if s["text"].strip())


def usage(duration: float) -> dict[str, Any]:
    """Whisper-style usage: audio seconds, which is what a transcription costs."""
    return {"type": "duration", "seconds": round(duration, 3)}


def _compression_ratio(text: str) -> float:
    raw = text.encode("utf-8")
    return round(len(raw) / len(zlib.compress(raw)), 3) if raw else 0.0


def verbose(
    recording: dict[str, Any], granularities: tuple[str, ...], temperature: float | None
) -> dict[str, Any]:
    segments = recording["segments"]
    body: dict[str, Any] = {
        "task": "transcribe",
        "language": LANGUAGE_NAMES.get(recording["language"] or "", recording["language"] or ""),
        "duration": recording["duration"],
        "text": transcript_text(segments),
        "usage": usage(recording["duration"]),
    }
    if "segment" in granularities:
        body["segments"] = [
            {
                "id": n,
                "seek": int(s["start"] * 100),  # Whisper's window offset, in 10 ms frames
                "start": s["start"],
                "end": s["end"],
                "text": s["text"],
                "tokens": [],
                "temperature": temperature or 0.0,
                "avg_logprob": s.get("avg_logprob") or 0.0,
                "compression_ratio": _compression_ratio(s["text"]),
                "no_speech_prob": 0.0,  # the VAD already kept only speech
                "speaker": s["speaker"],
            }
            for n, s in enumerate(segments)
        ]
    if "word" in granularities:
        body["words"] = [
            {"word": w["word"], "start": w["start"], "end": w["end"]} for s in segments for w in s["words"]
        ]
    return body


def diarized(recording: dict[str, Any]) -> dict[str, Any]:
    segments = recording["segments"]
    return {
        "task": "transcribe",
        "duration": recording["duration"],
        "text": transcript_text(segments),
        "segments": [
            {
                "type": "transcript.text.segment",
                "id": f"seg_{n:03d}",
                "start": s["start"],
                "end": s["end"],
                "text": s["text"],
                "speaker": s["speaker"] or "unknown",
                "speaker_id": s["speaker_id"],
            }
            for n, s in enumerate(segments)
        ],
        "usage": usage(recording["duration"]),
    }


def render(
    response_format: str,
    recording: dict[str, Any],
    granularities: tuple[str, ...] = ("segment",),
    temperature: float | None = None,
) -> tuple[dict[str, Any] | str, str]:
    """The response body (a dict for JSON) and its media type."""
    segments = recording["segments"]
    if response_format == "text":
        return transcript_text(segments) + "\n", "text/plain"
    if response_format == "srt":
        return exports.to_srt(segments), "text/plain"
    if response_format == "vtt":
        return exports.to_vtt(segments), "text/vtt"
    if response_format == "verbose_json":
        return verbose(recording, granularities, temperature), "application/json"
    if response_format == "diarized_json":
        return diarized(recording), "application/json"
    return {"text": transcript_text(segments), "usage": usage(recording["duration"])}, "application/json"
