"""Live streams for wearables: audio arrives in numbered chunks of 1-5 s, partial transcripts come back over
SSE, and closing the stream turns it into a recording that goes through the whole pipeline.

A chunk is identified by its sequence number: sending the same audio again (a retry after a lost reply) is
accepted and changes nothing; other audio under a number already used is refused. Chunks may arrive out of
order; the recording made at close puts them in sequence order.
"""

from __future__ import annotations

import hashlib
import tempfile
import wave
from datetime import UTC, datetime
from pathlib import Path

from flask import jsonify, request
from flask_login import current_user

import celeryconfig
from app import events, quotas
from app import extensions as ext
from app.api import api
from app.audio_probe import AudioRejected, probe
from app.auth import login_required_api
from app.contract import Upload, operation
from app.errors import ApiError
from app.schemas.jobs import EVENT_STREAM
from app.schemas.live import ChunkAccepted, ChunkForm, OpenStreamBody
from app.schemas.rows import Stream
from app.serializers import public_stream
from app.sse import event_stream
from app.store import jobs, live, recordings
from app.uploads import REJECTION_STATUS, save_upload
from models.pcm import SAMPLE_RATE, decode_to_pcm16

CHUNK_MAX_BYTES = 2 * 1024 * 1024
# "1 to 5 s", with room for the few milliseconds encoders pad or trim.
CHUNK_MIN_SECONDS, CHUNK_MAX_SECONDS = 0.95, 5.05
LIVE_TERMINAL_EVENTS = ("closed",)
TAGS = ("live",)


def owned_stream(tx, stream_id: str) -> dict:
    row = live.get_stream(tx, stream_id, current_user.id)
    if row is None:
        raise ApiError(404, "not_found", "no such stream")
    return row


def _open(row: dict) -> None:
    if row["state"] != "open":
        raise ApiError(409, "stream_closed", "the stream is closed; it accepts no more chunks")


@api.post("/streams")
@login_required_api
@operation(
    "Open a live stream",
    tags=TAGS,
    body=OpenStreamBody,
    body_optional=True,
    form_or_json=True,
    responses={201: Stream},
)
def open_stream(body: OpenStreamBody):
    """Chunks of 1-5 s then arrive at `/streams/{stream_id}/chunks`; partial transcripts come back over
    `/streams/{stream_id}/events`."""
    title = (body.title or "").strip() or f"Live {datetime.now(UTC):%Y-%m-%d %H:%M} UTC"
    with ext.store().tx() as tx:
        row = live.create_stream(tx, current_user.id, title, body.language)
    return jsonify(public_stream(row)), 201


def _decoded_chunk(tmp: Path) -> tuple[str, Path, float]:
    """(sha256, PCM file, seconds) of the uploaded chunk, or the 4xx that says what is wrong with it."""
    upload = request.files.get("audio")
    if upload is None:
        raise ApiError(400, "missing_file", "send the chunk as a multipart field named 'audio'")
    original = tmp / "chunk"
    _size, sha256 = save_upload(upload, original, CHUNK_MAX_BYTES)
    try:
        probe(original, CHUNK_MAX_SECONDS + 1)
    except AudioRejected as exc:
        if exc.code == "too_long":
            raise ApiError(
                422, "bad_duration", f"a chunk must hold 1 to 5 s of audio; {exc.message}"
            ) from exc
        raise ApiError(REJECTION_STATUS[exc.code], exc.code, exc.message) from exc
    pcm = tmp / "pcm"
    seconds = decode_to_pcm16(original, pcm)
    if not CHUNK_MIN_SECONDS <= seconds <= CHUNK_MAX_SECONDS:
        raise ApiError(422, "bad_duration", f"a chunk must hold 1 to 5 s of audio, this one {seconds:.2f} s")
    return sha256, pcm, seconds


@api.post("/streams/<stream_id>/chunks")
@login_required_api
@operation(
    "Send a chunk of a live stream",
    tags=TAGS,
    form=ChunkForm,
    uploads={"audio": Upload("1 to 5 s of audio")},
    responses={202: ChunkAccepted, 200: ChunkAccepted},
)
def add_chunk(stream_id: str, form: ChunkForm):
    """202 when queued for transcription; 200 for a repeat of a chunk already received (a retry)."""
    with ext.store().tx(readonly=True) as tx:
        _open(owned_stream(tx, stream_id))
    seq = form.seq
    with tempfile.TemporaryDirectory(dir=ext.spool_dir()) as tmp:
        sha256, pcm, seconds = _decoded_chunk(Path(tmp))
        with ext.store().tx(readonly=True) as tx:
            existing = live.get_chunk(tx, stream_id, seq)
            if existing is None:
                quotas.ensure_room(tx, current_user.id, ext.config(), pcm.stat().st_size, seconds)
        if existing is None:
            blob_id = ext.blobs().put_file(pcm)
    if existing is None:
        with ext.store().tx() as tx:
            tx.lock("live_streams", stream_id)
            row = owned_stream(tx, stream_id)
            existing = live.get_chunk(tx, stream_id, seq)
            if row["state"] == "open" and existing is None:
                live.add_chunk(tx, stream_id, seq, sha256, blob_id, seconds)
        if row["state"] != "open" or existing is not None:
            ext.blobs().delete(blob_id)  # lost a race with a close or with the same chunk
            _open(row)
    if existing is not None:
        if existing["audio_sha256"] != sha256:
            raise ApiError(409, "seq_conflict", f"chunk {seq} was already received with other audio")
        return jsonify({"stream_id": stream_id, "seq": seq, "duplicate": True}), 200
    try:
        ext.celery().send_task(celeryconfig.LIVE_CHUNK_TASK, args=[stream_id, seq])
    except Exception as exc:
        with ext.store().tx() as tx:
            live.remove_chunk(tx, stream_id, seq)
        ext.blobs().delete(blob_id)
        raise ApiError(
            503, "queue_unavailable", "the job queue is unavailable; the chunk was not kept"
        ) from exc
    return jsonify({"stream_id": stream_id, "seq": seq, "duration": round(seconds, 3)}), 202


