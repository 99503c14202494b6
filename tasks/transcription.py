"""The `transcription` queue (GPU worker): speech to text per small batch of chunks, diarization, enrollment.

A task transcribes a few ~30 s chunks in one batched pass (NEMO_ASR_BATCH, 4 by default), which on two CPU
cores costs about what one chunk costs alone: higher-priority work waits at most one such task, and a crash
loses at most one batch. A chunk's rows are replaced as a whole, so a batch that runs twice writes them once.
"""

from __future__ import annotations

import json
import logging
import time

import celeryconfig
from app.metrics import record
from app.store import chunks, recordings
from app.store.rows import RecordingRow
from tasks import pipeline
from tasks.diarization import diarize, enroll
from tasks.jobctx import JobContext
from workers.asr import SAMPLE_RATE, AsrEngine, DecodeHints, Segment, with_hints
from workers.engines import configured_asr_engine
from workers.quality import SILENCE_DB, segment_quality
from workers.recover import complete_chunk

# Job progress: 5% once audio is planned, up to 90% as chunks finish, the rest for the later stages.
ASR_START, ASR_END = pipeline.TRANSCRIPTION.progress, pipeline.DIARIZATION.progress
log = logging.getLogger(__name__)
# Below this share of the VAD's speech covered by words, the job carries a warning.
COVERAGE_WARNING = 0.97
# A recording's status once processing found nothing anybody said in it (silence, music, noise).
NO_SPEECH = "no_speech"


def _noise_floor(recording: RecordingRow) -> float:
    quality = json.loads(recording["audio_quality"] or "{}")
    return quality.get("noise_level_dbfs", SILENCE_DB)


def _cut(audio, segment: Segment):
    """A segment's audio inside its chunk's (times relative to the chunk)."""
    return audio[int(max(0.0, segment.start) * SAMPLE_RATE) : int(segment.end * SAMPLE_RATE)]


def detect_language_once(ctx: JobContext, engine: AsrEngine, recording_id: str, audio) -> str | None:
    """Detect the language on the first chunk that needs it and keep it on the recording: the chunks after
    it neither pay for detection again nor drift into another language."""
    detected = engine.detect_language(audio)
    if detected:
        with ctx.store.tx() as tx:
            detected = recordings.keep_detected_language(tx, recording_id, detected)
    return detected


def record_asr_speed(ctx: JobContext, model: str, audio_seconds: float, seconds: float) -> None:
    """The batch's real-time factor (holes decoded again included), for `/metrics`."""
    if audio_seconds <= 0:
        return
    record.increment(ctx.redis, record.ASR_AUDIO_SECONDS, audio_seconds)
    record.observe(ctx.redis, record.ASR_REAL_TIME_FACTOR, seconds / audio_seconds, model=model)


def decode_hints(recording: RecordingRow) -> DecodeHints:
    """The prompt and temperature the uploader gave (the OpenAI-compatible API takes both)."""
    options = json.loads(recording["options"] or "{}")
    return DecodeHints(options.get("prompt"), options.get("temperature"))


