"""Transcript exports that keep speaker labels and times: SRT, WebVTT, JSON, plain text, and RTTM (who
talks when, overlap included, the form diarization tools score and exchange)."""

from __future__ import annotations

import json
from typing import Any

from app import serializers

FORMATS = {
    "srt": ("application/x-subrip", "srt"),
    "vtt": ("text/vtt", "vtt"),
    "json": ("application/json", "json"),
    "txt": ("text/plain", "txt"),
    "rttm": ("text/plain", "rttm"),
}


def _clock(seconds: float, separator: str) -> str:
    millis = int(round(max(seconds, 0.0) * 1000))
    hours, rest = divmod(millis, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    secs, millis = divmod(rest, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}{separator}{millis:03d}"


def _line(segment: dict[str, Any]) -> str:
    return f"{segment['speaker']}: {segment['text']}" if segment.get("speaker") else segment["text"]


def to_srt(segments: list[dict[str, Any]]) -> str:
    blocks = [
        f"{n}\n{_clock(s['start'], ',')} --> {_clock(s['end'], ',')}\n{_line(s)}\n"
        for n, s in enumerate(segments, 1)
    ]
    return "\n".join(blocks)


def to_vtt(segments: list[dict[str, Any]]) -> str:
    def cue(s: dict[str, Any]) -> str:
        # WebVTT's voice tag carries the speaker, so players can style or filter by it.
        text = s["text"].replace("&", "&amp;").replace("<", "&lt;")
        voice = f"<v {s['speaker'].replace('>', '')}>" if s.get("speaker") else ""
        return f"{_clock(s['start'], '.')} --> {_clock(s['end'], '.')}\n{voice}{text}\n"

    return "WEBVTT\n\n" + "\n".join(cue(s) for s in segments)


def to_txt(segments: list[dict[str, Any]], title: str) -> str:
    lines = [title, ""]
    for s in segments:
        stamp = _clock(s["start"], ".")[:-4]
        lines.append(f"[{stamp}] {_line(s)}")
    return "\n".join(lines) + "\n"


def to_rttm(recording: dict[str, Any]) -> str:
    """NIST RTTM: one SPEAKER line per turn; names and the file id may not hold spaces. Before diarization
    has turns, the segments stand in for them."""
    turns = recording.get("speaker_turns") or recording["segments"]
    file_id = "_".join(str(recording["id"]).split())

    def token(name: str | None) -> str:
        return "_".join((name or "unknown").split()) or "unknown"

    return "".join(
        f"SPEAKER {file_id} 1 {t['start']:.3f} {max(t['end'] - t['start'], 0.0):.3f} <NA> <NA> "
        f"{token(t['speaker'])} <NA> <NA>\n"
        for t in turns
    )


def to_json(recording: dict[str, Any]) -> str:
    return json.dumps(recording, indent=2, ensure_ascii=False)


def _as_its_page_shows_it(recording: dict[str, Any]) -> dict[str, Any]:
    """The recording with each segment's and turn's speaker as this recording calls them ("Speaker 1"
    of this meeting, or the name; `app.serializers.public_speakers`): an exported meeting reads like its
    page. The JSON export keeps both (`speakers` maps one to the other)."""
    speakers = recording.get("speakers") or []
    relabelled = {**recording, "segments": serializers.as_in_recording(recording["segments"], speakers)}
    if recording.get("speaker_turns"):
        relabelled["speaker_turns"] = serializers.as_in_recording(recording["speaker_turns"], speakers)
    return relabelled


def render(fmt: str, recording: dict[str, Any]) -> str:
    if fmt == "json":
        return to_json(recording)
    recording = _as_its_page_shows_it(recording)
    segments = recording["segments"]
    if fmt == "srt":
        return to_srt(segments)
    if fmt == "vtt":
        return to_vtt(segments)
    if fmt == "txt":
        return to_txt(segments, recording["title"])
    if fmt == "rttm":
        return to_rttm(recording)
    raise ValueError(f"unknown export format {fmt!r}")
