"""Speakers: enrolled voice profiles (named) and the unnamed identities found in recordings."""

from __future__ import annotations

import tempfile
from pathlib import Path

from flask import jsonify, request
from flask_login import current_user

import celeryconfig
from app import extensions as ext
from app import summaries
from app.api import api
from app.audio_probe import AudioRejected, probe
from app.audio_response import AUDIO_TYPES, blob_audio, sniffed_mimetype
from app.auth import client_address, login_required_api
from app.contract import Media, Upload, operation
from app.errors import ApiError
from app.schemas.speakers import (
    EnrollForm,
    Enrolling,
    MergeBody,
    NameBody,
    Speakers,
    SpeakerSamples,
    SpeakersQuery,
    SpeakerUsage,
)
from app.serializers import public_voice
from app.store import audit, jobs, voices
from app.uploads import REJECTION_STATUS, save_upload

MAX_SAMPLES = 10
MAX_VOICE_SAMPLES = 20
MAX_SAMPLE_SECONDS = 300.0
# A sample needs this much voiced audio to say anything about a voice; in all, the samples need more.
MIN_SAMPLE_ACTIVE_SECONDS = 1.5
MIN_TOTAL_ACTIVE_SECONDS = 3.0
TAGS = ("speakers",)
SAMPLE_AUDIO = Media(AUDIO_TYPES, "the sample as uploaded", binary=True)


def owned_voice(tx, voice_id: str) -> dict:
    row = voices.get_voice(tx, voice_id, current_user.id)
    if row is None:
        raise ApiError(404, "not_found", "no such speaker")
    return row


def _speaker_body(tx, row: dict) -> dict:
    body = public_voice(row)
    return {**body, **voices.usage(tx, row["id"])}


@api.get("/speakers")
@login_required_api
@operation("Your speakers", tags=TAGS, query=SpeakersQuery, responses={200: Speakers})
def list_speakers(query: SpeakersQuery):
    with ext.store().tx() as tx:
        rows = voices.list_voices(tx, current_user.id, query.enrolled)
        return jsonify({"speakers": [_speaker_body(tx, r) for r in rows]})


@api.get("/speakers/<voice_id>")
@login_required_api
@operation("A speaker", tags=TAGS, responses={200: SpeakerUsage})
def get_speaker(voice_id: str):
    with ext.store().tx() as tx:
        return jsonify(_speaker_body(tx, owned_voice(tx, voice_id)))


def _validate_sample(path: Path, filename: str) -> float:
    try:
        info = probe(path, MAX_SAMPLE_SECONDS, measure_activity=True)
    except AudioRejected as exc:
        raise ApiError(REJECTION_STATUS[exc.code], exc.code, f"{filename}: {exc.message}") from exc
    if info.active_seconds is not None and info.active_seconds < MIN_SAMPLE_ACTIVE_SECONDS:
        code = "silent_sample" if info.active_seconds < 0.1 else "sample_too_short"
        raise ApiError(
            422,
            code,
            f"{filename}: {info.active_seconds:.1f} s of voice; a sample needs at least "
            f"{MIN_SAMPLE_ACTIVE_SECONDS:.1f} s",
        )
    return info.active_seconds or 0.0


@api.post("/speakers")
@login_required_api
@operation(
    "Enroll a voice",
    tags=TAGS,
    form=EnrollForm,
    uploads={"audio": Upload(f"1 to {MAX_SAMPLES} samples of the person speaking", many=True)},
    responses={202: Enrolling},
)
def enroll_speaker(form: EnrollForm):
    """A voice profile from one or more samples of the person speaking (at least 3 s of voice in all);
    their name then labels them in every recording, past and future."""
    name = form.name
    with ext.store().tx() as tx:
        if voices.get_voice_by_name(tx, current_user.id, name):
            raise ApiError(
                409,
                "conflict",
                f"a speaker named {name!r} already exists: add these samples to them from their row "
                "(POST /api/v1/speakers/<id>/samples)",
            )
    voice, job = _enroll_with_samples(_uploaded_samples(MAX_SAMPLES), name=name)
    ext.celery().send_task(celeryconfig.ENROLL_TASK, args=[job["id"]])
    return jsonify({"speaker_id": voice["id"], "job_id": job["id"], "name": name}), 202