@pipeline.job_task(pipeline.TRANSCRIPTION, name=celeryconfig.CHUNKS_TASK, hands_on=False)
def transcribe_chunks(ctx: JobContext, indices: list[int]) -> None:
    """A small batch of chunks in one batched ASR pass. Chunks already done are skipped, and each chunk's
    segments are replaced as a whole, so a batch that runs twice writes its rows once. The batch that
    finishes the last chunk sends the end of transcription."""
    config = ctx.config
    ctx.checkpoint()
    with ctx.store.tx() as tx:
        recording = recordings.get_recording(tx, ctx.job["recording_id"])
        planned = [chunks.get_chunk(tx, recording["id"], idx) for idx in indices]
    if any(chunk is None for chunk in planned):
        raise LookupError(f"chunks {indices} are not all in the plan")
    todo = [chunk for chunk in planned if not chunk["done"]]
    audios, completed = [], []
    if todo:
        engine = with_hints(configured_asr_engine(config), decode_hints(recording))
        audios = [ctx.read_audio(recording["pcm_blob_id"], c["start_s"], c["end_s"]) for c in todo]
        language = recording["language"] or detect_language_once(ctx, engine, recording["id"], audios[0])
        started = time.perf_counter()
        batched = engine.transcribe_batch(audios, language)
        for chunk, audio, segments in zip(todo, audios, batched, strict=True):
            ctx.checkpoint()
            speech = [(a - chunk["start_s"], b - chunk["start_s"]) for a, b in chunks.chunk_speech(chunk)]
            completed.append(complete_chunk(engine, audio, speech, segments, language))
        record_asr_speed(
            ctx, engine.name, sum(len(a) for a in audios) / SAMPLE_RATE, time.perf_counter() - started
        )
        ctx.checkpoint()
    noise_floor = _noise_floor(recording)
    with ctx.store.tx() as tx:
        for chunk, audio, outcome in zip(todo, audios, completed, strict=True):
            rows = [
                {
                    **segment.shifted(chunk["start_s"]).as_row(),
                    "audio_quality": segment_quality(_cut(audio, segment), noise_floor),
                }
                for segment in outcome.segments
            ]
            recordings.replace_chunk_segments(tx, recording["id"], chunk["idx"], rows)
            chunks.set_coverage(
                tx, recording["id"], chunk["idx"], outcome.speech_seconds, outcome.covered_seconds
            )
            _log_redecode(recording["id"], chunk["idx"], outcome)
        for idx in indices:
            finished, total = chunks.mark_done(tx, recording["id"], idx)
        if todo and finished == total:
            recordings.update_recording(tx, recording["id"], asr_model=engine.name)
    ctx.progress(
        "transcription",
        ASR_START + (ASR_END - ASR_START) * finished / total,
        f"chunk {finished}/{total} transcribed",
    )
    if finished == total:
        pipeline.send(celeryconfig.FINISH_TASK, ctx.job_id)


def _log_redecode(recording_id: str, idx: int, outcome) -> None:
    if outcome.sequential_redecode or outcome.clips_decoded:
        log.info(
            "chunk %s of %s decoded again (sequential: %s, clips: %s): %.1f of %.1f s of speech covered",
            idx,
            recording_id,
            outcome.sequential_redecode,
            outcome.clips_decoded,
            outcome.covered_seconds,
            outcome.speech_seconds,
        )


@pipeline.job_task(pipeline.TRANSCRIPTION, name=celeryconfig.FINISH_TASK, hands_on=False)
def finish_transcription(ctx: JobContext) -> None:
    """Runs once per job (the stage claim makes sure), whichever chunk finished last: on to diarization."""
    with ctx.store.tx() as tx:
        after = pipeline.claim_next(tx, ctx, pipeline.TRANSCRIPTION)
        if after is not None:
            speech, covered = chunks.coverage_totals(tx, ctx.job["recording_id"])
            recordings.update_recording(
                tx,
                ctx.job["recording_id"],
                status="transcribed",
                speech_seconds=round(speech, 3),
                covered_seconds=round(covered, 3),
            )
    if after is None:
        return
    if speech > 0 and covered / speech < COVERAGE_WARNING:
        ctx.warn(
            f"speech coverage {covered / speech:.1%}: {speech - covered:.1f} s of the "
            f"{speech:.1f} s of speech found have no words; some speech may be missing"
        )
    pipeline.start(ctx, after, "transcript complete; telling speakers apart")


@pipeline.job_task(pipeline.ENROLLMENT)
def enroll_voice(ctx: JobContext) -> None:
    """Voice vectors for an enrolled profile, one per sample (idempotent: a rerun replaces them)."""
    ctx.progress("enrollment", pipeline.ENROLLMENT.progress, "computing the voice profile")
    enroll(ctx, ctx.job["voice_id"])


def _mark_undiarized(ctx: JobContext) -> None:
    with ctx.store.tx() as tx:
        recordings.update_recording(tx, ctx.job["recording_id"], diarized=0, status="undiarized")


@pipeline.job_task(pipeline.DIARIZATION, on_failure=_mark_undiarized)
def diarize_recording(ctx: JobContext) -> None:
    """Speakers for a finished transcript. A failure here never costs the transcript: the recording is
    marked undiarized, the reason becomes the job's warning, and it is still labelled and indexed. A
    recording with no speech ends here."""
    with ctx.store.tx() as tx:
        recording = recordings.get_recording(tx, ctx.job["recording_id"])
        has_speech = recordings.segment_count(tx, recording["id"]) > 0
    if not has_speech:
        with ctx.store.tx() as tx:
            recordings.update_recording(tx, recording["id"], status=NO_SPEECH)
        ctx.done(warning="no speech was found in this recording")
        return
    diarize(ctx, recording)
