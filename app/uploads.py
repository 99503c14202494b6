"""Accepting a recording: validate everything first, then store and enqueue, or leave no trace."""

from __future__ import annotations

import hashlib
import logging
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from werkzeug.datastructures import FileStorage

import celeryconfig
from app import extensions as ext
from app import quotas
from app.audio_probe import AudioRejected, probe
from app.errors import ApiError
from app.schemas.recordings import RecordingOptions, recorded_moment
from app.store import jobs, recordings

log = logging.getLogger(__name__)

REJECTION_STATUS = {
    "empty_file": 422,
    "not_audio": 415,
    "corrupt_audio": 422,
    "truncated_audio": 422,
    "too_long": 413,
    "unsupported_codec": 415,
    "bad_audio_format": 422,
}


def save_upload(upload: FileStorage, target: Path, limit: int) -> tuple[int, str]:
    """Stream an uploaded file to disk; returns its size and sha256, or a 413 past `limit` bytes."""
    digest, size = hashlib.sha256(), 0
    with target.open("wb") as out:
        while chunk := upload.stream.read(1024 * 1024):
            size += len(chunk)
            if size > limit:
                raise ApiError(413, "too_large", f"the upload exceeds the limit of {limit} bytes")
            digest.update(chunk)
            out.write(chunk)
    return size, digest.hexdigest()


# Another way to answer an upload, asked once its content hash is known: the (job, recording) of the same
# audio already in the user's memory, or None to store this one.
Existing = Callable[[str], "tuple[dict, dict] | None"]


def accept_recording(
    upload: FileStorage | None,
    options: RecordingOptions,
    user_id: str,
    *,
    kind: str = "transcribe",
    decode_options: dict[str, Any] | None = None,
    existing: Existing | None = None,
) -> tuple[dict, dict]:
    """Validate, store encrypted, create recording + job rows and enqueue; returns (job, recording).

    `kind` picks the job's pipeline (`tasks.pipeline.PIPELINES`); `decode_options` (prompt, temperature)
    go to the ASR engine; `existing` may answer with a recording already held, storing nothing."""
    if upload is None or not upload.filename:
        raise ApiError(400, "missing_file", "send the audio as a multipart field named 'audio'")
    config = ext.config()
    with tempfile.TemporaryDirectory(dir=ext.spool_dir()) as tmp:
        path = Path(tmp) / "upload"
        size, sha256 = save_upload(upload, path, config.MAX_UPLOAD_BYTES)
        held = existing(sha256) if existing is not None else None
        if held is not None:
            return held
        try:
            info = probe(path, config.MAX_DURATION_SECONDS)
        except AudioRejected as exc:
            raise ApiError(REJECTION_STATUS[exc.code], exc.code, exc.message) from exc
        with ext.store().tx(readonly=True) as tx:
            quotas.ensure_room(tx, user_id, config, size, info.duration_seconds)
        blob_id = ext.blobs().put_file(path)

    recorded_at = options.recorded_epoch
    if recorded_at is None and info.creation_time:
        try:
            recorded_at = recorded_moment(info.creation_time, "creation_time")
        except ValueError:
            recorded_at = None
    try:
        with ext.store().tx() as tx:
            tx.lock("users", user_id)  # two uploads at once cannot both take the last of the quota
            quotas.ensure_room(tx, user_id, config, size, info.duration_seconds)
            recording = recordings.insert_recording(
                tx,
                user_id=user_id,
                title=options.title or Path(upload.filename).stem or "recording",
                original_filename=Path(upload.filename).name[:255],
                content_sha256=sha256,
                size_bytes=size,
                duration_seconds=info.duration_seconds,
                audio_format=f"{info.format_name}/{info.codec}",
                blob_id=blob_id,
                pcm_blob_id=None,
                language=getattr(options, "language", None),
                tags=options.tag_list,
                options={
                    "speakers": options.speakers,
                    "max_speakers": options.max_speakers,
                    "channels": getattr(options, "channels", "mix"),
                    **(decode_options or {}),
                },
                recorded_at=recorded_at or datetime.now(UTC).timestamp(),
            )
            job = jobs.insert_job(tx, user_id, recording["id"], kind, "queued")
    except Exception:
        ext.blobs().delete(blob_id)
        raise
    try:
        ext.celery().send_task(celeryconfig.PREPARE_TASK, args=[job["id"]])
    except Exception as exc:
        log.exception("could not enqueue job %s", job["id"])
        with ext.store().tx() as tx:
            recordings.delete_recording(tx, recording["id"])
        ext.blobs().delete(blob_id)
        raise ApiError(503, "queue_unavailable", "the job queue is unavailable; nothing was stored") from exc
    return job, recording
