"""What every job task does around its real work: state, progress events, cancellation checkpoints."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np
import redis
from flask import current_app

from app import events
from app.blobs import BlobStore
from app.config import Config
from app.serializers import public_job
from app.store import Store, jobs, recordings
from app.store.rows import JobRow
from app.webhooks import events as webhook_events
from models.pcm import BYTES_PER_SAMPLE, SAMPLE_RATE, pcm16_to_float32

log = logging.getLogger(__name__)


class JobCancelled(Exception):
    """Raised at a checkpoint once the user cancelled; the task then stops without writing more."""


class JobContext:
    """One job as a task works on it: the job's row (refreshed by every change made through here) and the
    app's config, store, Redis and blobs."""

    job: JobRow

    def __init__(self, job_id: str) -> None:
        self.job_id = job_id
        self.config: Config = current_app.extensions["nemo.config"]
        self.store: Store = current_app.extensions["nemo.store"]
        self.redis = current_app.extensions["nemo.redis"]
        self.blobs: BlobStore = current_app.extensions["nemo.blobs"]
        with self.store.tx() as tx:
            job = jobs.get_job(tx, job_id)
        if job is None:
            raise LookupError(f"job {job_id} does not exist")
        self.job = job

    def spool_dir(self) -> Path:
        """Scratch space in the instance directory (mode 0700) for decrypted audio being worked on."""
        path = self.config.INSTANCE_DIR / "tmp"
        path.mkdir(parents=True, exist_ok=True, mode=0o700)
        return path

    def read_audio(self, pcm_blob_id: str, start_s: float, end_s: float) -> np.ndarray:
        """Seconds [start_s, end_s) of a recording's encrypted 16 kHz PCM, as float32: only the frames of the
        blob that hold them are decrypted, so memory follows the range, not the recording."""
        first = int(start_s * SAMPLE_RATE) * BYTES_PER_SAMPLE
        last = int(end_s * SAMPLE_RATE) * BYTES_PER_SAMPLE
        raw = self.blobs.read_range(pcm_blob_id, first, last)
        return pcm16_to_float32(raw)

    @property
    def finished(self) -> bool:
        """True once the job ended (done, failed or cancelled): a redelivered task then does nothing."""
        return self.job["state"] in jobs.TERMINAL

    def _emit(self, event: str, row: dict[str, Any], message: str | None = None) -> None:
        data = public_job(row)
        if message:
            data["message"] = message
        try:
            events.emit(self.redis, self.job_id, event, data, self.config.EVENT_STREAM_TTL_SECONDS)
        except redis.RedisError as exc:
            # The store holds the state; listeners get it from there (app/sse.py). A Redis restart must
            # not fail the work itself.
            log.warning("job %s: %s event not sent (%s)", self.job_id, event, exc)

    def checkpoint(self) -> None:
        try:
            cancelled = events.is_cancelled(self.redis, self.job_id)
        except redis.RedisError as exc:
            log.warning("job %s: cancellation not checked (%s)", self.job_id, exc)
            return
        if cancelled:
            raise JobCancelled(self.job_id)

    def progress(self, stage: str, progress: float, message: str | None = None) -> None:
        self.checkpoint()
        with self.store.tx() as tx:
            changed = jobs.update_job(
                tx, self.job_id, state="running", stage=stage, progress=min(progress, 1.0)
            )
            self.job = jobs.get_job(tx, self.job_id)
        if not changed:
            raise JobCancelled(self.job_id)
        self._emit("progress", self.job, message)

    def warn(self, warning: str) -> None:
        """Note a problem that did not stop the job (a later stage failed, the transcript is kept)."""
        with self.store.tx() as tx:
            current = jobs.get_job(tx, self.job_id)["warning"]
            jobs.update_job(tx, self.job_id, warning=f"{current}; {warning}" if current else warning)
            self.job = jobs.get_job(tx, self.job_id)

    def _announce(self, tx, event: str) -> list[str]:
        """The job's webhook deliveries, in the transaction that ended it (`app.webhooks.events`)."""
        recording = (
            recordings.get_recording(tx, self.job["recording_id"]) if self.job["recording_id"] else None
        )
        about = webhook_events.about_recording(recording) if recording else None
        return webhook_events.announce(
            tx, self.job["user_id"], event, {"job": public_job(self.job), "recording": about}
        )

    def done(self, warning: str | None = None) -> None:
        if warning:
            self.warn(warning)
        with self.store.tx() as tx:
            jobs.update_job(tx, self.job_id, state="done", stage="done", progress=1.0)
            self.job = jobs.get_job(tx, self.job_id)
            deliveries = self._announce(tx, "job.done") if self.job["state"] == "done" else []
        if self.job["state"] == "done":
            self._emit("done", self.job)
        webhook_events.send(deliveries)

    def fail(self, error: str) -> None:
        log.error("job %s failed: %s", self.job_id, error)
        with self.store.tx() as tx:
            jobs.update_job(tx, self.job_id, state="failed", error=error[:2000])
            self.job = jobs.get_job(tx, self.job_id)
            deliveries = self._announce(tx, "job.failed") if self.job["state"] == "failed" else []
        if self.job["state"] == "failed":
            self._emit("failed", self.job)
        webhook_events.send(deliveries)
