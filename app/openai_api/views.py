"""`POST /v1/audio/transcriptions` and `GET /v1/models`, as OpenAI's clients call them.

A transcription is an upload like any other: validated, stored encrypted in the caller's memory and
transcribed by the workers, while this request waits for the transcript (or streams it as chunks finish).
With `store=false` the recording goes through transcription and diarization only, never reaches the
search index, and is deleted before the response ends. The same audio sent again (no prompt or
temperature to decode it differently) is answered from the recording already held, not stored twice."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator

from flask import Response, jsonify, request, stream_with_context
from flask_login import current_user

from app import events
from app import extensions as ext
from app.auth import login_required_api
from app.contract import Media, Upload, operation
from app.errors import ApiError
from app.openai_api import formats, openai_v1
from app.openai_api.follow import Snapshot, follow, transcript
from app.openai_api.params import (
    OPENAI_ALIAS,
    STREAMABLE,
    Model,
    ModelList,
    TranscriptionForm,
    check_model,
)
from app.recording_removal import delete_owned_recording
from app.store import jobs, recordings
from app.uploads import accept_recording

log = logging.getLogger(__name__)

SERVED_SINCE = int(time.time())
TAGS = ("OpenAI-compatible",)
TRANSCRIPTION = Media(
    ("application/json", "text/plain", "text/event-stream"),
    "json or verbose_json or diarized_json (application/json), text, srt or vtt (text/plain), or with "
    "stream=true transcript.text.delta events and a transcript.text.done (text/event-stream)",
)
# Upload rejections that OpenAI answers with a plain 400 ("Invalid file format").
_BAD_FILE_STATUSES = (415, 422)


def served_models() -> tuple[str, ...]:
    """OpenAI's alias first (what tools send by default), then the ASR model the workers run."""
    return (OPENAI_ALIAS, ext.config().ASR_MODEL)


def _model(model_id: str) -> dict:
    return {"id": model_id, "object": "model", "created": SERVED_SINCE, "owned_by": "nemo-server"}


@openai_v1.get("/models")
@login_required_api
@operation("The models served", tags=TAGS, responses={200: ModelList})
def list_models():
    return jsonify({"object": "list", "data": [_model(m) for m in served_models()]})


@openai_v1.get("/models/<path:model_id>")
@login_required_api
@operation("A model served", tags=TAGS, responses={200: Model})
def get_model(model_id: str):
    if model_id not in served_models():
        raise ApiError(404, "model_not_found", f"the model {model_id!r} does not exist", param="model")
    return jsonify(_model(model_id))


def _held(user_id: str, language: str | None):
    """The `existing` hook of `accept_recording`: the user's recording of the same audio, transcribed
    (or being transcribed) plainly, in the language asked for."""

    def held(sha256: str) -> tuple[dict, dict] | None:
        with ext.store().tx(readonly=True) as tx:
            for row in recordings.list_recordings(tx, user_id, sha256=sha256):
                options = json.loads(row["options"] or "{}")
                if options.get("prompt") or options.get("temperature"):
                    continue
                if language and row["language"] not in (None, language):
                    continue
                job = jobs.latest_for_recording(tx, row["id"])
                if job is not None and job["state"] not in ("failed", "cancelled"):
                    return job, row
        return None

    return held


def _accept(params: TranscriptionForm) -> tuple[dict, dict]:
    upload = request.files.get("file")
    plain = params.store and not params.decode_options
    try:
        return accept_recording(
            upload,
            params,
            current_user.id,
            kind="transcribe" if params.store else "transcript_only",
            decode_options=params.decode_options,
            existing=_held(current_user.id, params.language) if plain else None,
        )
    except ApiError as exc:
        if exc.status in _BAD_FILE_STATUSES:
            raise ApiError(400, exc.code, exc.message, param="file") from exc
        raise


def _failure(snapshot: Snapshot) -> ApiError | None:
    """Why a job that ended gave no transcript, or None when it gave one."""
    job = snapshot.job
    if job["state"] == "failed":
        return ApiError(500, "transcription_failed", f"the transcription failed: {job['error']}")
    if job["state"] == "cancelled":
        return ApiError(409, "cancelled", "the transcription was cancelled")
    return None


