"""Accepting a recording: validate everything first, then store and enqueue, or leave no trace."""

from __future__ import annotations

import hashlib
import logging
import re
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
from app.numbers import whole_number
from app.store import jobs, recordings

log = logging.getLogger(__name__)

TITLE_MAX = 200
MAX_SPEAKERS_LIMIT = 32
REJECTION_STATUS = {
    "empty_file": 422,
    "not_audio": 415,
    "corrupt_audio": 422,
    "truncated_audio": 422,
    "too_long": 413,
    "unsupported_codec": 415,
    "bad_audio_format": 422,
}


# A recording's date lies between 1970 and a day from now (clocks drift); a date in year 9999 once made every
# assistant question that found the recording fail.
RECORDED_AT_AHEAD_SECONDS = 86_400


def parse_timestamp(text: str, field: str) -> float:
    """ISO 8601 (a naive time is taken as UTC) to epoch seconds, within 1970 and a day from now."""
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError as exc:
        raise ApiError(
            400, "bad_field", f"{field} must be an ISO 8601 date-time, e.g. 2026-11-24T09:30:00Z"
        ) from exc
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    try:
        stamp = moment.timestamp()
    except (OverflowError, ValueError, OSError) as exc:
        raise ApiError(400, "bad_field", f"{field} is out of range") from exc
    if not 0 <= stamp <= datetime.now(UTC).timestamp() + RECORDED_AT_AHEAD_SECONDS:
        raise ApiError(400, "bad_field", f"{field} must lie between 1970 and now")
    return stamp


# mix: one mixture, speakers told apart by voice; speakers: each channel of a call is one side of it.
CHANNEL_MODES = ("mix", "speakers")


def _optional_int(form: dict[str, str], name: str) -> int | None:
    raw = (form.get(name) or "").strip()
    if not raw:
        return None
    number = whole_number(raw)
    if number is None or not 1 <= number <= MAX_SPEAKERS_LIMIT:
        raise ApiError(400, "bad_field", f"{name} must be a whole number from 1 to {MAX_SPEAKERS_LIMIT}")
    return number


def parse_options(form: dict[str, str], filename: str) -> dict[str, Any]:
    """Validate the form fields that come with an upload."""
    title = (form.get("title") or "").strip() or Path(filename or "recording").stem or "recording"
    if len(title) > TITLE_MAX:
        raise ApiError(400, "bad_field", f"title must be at most {TITLE_MAX} characters")
    language = (form.get("language") or "").strip().lower() or None
    if language and (len(language) > 8 or not language.replace("-", "").isalpha()):
        raise ApiError(400, "bad_field", "language must be a language code such as 'en'")
    recorded_at = form.get("recorded_at")
    channels = (form.get("channels") or "mix").strip()
    if channels not in CHANNEL_MODES:
        raise ApiError(400, "bad_field", f"channels must be one of {', '.join(CHANNEL_MODES)}")
    return {
        "title": title,
        "language": language,
        "channels": channels,
        "tags": parse_tags(form.get("tags")),
        **parse_speaker_counts(form),
        "recorded_at": parse_timestamp(recorded_at, "recorded_at") if recorded_at else None,
    }


TAGS_MAX = 20
_TAG = re.compile(r"[a-z0-9][a-z0-9 .-]{0,39}")


def parse_tag(text: str) -> str:
    """One tag, lower-cased: letters, digits, spaces, dots and hyphens, at most 40 characters."""
    tag = " ".join(text.strip().lower().split())
    if not _TAG.fullmatch(tag):
        raise ApiError(
            400,
            "bad_field",
            "a tag is 1-40 letters, digits, spaces, dots or hyphens, starting with a letter or digit",
        )
    return tag


def parse_tags(raw: str | None) -> list[str]:
    """`tags` as sent: comma-separated, each once, in the order given."""
    tags = list(dict.fromkeys(parse_tag(t) for t in (raw or "").split(",") if t.strip()))
    if len(tags) > TAGS_MAX:
        raise ApiError(400, "bad_field", f"at most {TAGS_MAX} tags")
    return tags


def parse_speaker_counts(form: dict[str, str]) -> dict[str, int | None]:
    """`speakers` (exact count) and `max_speakers` (upper bound), each 1-32 or absent."""
    speakers = _optional_int(form, "speakers")
    max_speakers = _optional_int(form, "max_speakers")
    if speakers and max_speakers and speakers > max_speakers:
        raise ApiError(400, "bad_field", "speakers cannot exceed max_speakers")
    return {"speakers": speakers, "max_speakers": max_speakers}


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
    form: dict[str, str],
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
    options = parse_options(form, upload.filename)
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

    recorded_at = options["recorded_at"]
    if recorded_at is None and info.creation_time:
        try:
            recorded_at = parse_timestamp(info.creation_time, "creation_time")
        except ApiError:
            recorded_at = None
    try:
        with ext.store().tx() as tx:
            tx.lock("users", user_id)  # two uploads at once cannot both take the last of the quota
            quotas.ensure_room(tx, user_id, config, size, info.duration_seconds)
            recording = recordings.insert_recording(
                tx,
                user_id=user_id,
                title=options["title"],
                original_filename=Path(upload.filename).name[:255],
                content_sha256=sha256,
                size_bytes=size,
                duration_seconds=info.duration_seconds,
                audio_format=f"{info.format_name}/{info.codec}",
                blob_id=blob_id,
                pcm_blob_id=None,
                language=options["language"],
                tags=options["tags"],
                options={
                    **{k: options[k] for k in ("speakers", "max_speakers", "channels")},
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
