"""The `transcription` queue (GPU worker): speech to text with word timings."""

from __future__ import annotations

import tempfile
from pathlib import Path

from celery import shared_task

from app.store import recordings
from tasks.jobctx import JobCancelled, JobContext
from workers.asr import asr_engine
from workers.audio import read_pcm16
from workers.pool import model_pool

# Progress from 5% (audio decoded) to 95%; the rest is for writing and the stages that follow.
ASR_START, ASR_END = 0.05, 0.95


@shared_task(name="tasks.transcription.transcribe_recording", bind=True)
def transcribe_recording(self, job_id: str, chunk_index: int = 0) -> None:
    ctx = JobContext(job_id)
    if ctx.finished:
        return
    config = ctx.config
    try:
        ctx.progress("transcription", ASR_START, f"loading {config.ASR_MODEL}")
        with ctx.store.tx() as tx:
            recording = recordings.get_recording(tx, ctx.job["recording_id"])
        engine = asr_engine(
            model_pool(config.MODEL_BUDGET_BYTES),
            config.ASR_MODEL,
            config.ASR_DEVICE,
            config.ASR_COMPUTE_TYPE,
            config.WORKER_THREADS,
        )
        spool = config.INSTANCE_DIR / "tmp"
        spool.mkdir(parents=True, exist_ok=True, mode=0o700)
        with tempfile.TemporaryDirectory(dir=spool) as tmp:
            pcm = Path(tmp) / "pcm"
            ctx.blobs.read_to_file(recording["pcm_blob_id"], pcm)
            audio = read_pcm16(pcm)
        duration = max(len(audio) / 16_000, 1e-6)
        segments = []
        for segment in engine.transcribe(audio, recording["language"]):
            segments.append(segment.as_row())
            done = ASR_START + (ASR_END - ASR_START) * min(segment.end / duration, 1.0)
            ctx.progress("transcription", done, f"{segment.end:.1f} s transcribed")
        with ctx.store.tx() as tx:
            recordings.replace_chunk_segments(tx, recording["id"], chunk_index, segments)
            recordings.update_recording(tx, recording["id"], status="transcribed", asr_model=engine.name)
    except JobCancelled:
        return
    except Exception as exc:
        ctx.fail(f"transcription stage: {exc}")
        raise
    ctx.done()