def _ready(snapshot: Snapshot, params: TranscriptionForm) -> bool:
    """Text alone is ready once every chunk is transcribed; speakers and times wait for diarization,
    and an unstored recording for its job's end, so that it is deleted with nothing left running."""
    if params.response_format in STREAMABLE and params.store:
        return snapshot.transcribed
    return snapshot.ended


def _abandon(job: dict, recording_id: str) -> None:
    """Stop an unstored transcription nobody waits for any more, and delete it."""
    config = ext.config()
    try:
        events.request_cancel(ext.redis_client(), job["id"], config.EVENT_STREAM_TTL_SECONDS)
    except Exception:  # noqa: BLE001 - the recording is deleted anyway; its tasks find nothing to do
        log.warning("could not flag job %s as cancelled", job["id"])
    delete_owned_recording(job["user_id"], recording_id)


def _headers(job: dict, recording: dict) -> dict[str, str]:
    return {"x-nemo-job-id": job["id"], "x-nemo-recording-id": recording["id"]}


@openai_v1.post("/audio/transcriptions")
@login_required_api
@operation(
    "Transcribe audio (OpenAI's API)",
    tags=TAGS,
    form=TranscriptionForm,
    uploads={"file": Upload("the audio: any format ffmpeg reads")},
    responses={200: TRANSCRIPTION},
)
def create_transcription(form: TranscriptionForm):
    """As OpenAI's `audio.transcriptions.create`; the recording is stored in your memory like any upload
    (`store=false`: transcribed and diarized only, then deleted). `diarized_json` names the speakers as
    your memory does. Headers `x-nemo-recording-id` and `x-nemo-job-id` say which recording and job."""
    params = form
    check_model(params, served_models())
    job, recording = _accept(params)
    deadline = time.monotonic() + ext.config().OPENAI_WAIT_SECONDS
    if params.stream:
        body = stream_with_context(_events(params, job, recording["id"], deadline))
        response = Response(body, mimetype="text/event-stream")
        response.headers["Cache-Control"] = "no-cache"
        response.headers["X-Accel-Buffering"] = "no"  # a proxy in front must not hold the deltas back
        response.headers.update(_headers(job, recording))
        return response
    try:
        snapshot = next(s for s in follow(job["id"], deadline) if _ready(s, params))
        failure = _failure(snapshot)
        if failure is not None:
            raise failure
        finished = transcript(recording["id"])
    finally:
        if not params.store:
            _abandon(job, recording["id"])
    body, mimetype = formats.render(
        params.response_format, finished, params.granularities, params.temperature
    )
    response = jsonify(body) if isinstance(body, dict) else Response(body, mimetype=mimetype)
    response.headers.update(_headers(job, recording))
    return response


def _sse(payload: dict) -> str:
    return f"data: {json.dumps(payload)}\n\n"


def _events(params: TranscriptionForm, job: dict, recording_id: str, deadline: float) -> Iterator[str]:
    """`transcript.text.delta` events as chunks are transcribed in order, then `transcript.text.done`;
    an `error` payload (which OpenAI's clients raise) when the job fails or the wait runs out."""
    said = ""
    completed = False
    try:
        snapshot = None
        for snapshot in follow(job["id"], deadline):
            text = formats.transcript_text(snapshot.settled)
            if text.startswith(said) and len(text) > len(said):
                yield _sse({"type": "transcript.text.delta", "delta": text[len(said) :], "logprobs": None})
                said = text
            if _ready(snapshot, params):
                break
        failure = _failure(snapshot) if snapshot is not None and snapshot.ended else None
        if failure is not None:
            raise failure
        if snapshot is not None and not snapshot.ended:
            final = formats.transcript_text(snapshot.settled)
        else:
            final = formats.transcript_text(transcript(recording_id)["segments"])
        if final != said and final.startswith(said):
            yield _sse({"type": "transcript.text.delta", "delta": final[len(said) :], "logprobs": None})
        yield _sse({"type": "transcript.text.done", "text": final, "logprobs": None})
        completed = True
    except ApiError as exc:
        yield _sse(
            {"error": {"message": exc.message, "type": "server_error", "param": None, "code": exc.code}}
        )
    finally:
        if not params.store:
            _abandon(job, recording_id)
        elif not completed:
            log.info("transcription stream of job %s ended early; the job goes on", job["id"])
