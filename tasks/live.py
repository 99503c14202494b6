"""Live chunks (GPU worker, `transcription` queue, above batch work and below chat): a few seconds of a
wearable's audio to text, sent back at once as a partial transcript event.

Idempotent: a chunk already transcribed is only announced again, never transcribed twice.
"""

from __future__ import annotations

import time

from celery import shared_task
from flask import current_app

import celeryconfig
from app import events
from app.blobs import BlobError
from app.store import live, voice_rules
from models.pcm import pcm16_to_float32
from workers.engines import configured_asr_engine


@shared_task(name=celeryconfig.LIVE_CHUNK_TASK, ignore_result=True)
def transcribe_live_chunk(stream_id: str, seq: int) -> None:
    config = current_app.extensions["nemo.config"]
    store = current_app.extensions["nemo.store"]
    with store.tx(readonly=True) as tx:
        stream = live.get_stream(tx, stream_id)
        chunk = live.get_chunk(tx, stream_id, seq)
    if stream is None or chunk is None:
        return  # deleted with its user meanwhile
    text = chunk["text"]
    if text is None and stream["state"] == "closed":
        return  # the stream became a recording, which is transcribed whole; its chunks' audio is gone
    if text is None:
        try:
            raw = current_app.extensions["nemo.blobs"].read_range(
                chunk["pcm_blob_id"], 0, round(chunk["duration_s"] * 16_000) * 2
            )
        except BlobError:
            return  # closed while this chunk waited: the recording has its audio
        audio = pcm16_to_float32(raw)
        engine = configured_asr_engine(config)
        segments = engine.transcribe_batch([audio], stream["language"])[0]
        text = " ".join(s.text.strip() for s in segments if s.text.strip())
        with store.tx() as tx:
            live.set_chunk_text(tx, stream_id, seq, text)
            has_rules = voice_rules.count_rules(tx, stream["user_id"]) > 0
        if has_rules and text:
            current_app.extensions["celery"].send_task(celeryconfig.VOICE_LIVE_TASK, args=[stream_id, seq])
    with store.tx(readonly=True) as tx:
        offset = live.offset_of(tx, stream_id, seq)
        transcribed_at = live.get_chunk(tx, stream_id, seq)["transcribed_at"]
    events.emit_to(
        current_app.extensions["nemo.redis"],
        events.live_stream_key(stream_id),
        "partial",
        {
            "seq": seq,
            "text": text,
            "start": round(offset, 3),
            "end": round(offset + chunk["duration_s"], 3),
            "received_at": chunk["received_at"],
            "transcribed_at": transcribed_at,
            "sent_at": time.time(),
        },
        config.EVENT_STREAM_TTL_SECONDS,
    )