@api.post("/speakers/<voice_id>/samples")
@login_required_api
@operation(
    "Add samples to a voice",
    tags=TAGS,
    uploads={"audio": Upload(f"1 to {MAX_SAMPLES} more samples of the person speaking", many=True)},
    responses={202: Enrolling},
)
def add_samples(voice_id: str):
    """More of a named person's voice: the profile is rebuilt from all their samples, the old and these,
    so a voice enrolled from one short clip gets better without being deleted and enrolled again."""
    with ext.store().tx() as tx:
        row = owned_voice(tx, voice_id)
        if row["name"] is None:
            raise ApiError(409, "conflict", "name this speaker before adding samples of their voice")
        room = MAX_VOICE_SAMPLES - len(voices.samples(tx, voice_id))
    if room <= 0:
        raise ApiError(409, "conflict", f"a voice keeps at most {MAX_VOICE_SAMPLES} samples")
    voice, job = _enroll_with_samples(_uploaded_samples(min(room, MAX_SAMPLES)), voice_id=voice_id)
    ext.celery().send_task(celeryconfig.ENROLL_TASK, args=[job["id"]])
    return jsonify({"speaker_id": voice["id"], "job_id": job["id"], "name": voice["name"]}), 202


def _uploaded_samples(most: int) -> list:
    samples = [f for f in request.files.getlist("audio") if f and f.filename]
    if len(samples) > most:
        raise ApiError(400, "bad_field", f"send at most {most} samples", param="audio")
    return samples


def _enroll_with_samples(samples: list, *, name: str | None = None, voice_id: str | None = None):
    """Checks every sample (an enrollment needs MIN_TOTAL_ACTIVE_SECONDS of voice), stores them, and
    queues the enrollment job: on a new voice called `name`, or on the existing `voice_id`. Nothing is
    kept when a sample is refused. Returns (voice row, job row)."""
    config = ext.config()
    blob_ids: list[tuple[str, float]] = []
    try:
        with tempfile.TemporaryDirectory(dir=ext.spool_dir()) as tmp:
            checked = []
            for n, sample in enumerate(samples):
                path = Path(tmp) / f"sample{n}"
                save_upload(sample, path, config.MAX_UPLOAD_BYTES)
                checked.append((path, _validate_sample(path, sample.filename)))
            total = sum(active for _path, active in checked)
            if total < MIN_TOTAL_ACTIVE_SECONDS:
                raise ApiError(
                    422,
                    "sample_too_short",
                    f"the samples hold {total:.1f} s of voice; enrolling needs "
                    f"{MIN_TOTAL_ACTIVE_SECONDS:.0f} s",
                )
            for path, active in checked:
                blob_ids.append((ext.blobs().put_file(path), active))
        with ext.store().tx() as tx:
            if voice_id is None:
                voice = voices.create_voice(tx, current_user.id, name)
            else:
                voice = owned_voice(tx, voice_id)
            for blob_id, active in blob_ids:
                voices.add_sample(tx, voice["id"], blob_id, active)
            job = jobs.insert_job(tx, current_user.id, None, "enroll", "queued", voice_id=voice["id"])
    except BaseException:
        for blob_id, _active in blob_ids:
            ext.blobs().delete(blob_id)
        raise
    return voice, job


@api.patch("/speakers/<voice_id>")
@login_required_api
@operation("Rename a speaker", tags=TAGS, body=NameBody, responses={200: SpeakerUsage})
def rename_speaker(voice_id: str, body: NameBody):
    name = body.name
    with ext.store().tx() as tx:
        row = owned_voice(tx, voice_id)
        other = voices.get_voice_by_name(tx, current_user.id, name)
        if other and other["id"] != voice_id:
            raise ApiError(409, "conflict", f"a speaker named {name!r} already exists")
        voices.rename_voice(tx, voice_id, name)
        stale = summaries.mark_stale(tx, voices.recordings_of(tx, voice_id))
        renamed = _speaker_body(tx, {**row, "name": name})
    summaries.rewrite_later(stale)
    return jsonify(renamed)


