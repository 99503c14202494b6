"""Recordings: upload, list, read with transcript, delete."""

from __future__ import annotations

import re

from flask import jsonify, request
from flask_login import current_user

from app import extensions as ext
from app.api import api
from app.auth import client_address, login_required_api
from app.errors import ApiError
from app.store import audit, jobs, recordings
from app.uploads import accept_recording

_SHA256 = re.compile(r"^[0-9a-f]{64}$")


def public_recording(row: dict, segments: list[dict] | None = None, job: dict | None = None) -> dict:
    body = {
        "id": row["id"],
        "title": row["title"],
        "status": row["status"],
        "filename": row["original_filename"],
        "sha256": row["content_sha256"],
        "size_bytes": row["size_bytes"],
        "duration": round(row["duration_seconds"], 3),
        "language": row["language"],
        "asr_model": row["asr_model"],
        "recorded_at": row["recorded_at"],
        "created_at": row["created_at"],
    }
    if job is not None:
        body["job"] = jobs.public_job(job)
    if segments is not None:
        body["segments"] = segments
    return body


def owned_recording(tx, recording_id: str) -> dict:
    row = recordings.get_recording(tx, recording_id, current_user.id)
    if row is None:
        raise ApiError(404, "not_found", "no such recording")
    return row


@api.post("/recordings")
@login_required_api
def upload_recording():
    job, recording = accept_recording(request.files.get("audio"), request.form.to_dict(), current_user.id)
    return jsonify({"job_id": job["id"], "recording_id": recording["id"]}), 202


@api.get("/recordings")
@login_required_api
def list_recordings():
    sha256 = request.args.get("sha256")
    if sha256 is not None and not _SHA256.match(sha256):
        raise ApiError(400, "bad_field", "sha256 must be 64 lower-case hex digits")
    with ext.store().tx() as tx:
        rows = recordings.list_recordings(tx, current_user.id, sha256=sha256)
        latest = {
            r["recording_id"]: r
            for r in reversed(jobs.list_jobs(tx, current_user.id, limit=1000))
            if r["recording_id"]
        }
    return jsonify({"recordings": [public_recording(r, job=latest.get(r["id"])) for r in rows]})


@api.get("/recordings/<recording_id>")
@login_required_api
def get_recording(recording_id: str):
    with ext.store().tx() as tx:
        row = owned_recording(tx, recording_id)
        segments = recordings.list_segments(tx, recording_id)
        job = tx.one(
            f"SELECT {jobs.JOB_COLUMNS} FROM jobs WHERE recording_id = ? ORDER BY created_at DESC LIMIT 1",
            (recording_id,),
        )
    return jsonify(public_recording(row, segments, job))


@api.delete("/recordings/<recording_id>")
@login_required_api
def delete_recording(recording_id: str):
    with ext.store().tx() as tx:
        row = owned_recording(tx, recording_id)
        recordings.delete_recording(tx, recording_id)
        audit.record(tx, "deleted", current_user.id, f"recording={recording_id}", client_address())
    for blob_id in (row["blob_id"], row["pcm_blob_id"]):
        if blob_id:
            ext.blobs().delete(blob_id)
    return "", 204
