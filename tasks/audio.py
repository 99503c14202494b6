"""The `audio` queue: decode an upload to 16 kHz mono PCM for the stages after it."""

from __future__ import annotations

import tempfile
from pathlib import Path

from celery import shared_task

import celeryconfig
from app.store import recordings
from tasks.jobctx import JobCancelled, JobContext
from workers.audio import decode_to_pcm16

TRANSCRIBE_TASK = "tasks.transcription.transcribe_recording"


@shared_task(name="tasks.audio.prepare_recording", bind=True, max_retries=3)
def prepare_recording(self, job_id: str) -> None:
    ctx = JobContext(job_id)
    if ctx.finished:
        return
    try:
        ctx.progress("audio", 0.01, "decoding audio")
        with ctx.store.tx() as tx:
            recording = recordings.get_recording(tx, ctx.job["recording_id"])
        if recording["pcm_blob_id"] is None or not ctx.blobs.exists(recording["pcm_blob_id"]):
            spool = ctx.config.INSTANCE_DIR / "tmp"
            spool.mkdir(parents=True, exist_ok=True, mode=0o700)
            with tempfile.TemporaryDirectory(dir=spool) as tmp:
                original, pcm = Path(tmp) / "original", Path(tmp) / "pcm"
                ctx.blobs.read_to_file(recording["blob_id"], original)
                duration = decode_to_pcm16(original, pcm)
                pcm_blob = ctx.blobs.put_file(pcm)
            with ctx.store.tx() as tx:
                recordings.update_recording(tx, recording["id"], pcm_blob_id=pcm_blob, status="decoded")
            message = f"decoded {duration:.1f} s of audio"
        else:
            message = "audio already decoded"
        ctx.progress("audio", 0.05, message)
    except JobCancelled:
        return
    except Exception as exc:
        ctx.fail(f"audio stage: {exc}")
        raise
    # Chunked ASR (one task per ~30 s chunk) takes over from here in the next stage of the pipeline.
    self.app.send_task(TRANSCRIBE_TASK, args=[job_id], priority=celeryconfig.PRIORITY_BATCH)