@api.get("/streams/<stream_id>")
@login_required_api
@operation("A live stream, its chunks and transcript so far", tags=TAGS, responses={200: Stream})
def get_stream(stream_id: str):
    with ext.store().tx(readonly=True) as tx:
        row = owned_stream(tx, stream_id)
        return jsonify(public_stream(row, live.chunks(tx, stream_id)))


@api.get("/streams/<stream_id>/events")
@login_required_api
@operation("Follow a live stream's transcript (SSE)", tags=TAGS, responses={200: EVENT_STREAM})
def stream_events(stream_id: str):
    """`partial` events (seq, text, offset), one per transcribed chunk, then `closed`."""
    with ext.store().tx(readonly=True) as tx:
        owned_stream(tx, stream_id)
    store = ext.store()

    def final_state() -> dict | None:
        with store.tx(readonly=True) as tx:
            row = live.get_stream(tx, stream_id)
        return {**public_stream(row), "state": "closed"} if row and row["state"] == "closed" else None

    return event_stream(events.live_stream_key(stream_id), final_state, LIVE_TERMINAL_EVENTS)


def _assemble(chunk_rows: list[dict], target: Path) -> str:
    """The chunks' audio in sequence order as one WAV file; returns its sha256."""
    digest = hashlib.sha256()
    with wave.open(str(target), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(SAMPLE_RATE)
        part = target.with_name("part")
        for chunk in chunk_rows:
            ext.blobs().read_to_file(chunk["pcm_blob_id"], part)
            data = part.read_bytes()
            digest.update(data)
            out.writeframes(data)
    return digest.hexdigest()


@api.post("/streams/<stream_id>/close")
@login_required_api
@operation("Close a live stream into a recording", tags=TAGS, responses={200: Stream})
def close_stream(stream_id: str):
    """Ends the stream and queues its audio as a recording (diarization, emotion, indexing follow).
    Closing again answers with the same recording."""
    with ext.store().tx(readonly=True) as tx:
        row = owned_stream(tx, stream_id)
        chunk_rows = live.chunks(tx, stream_id)
    if row["state"] != "open":
        return jsonify(public_stream(row)), 200
    recording = job = None
    blob_id = None
    with tempfile.TemporaryDirectory(dir=ext.spool_dir()) as tmp:
        if chunk_rows:
            wav = Path(tmp) / "stream.wav"
            sha256 = _assemble(chunk_rows, wav)
            blob_id = ext.blobs().put_file(wav)
            size = wav.stat().st_size
    with ext.store().tx() as tx:
        tx.lock("live_streams", stream_id)
        current = live.get_stream(tx, stream_id)
        # Chunks that came in while the audio was being put together make it stale: only an unchanged
        # set of chunks may close the stream.
        unchanged = [c["seq"] for c in live.chunks(tx, stream_id)] == [c["seq"] for c in chunk_rows]
        if current["state"] == "open" and unchanged and chunk_rows:
            recording = recordings.insert_recording(
                tx,
                user_id=current_user.id,
                title=row["title"],
                original_filename=f"{row['title']}.wav"[:255],
                content_sha256=sha256,
                size_bytes=size,
                duration_seconds=sum(c["duration_s"] for c in chunk_rows),
                audio_format="wav/pcm_s16le",
                blob_id=blob_id,
                pcm_blob_id=None,
                language=row["language"],
                options={},
                recorded_at=row["created_at"],
            )
            job = jobs.insert_job(tx, current_user.id, recording["id"], "transcribe", "queued")
        closed = current["state"] == "open" and unchanged
        if closed:
            live.close_stream(tx, stream_id, recording and recording["id"], job and job["id"])
        final = live.get_stream(tx, stream_id)
    if recording is None and blob_id is not None:
        ext.blobs().delete(blob_id)
    if not closed and current["state"] == "open":
        raise ApiError(409, "stream_busy", "chunks arrived while closing; close again")
    if closed:
        # The recording holds the audio now: the chunks' copies go (their partial transcripts stay), so
        # deleting the recording deletes the audio.
        for chunk in chunk_rows:
            ext.blobs().delete(chunk["pcm_blob_id"])
    if job is not None:
        try:
            ext.celery().send_task(celeryconfig.PREPARE_TASK, args=[job["id"]])
        except Exception as exc:
            # The audio is kept in the recording; its job says why it has not started.
            with ext.store().tx() as tx:
                jobs.update_job(tx, job["id"], state="failed", error="the job queue was unavailable")
            raise ApiError(
                503, "queue_unavailable", "the stream is closed and kept, but its job could not be queued"
            ) from exc
    body = public_stream(final)
    if closed:
        events.emit_to(
            ext.redis_client(),
            events.live_stream_key(stream_id),
            "closed",
            body,
            ext.config().EVENT_STREAM_TTL_SECONDS,
        )
    return jsonify(body), 200
