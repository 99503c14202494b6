"""Following one transcription job from the web process: its transcript as it grows, until it ends.

The job's events (Redis) say when to look again; the store says what is there. Only chunks transcribed
in a row from the start count as said, so that streamed text never has to be taken back: chunks finish
out of order when a batch fails and runs again, and a later chunk's words must wait for the gap."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass

import redis

from app import events
from app import extensions as ext
from app.errors import ApiError
from app.serializers import public_recording, public_segment
from app.store import chunks, jobs, recordings

# How long one wait for news lasts before the store is read again anyway (a lost event, a Redis restart).
POLL_SECONDS = 1.0


@dataclass
class Snapshot:
    job: dict
    # Segments of the chunks transcribed in a row from the start, in order: text that will not change.
    settled: list[dict]
    transcribed: bool  # every chunk is transcribed (or the job ended)

    @property
    def ended(self) -> bool:
        return self.job["state"] in jobs.TERMINAL


def transcript(recording_id: str) -> dict:
    """The recording as the API shows it, with its segments (and each one's decoder confidence)."""
    with ext.store().tx(readonly=True) as tx:
        row = recordings.get_recording(tx, recording_id)
        rows = recordings.list_segments(tx, recording_id) if row else []
    if row is None:
        raise ApiError(404, "not_found", "the recording was deleted while it was being transcribed")
    segments = [{**public_segment(r), "avg_logprob": r["avg_logprob"]} for r in rows]
    return public_recording(row, segments)


def _snapshot(job_id: str) -> Snapshot:
    with ext.store().tx(readonly=True) as tx:
        job = jobs.get_job(tx, job_id)
        if job is None:
            raise ApiError(404, "not_found", "the job was deleted while it was being transcribed")
        planned = chunks.list_chunks(tx, job["recording_id"])
        prefix = 0
        while prefix < len(planned) and planned[prefix]["done"]:
            prefix += 1
        settled = [
            public_segment(r)
            for r in recordings.list_segments(tx, job["recording_id"])
            if r["chunk_index"] < prefix
        ]
    ended = job["state"] in jobs.TERMINAL
    return Snapshot(job, settled, ended or (bool(planned) and prefix == len(planned)))


def follow(job_id: str, deadline: float) -> Iterator[Snapshot]:
    """A snapshot now and after each change, until the job ends; a 504 past `deadline` (time.monotonic)."""
    client = ext.redis_client()
    key, after = events.stream_key(job_id), "0"
    while True:
        snapshot = _snapshot(job_id)
        yield snapshot
        if snapshot.ended:
            return
        if time.monotonic() > deadline:
            raise ApiError(
                504,
                "timeout",
                f"the transcript is not ready yet (job {job_id}); a stored recording goes on and can be "
                f"polled at GET /api/v1/jobs/{job_id}",
            )
        try:
            batch = events.read(client, key, after=after, block_ms=int(POLL_SECONDS * 1000))
        except redis.RedisError:
            time.sleep(POLL_SECONDS)
            continue
        if batch:
            after = batch[-1][0]
