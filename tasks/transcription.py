"""The `transcription` queue (GPU worker): speech to text per chunk, then the end of the transcription stage.

Each chunk is its own task, so higher-priority work waits at most one chunk, and a crash loses at most one
chunk. A chunk's rows are replaced as a whole, so a chunk that runs twice writes its segments once.
"""

from __future__ import annotations

import numpy as np
from celery import shared_task

import celeryconfig
from app.store import chunks, jobs, recordings
from tasks.jobctx import JobCancelled, JobContext
from workers.asr import asr_engine
from workers.audio import BYTES_PER_SAMPLE, SAMPLE_RATE
from workers.pool import model_pool

# Job progress: 5% once audio is planned, up to 90% as chunks finish, the rest for the later stages.
ASR_START, ASR_END = 0.05, 0.90
FINISH_TASK = "tasks.transcription.finish_transcription"


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
    """Runs once per job (the stage claim makes sure), whichever chunk finished last."""
    ctx = JobContext(job_id)
    if ctx.finished:
        return
    with ctx.store.tx() as tx:
        claimed = jobs.advance_stage(tx, job_id, "transcription", "finishing")
        recording = recordings.get_recording(tx, ctx.job["recording_id"])
        count = tx.one("SELECT count(*) AS n FROM segments WHERE recording_id = ?", (recording["id"],))["n"]
        if claimed:
            recordings.update_recording(tx, recording["id"], status="transcribed")
    if claimed:
        ctx.done(warning=None if count else "no speech was found in this recording")
