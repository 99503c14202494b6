"""Recordings: upload, list, read with transcript, delete."""

from __future__ import annotations

import json

from flask import Response, jsonify, request
from flask_login import current_user
from werkzeug.utils import secure_filename

import celeryconfig
from app import exports, summaries
from app import extensions as ext
from app.api import api
from app.audio_response import AUDIO_TYPES, blob_audio, mimetype_of_format
from app.auth import login_required_api
from app.contract import Media, Upload, operation
from app.errors import ApiError
from app.recording_removal import delete_owned_recording
from app.schemas.recordings import (
    Accepted,
    DiarizeBody,
    ExportQuery,
    RecordingEdit,
    RecordingList,
    RecordingSpeaker,
    RecordingsQuery,
    SpeakerNameBody,
    SummaryQueued,
    UploadForm,
)
from app.schemas.rows import Recording
from app.serializers import public_recording, public_segment, public_voice
from app.store import jobs, recordings, voices
from app.uploads import accept_recording

TAGS = ("recordings",)
AUDIO = Media(AUDIO_TYPES, "the audio as uploaded", binary=True)
EXPORT = Media(
    ("application/x-subrip", "text/vtt", "application/json", "text/plain"),
    "the transcript with speakers, as a file (Content-Disposition: attachment)",
)


def owned_recording(tx, recording_id: str) -> dict:
    row = recordings.get_recording(tx, recording_id, current_user.id)
    if row is None:
        raise ApiError(404, "not_found", "no such recording")
    return row


@api.post("/recordings")
@login_required_api
@operation(
    "Upload a recording",
    tags=TAGS,
    form=UploadForm,
    uploads={"audio": Upload("the recording: any format ffmpeg reads")},
    responses={202: Accepted},
)
def upload_recording(form: UploadForm):
    """Stored encrypted, then transcribed, diarized, labelled with emotions and indexed by the workers."""
    job, recording = accept_recording(request.files.get("audio"), form, current_user.id)
    return jsonify({"job_id": job["id"], "recording_id": recording["id"]}), 202


@api.get("/recordings")
@login_required_api
@operation("Your recordings", tags=TAGS, query=RecordingsQuery, responses={200: RecordingList})
def list_recordings(query: RecordingsQuery):
    with ext.store().tx() as tx:
        rows = recordings.list_recordings(
            tx, current_user.id, sha256=query.sha256, tag=query.tag, voice_id=query.speaker_id
        )
        speakers = recordings.speakers_by_recording(tx, current_user.id, rows)
        latest = {
            r["recording_id"]: r
            for r in reversed(jobs.list_jobs(tx, current_user.id, limit=1000))
            if r["recording_id"]
        }
    return jsonify(
        {
            "recordings": [
                public_recording(r, job=latest.get(r["id"]), speakers=speakers[r["id"]]) for r in rows
            ]
        }
    )


@api.get("/recordings/<recording_id>")
@login_required_api
@operation("A recording with its transcript", tags=TAGS, responses={200: Recording})
def get_recording(recording_id: str):
    with ext.store().tx() as tx:
        row = owned_recording(tx, recording_id)
        segments = [public_segment(r) for r in recordings.list_segments(tx, recording_id)]
        job = jobs.latest_for_recording(tx, recording_id)
        turns = recordings.speaker_turns(tx, row)
        speakers = recordings.speakers_by_recording(tx, current_user.id, [row])[recording_id]
    return jsonify(public_recording(row, segments, job, turns, speakers))


@api.patch("/recordings/<recording_id>")
@login_required_api
@operation("Rename or tag a recording", tags=TAGS, body=RecordingEdit, responses={200: Recording})
def edit_recording(recording_id: str, body: RecordingEdit):
    changes: dict[str, str] = {}
    if body.title is not None:
        changes["title"] = body.title
    if body.tags is not None:
        changes["tags"] = json.dumps(body.tags)
    with ext.store().tx() as tx:
        owned_recording(tx, recording_id)
        recordings.update_recording(tx, recording_id, **changes)
        row = owned_recording(tx, recording_id)
        job = jobs.latest_for_recording(tx, recording_id)
    return jsonify(public_recording(row, job=job))


@api.delete("/recordings/<recording_id>")
@login_required_api
@operation("Delete a recording", tags=TAGS, responses={204: None})
def delete_recording(recording_id: str):
    if delete_owned_recording(current_user.id, recording_id) is None:
        raise ApiError(404, "not_found", "no such recording")
    return "", 204


