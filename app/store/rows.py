"""The rows that cross modules, as the store returns them: what each holds and of what type. They are plain
dicts at run time (typed dictionaries), so `row["title"]` reads as before; a reader and a type checker see
the columns. JSON columns hold their text (the serializers in `app.serializers` parse them)."""

from __future__ import annotations

from typing import TypedDict


class RecordingRow(TypedDict):
    id: str
    user_id: str
    title: str
    original_filename: str | None
    content_sha256: str
    size_bytes: int
    duration_seconds: float
    audio_format: str | None
    blob_id: str
    pcm_blob_id: str | None  # set once the audio stage decoded it
    language: str | None  # given at upload, or detected on the first chunk
    options: str  # JSON: speakers, max_speakers, channels
    status: str  # queued, transcribing, transcribed, diarized, undiarized, no_speech
    asr_model: str | None
    diarized: int
    recorded_at: float
    created_at: float
    summary: str | None
    action_items: str | None  # JSON list
    summary_state: str | None  # pending, done, failed; None before processing finished
    summary_model: str | None
    speech_seconds: float | None  # what the VAD heard; None until transcription ended
    covered_seconds: float | None  # of that, what words account for
    audio_quality: str | None  # JSON
    channel_turns: str | None  # JSON [[start, end, channel]] for channels=speakers
    speaker_turns: str | None  # JSON [[start, end, voice_id]], overlap included
    tags: str | None  # JSON ["tag", ...]


class SegmentRow(TypedDict):
    """A segment with its voice's name and number (`recordings.SEGMENT_SELECT`)."""

    id: str
    chunk_index: int
    seq: int
    start_s: float
    end_s: float
    text: str
    words: str  # JSON [{start, end, word, probability}]
    avg_logprob: float | None  # the decoder's mean token log-probability (None for engines without one)
    voice_id: str | None
    speaker_locked: int  # a person chose the speaker: diarization keeps it
    text_edited: int  # a person corrected the words: transcription keeps them
    emotion: str | None
    emotion_scores: str | None  # JSON {emotion: score}
    audio_quality: str | None  # JSON
    voice_name: str | None
    voice_number: int | None


class JobRow(TypedDict):
    id: str
    user_id: str
    recording_id: str | None
    voice_id: str | None  # an enrollment's voice
    kind: str  # transcribe, diarize, enroll (tasks.pipeline.PIPELINES)
    state: str  # queued, running, done, failed, cancelled
    stage: str  # queued, or the name of a stage of its kind's pipeline, or done
    progress: float
    error: str | None
    warning: str | None
    created_at: float
    updated_at: float


class VoiceRow(TypedDict):
    id: str
    user_id: str
    name: str | None  # None: an unnamed identity, shown as "Speaker <number>"
    number: int
    created_at: float