@api.post("/speakers/<voice_id>/merge")
@login_required_api
@operation("Merge a speaker into another", tags=TAGS, body=MergeBody, responses={200: SpeakerUsage})
def merge_speaker(voice_id: str, body: MergeBody):
    """Two speakers who are one person (diarization split them, or one was enrolled twice): every line,
    turn and sample of this one becomes `into`'s, in every recording, and this one is gone. A profile
    that gained samples is enrolled again from all of them."""
    if body.into == voice_id:
        raise ApiError(400, "bad_field", "a speaker cannot be merged into themselves", param="into")
    with ext.store().tx() as tx:
        source = owned_voice(tx, voice_id)
        target = voices.get_voice(tx, body.into, current_user.id)
        if target is None:
            raise ApiError(404, "not_found", "no such speaker to merge into")
        gains_samples = bool(voices.samples(tx, voice_id))
        stale = summaries.mark_stale(tx, voices.recordings_of(tx, voice_id))
        target = voices.merge_voices(tx, current_user.id, source, target)
        job = None
        if gains_samples:
            job = jobs.insert_job(tx, current_user.id, None, "enroll", "queued", voice_id=target["id"])
        audit.record(
            tx,
            "merged",
            current_user.id,
            f"speaker={voice_id} ({voices.label(source)}) into={target['id']} ({voices.label(target)})",
            client_address(),
        )
        merged = _speaker_body(tx, target)
    summaries.rewrite_later(stale)
    if job is not None:
        ext.celery().send_task(celeryconfig.ENROLL_TASK, args=[job["id"]])
    return jsonify(merged)


@api.get("/speakers/<voice_id>/samples")
@login_required_api
@operation("A speaker's voice samples", tags=TAGS, responses={200: SpeakerSamples})
def list_samples(voice_id: str):
    """The samples the voice was enrolled from, oldest first, each playable at its `audio` address."""
    with ext.store().tx() as tx:
        owned_voice(tx, voice_id)
        rows = voices.samples(tx, voice_id)
    return jsonify(
        {
            "samples": [
                {
                    "id": r["id"],
                    "seconds": round(r["seconds"], 2),
                    "created_at": r["created_at"],
                    "audio": f"/api/v1/speakers/{voice_id}/samples/{r['id']}/audio",
                }
                for r in rows
            ]
        }
    )


@api.get("/speakers/<voice_id>/samples/<sample_id>/audio")
@login_required_api
@operation(
    "A voice sample's audio (byte ranges)", tags=TAGS, responses={200: SAMPLE_AUDIO, 206: SAMPLE_AUDIO}
)
def sample_audio(voice_id: str, sample_id: str):
    """The sample as it was uploaded, decrypted on the fly, to hear whose voice the profile holds."""
    with ext.store().tx() as tx:
        owned_voice(tx, voice_id)
        sample = next((r for r in voices.samples(tx, voice_id) if r["id"] == sample_id), None)
    if sample is None:
        raise ApiError(404, "not_found", "no such sample")
    blobs = ext.blobs()
    size = blobs.plain_size(sample["blob_id"])
    return blob_audio(sample["blob_id"], size, sniffed_mimetype(blobs.read_range(sample["blob_id"], 0, 16)))


@api.delete("/speakers/<voice_id>")
@login_required_api
@operation("Delete a speaker", tags=TAGS, responses={204: None})
def delete_speaker(voice_id: str):
    """Deleting a profile removes its samples and embeddings; its segments keep their text, unlabelled."""
    with ext.store().tx() as tx:
        row = owned_voice(tx, voice_id)
        blob_ids = voices.delete_voice(tx, voice_id)
        audit.record(
            tx, "deleted", current_user.id, f"speaker={voice_id} ({voices.label(row)})", client_address()
        )
    for blob_id in blob_ids:
        ext.blobs().delete(blob_id)
    return "", 204
