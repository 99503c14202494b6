"""Corrections: edit a segment's text, or say who really spoke it. Corrections outlive re-processing."""

from __future__ import annotations

from flask import jsonify
from flask_login import current_user

import celeryconfig
from app import extensions as ext
from app import summaries
from app.api import api
from app.auth import login_required_api
from app.contract import operation
from app.errors import ApiError
from app.schemas.rows import Segment
from app.schemas.segments import SegmentCorrection
from app.serializers import public_segment
from app.store import recordings, voices


@api.patch("/segments/<segment_id>")
@login_required_api
@operation("Correct a segment", tags=("recordings",), body=SegmentCorrection, responses={200: Segment})
def correct_segment(segment_id: str, body: SegmentCorrection):
    """`text` replaces the words; `speaker_id`, or `speaker`, says who really spoke them. `speaker` is
    an existing speaker's name or label ("Speaker 2"), else a new person: a line is never given a second
    speaker that looks like the first."""
    with ext.store().tx() as tx:
        row = recordings.owned_segment(tx, segment_id, current_user.id)
        if row is None:
            raise ApiError(404, "not_found", "no such segment")
        voice = None
        if body.speaker_id is not None:
            voice = voices.get_voice(tx, body.speaker_id, current_user.id)
            if voice is None:
                raise ApiError(404, "not_found", "no such speaker")
        elif body.speaker is not None:
            try:
                voice = voices.existing_or_new_name(tx, current_user.id, body.speaker)
            except voices.VoiceError as exc:
                raise ApiError(400, "bad_field", str(exc), param="speaker") from exc
            voice = voice or voices.create_voice(tx, current_user.id, body.speaker)
        if body.text is not None:
            recordings.correct_text(tx, segment_id, body.text)
        if voice is not None:
            recordings.assign_speaker(tx, segment_id, voice["id"])
            voices.drop_orphans(tx)
        updated = recordings.get_segment(tx, segment_id)
        stale = summaries.mark_stale(tx, [row["recording_id"]])
    summaries.rewrite_later(stale)
    if body.text is not None:
        # New words need a new emotion and vector; a new speaker needs neither (filters read the store).
        ext.celery().send_task(celeryconfig.RELABEL_TASK, args=[row["recording_id"]])
    return jsonify(public_segment(updated))
