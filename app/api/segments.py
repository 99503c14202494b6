"""Corrections: edit a segment's text, or say who really spoke it. Corrections outlive re-processing."""

from __future__ import annotations

from flask import jsonify
from flask_login import current_user

import celeryconfig
from app import extensions as ext
from app.api import api
from app.api.auth_views import json_body
from app.auth import login_required_api
from app.errors import ApiError
from app.serializers import public_segment
from app.store import recordings, voices

TEXT_MAX = 5000


@api.patch("/segments/<segment_id>")
@login_required_api
def correct_segment(segment_id: str):
    """`{text}` replaces the words; `{speaker_id}` or `{speaker}` (a name) reassigns the speaker."""
    body = json_body()
    if not body.keys() & {"text", "speaker_id", "speaker"}:
        raise ApiError(400, "bad_field", "send text, speaker_id or speaker")
    if "speaker_id" in body and "speaker" in body:
        raise ApiError(400, "bad_field", "send speaker_id or speaker, not both")
    text = body.get("text")
    if "text" in body and (not isinstance(text, str) or not text.strip() or len(text) > TEXT_MAX):
        raise ApiError(400, "bad_field", f"text must be 1 to {TEXT_MAX} characters")
    with ext.store().tx() as tx:
        row = recordings.owned_segment(tx, segment_id, current_user.id)
        if row is None:
            raise ApiError(404, "not_found", "no such segment")
        if "speaker_id" in body:
            voice = (
                voices.get_voice(tx, body["speaker_id"], current_user.id)
                if isinstance(body["speaker_id"], str)
                else None
            )
            if voice is None:
                raise ApiError(404, "not_found", "no such speaker")
        elif "speaker" in body:
            try:
                name = voices.validate_name(body["speaker"])
            except voices.VoiceError as exc:
                raise ApiError(400, "bad_field", str(exc)) from exc
            voice = voices.get_voice_by_name(tx, current_user.id, name) or voices.create_voice(
                tx, current_user.id, name
            )
        if "text" in body:
            recordings.correct_text(tx, segment_id, " ".join(text.split()))
        if body.keys() & {"speaker_id", "speaker"}:
            recordings.assign_speaker(tx, segment_id, voice["id"])
            voices.drop_orphans(tx)
        updated = recordings.get_segment(tx, segment_id)
    if "text" in body:
        # New words need a new emotion and vector; a new speaker needs neither (filters read the store).
        ext.celery().send_task(celeryconfig.RELABEL_TASK, args=[row["recording_id"]])
    return jsonify(public_segment(updated))