@api.get("/recordings/<recording_id>/export")
@login_required_api
@operation("Export a transcript", tags=TAGS, query=ExportQuery, responses={200: EXPORT})
def export_recording(recording_id: str, query: ExportQuery):
    fmt = query.format
    with ext.store().tx() as tx:
        row = owned_recording(tx, recording_id)
        body = public_recording(
            row,
            [public_segment(r) for r in recordings.list_segments(tx, recording_id)],
            turns=recordings.speaker_turns(tx, row),
            speakers=recordings.speakers_by_recording(tx, current_user.id, [row])[recording_id],
        )
    mimetype, suffix = exports.FORMATS[fmt]
    filename = secure_filename(row["title"]) or "transcript"
    response = Response(exports.render(fmt, body), mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}.{suffix}"'
    return response


@api.get("/recordings/<recording_id>/audio")
@login_required_api
@operation("A recording's audio (byte ranges for seeking)", tags=TAGS, responses={200: AUDIO, 206: AUDIO})
def recording_audio(recording_id: str):
    """The recording as uploaded, decrypted on the fly; byte ranges let a player seek to a segment."""
    with ext.store().tx() as tx:
        row = owned_recording(tx, recording_id)
    return blob_audio(row["blob_id"], row["size_bytes"], mimetype_of_format(row["audio_format"]))


@api.patch("/recordings/<recording_id>/speakers/<voice_id>")
@login_required_api
@operation(
    "Name a speaker of this recording", tags=TAGS, body=SpeakerNameBody, responses={200: RecordingSpeaker}
)
def rename_recording_speaker(recording_id: str, voice_id: str, body: SpeakerNameBody):
    """A name already used joins the two (the same person); see voices.rename_in_recording."""
    name, confirm = body.name, body.add_to_profile
    with ext.store().tx() as tx:
        owned_recording(tx, recording_id)
        voice = voices.get_voice(tx, voice_id, current_user.id)
        present = voice is not None and recordings.speaks_in(tx, recording_id, voice_id)
        if not present:
            raise ApiError(404, "not_found", "no such speaker in this recording")
        try:
            target = voices.rename_in_recording(tx, current_user.id, recording_id, voice, name, confirm)
        except voices.VoiceError as exc:
            raise ApiError(400, "bad_field", str(exc), param="name") from exc
        # An unnamed voice takes the name everywhere it speaks: those summaries name it too.
        renamed = [recording_id] + (voices.recordings_of(tx, target["id"]) if voice["name"] is None else [])
        stale = summaries.mark_stale(tx, renamed)
    summaries.rewrite_later(stale)
    return jsonify({"recording_id": recording_id, "speaker": public_voice(target)})


@api.post("/recordings/<recording_id>/summary")
@login_required_api
@operation("Write the summary again", tags=TAGS, responses={202: SummaryQueued})
def rewrite_summary(recording_id: str):
    """The summary and action items written again from the transcript as it now reads (names and
    corrections included). Renames and corrections ask for this by themselves, a few seconds later."""
    if not ext.config().SUMMARIES:
        raise ApiError(409, "summaries_off", "summaries are turned off on this server (NEMO_SUMMARIES=0)")
    with ext.store().tx() as tx:
        row = owned_recording(tx, recording_id)
        if jobs.recording_busy(tx, recording_id) or row["status"] not in (
            "transcribed",
            "diarized",
            "undiarized",
        ):
            raise ApiError(409, "busy", "the recording is still being processed")
        stale = summaries.mark_stale(tx, [recording_id])
    summaries.rewrite_later(stale, delay=0)
    return jsonify({"recording_id": recording_id, "summary_state": "pending"}), 202


@api.post("/recordings/<recording_id>/diarize")
@login_required_api
@operation(
    "Tell the speakers apart again",
    tags=TAGS,
    body=DiarizeBody,
    body_optional=True,
    responses={202: Accepted},
)
def rediarize(recording_id: str, body: DiarizeBody):
    """Say, with a speaker count (null or absent: estimate); corrections made since are kept."""
    options = {"speakers": body.speakers, "max_speakers": body.max_speakers}
    with ext.store().tx() as tx:
        row = owned_recording(tx, recording_id)
        busy = jobs.recording_busy(tx, recording_id)
        if busy or row["status"] not in ("transcribed", "diarized", "undiarized"):
            raise ApiError(409, "busy", "the recording is still being processed")
        merged = {**json.loads(row["options"] or "{}"), **options}
        recordings.update_recording(tx, recording_id, options=json.dumps(merged))
        job = jobs.insert_job(tx, current_user.id, recording_id, "diarize", "diarization")
    ext.celery().send_task(celeryconfig.DIARIZE_TASK, args=[job["id"]])
    return jsonify({"job_id": job["id"], "recording_id": recording_id}), 202
