"""The `transcription` queue (GPU worker): speech to text per chunk, then the end of the transcription stage.

Each chunk is its own task, so higher-priority work waits at most one chunk, and a crash loses at most one
chunk. A chunk's rows are replaced as a whole, so a chunk that runs twice writes its segments once.
"""

from __future__ import annotations

import logging

import numpy as np
from celery import shared_task

import celeryconfig
from app.store import chunks, jobs, recordings
from tasks.diarization import diarize, enroll
from tasks.jobctx import JobCancelled, JobContext
from workers.asr import asr_engine
from workers.audio import BYTES_PER_SAMPLE, SAMPLE_RATE
from workers.pool import model_pool

# Job progress: 5% once audio is planned, up to 90% as chunks finish, the rest for the later stages.
ASR_START, ASR_END = 0.05, 0.90
FINISH_TASK = "tasks.transcription.finish_transcription"
DIARIZE_TASK = "tasks.transcription.diarize_recording"
log = logging.getLogger(__name__)


def chunk_audio(ctx: JobContext, pcm_blob_id: str, start_s: float, end_s: float) -> np.ndarray:
    first = int(start_s * SAMPLE_RATE) * BYTES_PER_SAMPLE
    last = int(end_s * SAMPLE_RATE) * BYTES_PER_SAMPLE
    raw = ctx.blobs.read_range(pcm_blob_id, first, last)
    return np.frombuffer(raw, dtype="<i2").astype(np.float32) / 32768.0


@shared_task(name="tasks.transcription.transcribe_chunk", bind=True)
def transcribe_chunk(self, job_id: str, idx: int) -> None:
    ctx = JobContext(job_id)
    if ctx.finished:
        return
    config = ctx.config
    try:
        ctx.checkpoint()
        with ctx.store.tx() as tx:
            recording = recordings.get_recording(tx, ctx.job["recording_id"])
            chunk = chunks.get_chunk(tx, recording["id"], idx)
        if chunk is None:
            raise LookupError(f"chunk {idx} is not in the plan")
        if not chunk["done"]:
            engine = asr_engine(
                model_pool(config.MODEL_BUDGET_BYTES),
                config.ASR_MODEL,
                config.ASR_DEVICE,
                config.ASR_COMPUTE_TYPE,
                config.WORKER_THREADS,
            )
            audio = chunk_audio(ctx, recording["pcm_blob_id"], chunk["start_s"], chunk["end_s"])
            rows = []
            for segment in engine.transcribe(audio, recording["language"]):
                ctx.checkpoint()
                rows.append(segment.shifted(chunk["start_s"]).as_row())
            with ctx.store.tx() as tx:
                recordings.replace_chunk_segments(tx, recording["id"], idx, rows)
                finished, total = chunks.mark_done(tx, recording["id"], idx)
                if finished == total:
                    recordings.update_recording(tx, recording["id"], asr_model=engine.name)
            ctx.progress(
                "transcription",
                ASR_START + (ASR_END - ASR_START) * finished / total,
                f"chunk {finished}/{total} transcribed",
            )
        else:
            with ctx.store.tx() as tx:
                finished, total = chunks.mark_done(tx, recording["id"], idx)
    except JobCancelled:
        return
    except Exception as exc:
        ctx.fail(f"transcription of chunk {idx}: {exc}")
        raise
    if finished == total:
        self.app.send_task(FINISH_TASK, args=[job_id], priority=celeryconfig.PRIORITY_BATCH)


@shared_task(name="tasks.transcription.finish_transcription", bind=True)
def finish_transcription(self, job_id: str) -> None:
    """Runs once per job (the stage claim makes sure), whichever chunk finished last: on to diarization."""
    ctx = JobContext(job_id)
    if ctx.finished:
        return
    with ctx.store.tx() as tx:
        claimed = jobs.advance_stage(tx, job_id, "transcription", "diarization")
        if claimed:
            recordings.update_recording(tx, ctx.job["recording_id"], status="transcribed")
    if claimed:
        ctx.progress("diarization", ASR_END, "transcript complete; telling speakers apart")
        self.app.send_task(DIARIZE_TASK, args=[job_id], priority=celeryconfig.PRIORITY_BATCH)


@shared_task(name="tasks.transcription.enroll_voice", bind=True)
def enroll_voice(self, job_id: str) -> None:
    """Voice vectors for an enrolled profile, one per sample (idempotent: a rerun replaces them)."""
    ctx = JobContext(job_id)
    if ctx.finished:
        return
    try:
        ctx.progress("enrollment", 0.1, "computing the voice profile")
        enroll(ctx, ctx.job["voice_id"])
    except JobCancelled:
        return
    except Exception as exc:
        ctx.fail(f"enrollment: {exc}")
        raise
    ctx.done()


@shared_task(name="tasks.transcription.diarize_recording", bind=True)
def diarize_recording(self, job_id: str) -> None:
    """Speakers for a finished transcript. A failure here never costs the transcript: the job still ends
    done, the recording marked undiarized, with the reason as the job's warning."""
    ctx = JobContext(job_id)
    if ctx.finished:
        return
    with ctx.store.tx() as tx:
        recording = recordings.get_recording(tx, ctx.job["recording_id"])
        has_speech = tx.one("SELECT count(*) AS n FROM segments WHERE recording_id = ?", (recording["id"],))[
            "n"
        ]
    if not has_speech:
        ctx.done(warning="no speech was found in this recording")
        return
    try:
        diarize(ctx, recording)
    except JobCancelled:
        return
    except Exception as exc:  # noqa: BLE001 - finished work is kept whatever went wrong here
        log.exception("diarization of %s failed", recording["id"])
        with ctx.store.tx() as tx:
            recordings.update_recording(tx, recording["id"], diarized=0, status="undiarized")
        ctx.done(
            warning=f"speakers could not be told apart ({type(exc).__name__}: {exc}); the transcript is kept"
        )
        return
    ctx.done()
