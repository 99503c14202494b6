"""The shapes of the rows the API answers with (app/serializers.py writes them; these declare them)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from app.schemas.base import Answer, Timestamp


class Job(Answer):
    """A job: its kind, state, stage and progress."""

    id: str
    recording_id: str | None
    speaker_id: str | None = Field(description="the voice an enrollment job builds")
    kind: str = Field(description="transcribe, transcript_only, diarize, enroll, relabel, ...")
    state: Literal["queued", "running", "done", "failed", "cancelled"]
    stage: str | None
    progress: float = Field(ge=0, le=1)
    error: str | None
    warning: str | None
    created_at: Timestamp
    updated_at: Timestamp


class Voice(Answer):
    """A speaker: an enrolled (named) voice or an unnamed identity found in recordings."""

    id: str
    name: str | None
    label: str = Field(description='the name, or "Speaker N" while unnamed')
    enrolled: bool
    created_at: Timestamp


class Segment(Answer):
    """One stretch of speech: its words with times, its speaker and its emotion."""

    id: str
    start: float
    end: float
    speaker: str | None
    speaker_id: str | None
    text: str
    words: list[dict[str, Any]]
    edited: bool = Field(description="a person corrected the text or the speaker")
    emotion: str | None
    emotion_scores: dict[str, float] | None
    audio_quality: dict[str, Any] | None


class RecordingSpeakerLabel(Answer):
    """One speaker of a recording, in the order diarization first heard them."""

    id: str
    name: str | None
    label: str = Field(description='who they are in every recording: the name, or "Speaker N" while unnamed')
    label_in_recording: str = Field(
        description='how this recording calls them: the name, or "Speaker 1, 2, ..." numbered in this '
        "recording in the order diarization first heard them (what its page and exports show; correcting "
        "a line does not renumber them)"
    )


class SpeechCoverage(Answer):
    speech_seconds: float
    covered_seconds: float
    ratio: float | None


class Recording(Answer):
    """A recording; with its segments and speaker turns when read one at a time."""

    id: str
    title: str
    status: str
    filename: str
    sha256: str
    size_bytes: int
    duration: float
    language: str | None
    asr_model: str | None
    recorded_at: Timestamp | None
    diarized: bool
    created_at: Timestamp
    summary_state: str | None
    summary: str | None
    action_items: list[Any]
    speech_coverage: SpeechCoverage | None
    audio_quality: dict[str, Any] | None
    speech_found: bool | None = Field(description="false once processing found nobody speaking")
    tags: list[str]
    speakers: list[RecordingSpeakerLabel] | None = Field(
        None, description="who speaks in it (in lists and when read one at a time)"
    )
    job: Job | None = None
    segments: list[Segment] | None = None
    speaker_turns: list[dict[str, Any]] | None = None


class StreamChunk(Answer):
    seq: int
    duration: float
    text: str | None


class Stream(Answer):
    """A live stream: open while chunks arrive, then closed into a recording."""

    stream_id: str
    title: str
    language: str | None
    state: Literal["open", "closed"]
    recording_id: str | None
    job_id: str | None
    created_at: Timestamp
    closed_at: Timestamp | None
    chunks: list[StreamChunk] | None = None
    transcript: str | None = None


class Chat(Answer):
    """One question to the assistant and its answer (while it is written, and once done)."""

    chat_id: str
    conversation_id: str
    state: str
    messages: list[dict[str, Any]]
    use_memory: bool
    max_tokens: int
    temperature: float
    answer: str | None
    citations: list[dict[str, Any]] | None
    usage: dict[str, Any] | None
    timings: dict[str, Any] | None
    model: str | None
    error: str | None
    created_at: Timestamp
    finished_at: Timestamp | None
