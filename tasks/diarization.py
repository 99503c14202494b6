"""The diarization stage's work (run by `tasks.transcription.diarize_recording` on the GPU worker) and
enrollment: load the models the configuration names, read each chunk's rows and audio, let
`workers.tell_apart` decide who spoke which words and `workers.naming` which known voice each speaker is,
then write the rows, the voices and the speaker turns in one transaction."""

from __future__ import annotations

import json
import logging
import tempfile
from pathlib import Path

import numpy as np

from app.store import chunks, recordings, voices
from app.store.rows import RecordingRow
from app.webhooks import events as webhook_events
from tasks.jobctx import JobContext
from workers import naming
from workers.audio import decode_to_pcm16, read_pcm16
from workers.engines import load_embedder
from workers.pool import model_pool
from workers.pyannote_pipeline import PyannoteDiarizer, load_pyannote
from workers.segmentation import SpeakerSegmentation, load_segmentation
from workers.speakers import SpeakerEmbedder
from workers.tell_apart import (
    ChunkVoices,
    Speakers,
    embed_chunk,
    rewritten_rows,
    tell_apart,
    tell_apart_by_turns,
)

EMBEDDER_BYTES = 20 * 1024 * 1024
SEGMENTATION_BYTES = 8 * 1024 * 1024
PROGRESS_START, PROGRESS_END = 0.90, 0.93
log = logging.getLogger(__name__)


def speaker_segmentation(ctx: JobContext) -> SpeakerSegmentation | None:
    """segmentation-3.0, or None where `NEMO_SEGMENTATION_MODEL=none` (turns then follow the words)."""
    name = ctx.config.SEGMENTATION_MODEL
    if name == "none":
        return None
    step = ctx.config.SEGMENTATION_STEP
    return model_pool(ctx.config.MODEL_BUDGET_BYTES).get(
        f"segmentation:{name}:{step}",
        SEGMENTATION_BYTES,
        lambda: load_segmentation(name, ctx.config.ASR_DEVICE, step),
    )


def speaker_embedder(ctx: JobContext) -> SpeakerEmbedder:
    name = ctx.config.SPEAKER_MODEL
    return model_pool(ctx.config.MODEL_BUDGET_BYTES).get(
        f"speakers:{name}", EMBEDDER_BYTES, lambda: load_embedder(name, ctx.config.ASR_DEVICE)
    )


def speakers_by_voice_windows(
    ctx: JobContext,
    recording: RecordingRow,
    planned: list[dict],
    options: dict,
    embedder: SpeakerEmbedder,
    by_call: bool,
) -> tuple[list[ChunkVoices], Speakers]:
    """The `nemo` engine: CAM++ (or the configured model's) voice windows and segmentation-3.0 chunk by
    chunk, then `tell_apart`; a call split by channel takes its channels' turns instead."""
    # A call's channels already say who talks when: no segmentation for it.
    segmenter = None if by_call else speaker_segmentation(ctx)
    per_chunk: list[ChunkVoices] = []
    for n, chunk in enumerate(planned):
        ctx.checkpoint()
        with ctx.store.tx() as tx:
            rows = recordings.chunk_segments(tx, recording["id"], chunk["idx"])
        if rows:
            audio = ctx.read_audio(recording["pcm_blob_id"], chunk["start_s"], chunk["end_s"])
            per_chunk.append(
                ChunkVoices(
                    chunk["idx"],
                    chunk["start_s"],
                    chunk["end_s"],
                    rows,
                    embed_chunk(embedder, audio, chunk["start_s"], rows),
                    segmenter.local_activity(audio) if segmenter else None,
                )
            )
        progress = PROGRESS_START + (PROGRESS_END - PROGRESS_START) * (n + 1) / len(planned)
        ctx.progress("diarization", progress, f"voices of chunk {n + 1}/{len(planned)}")
    channel_turns = json.loads(recording["channel_turns"] or "[]") if by_call else []
    return per_chunk, tell_apart(per_chunk, options, embedder.name, ctx.config.CLUSTERING, channel_turns)


def pyannote_diarizer(ctx: JobContext) -> PyannoteDiarizer:
    """The pipeline around the pooled CAM++ embedder (NEMO_SPEAKER_MODEL=campplus is checked by the config):
    one copy of the network serves both engines and enrollment. It is counted here too: the pipeline keeps
    it loaded if the pool lets the embedder go."""
    step = ctx.config.SEGMENTATION_STEP
    embedder = speaker_embedder(ctx)  # taken before: the pool loads one model at a time
    return model_pool(ctx.config.MODEL_BUDGET_BYTES).get(
        f"pyannote:{step}",
        EMBEDDER_BYTES + SEGMENTATION_BYTES,
        lambda: load_pyannote(embedder, ctx.config.ASR_DEVICE, step),
    )


def speakers_by_pyannote(
    ctx: JobContext, recording: RecordingRow, planned: list[dict], options: dict
) -> tuple[list[ChunkVoices], Speakers] | None:
    """The `pyannote` engine: pyannote.audio's SpeakerDiarization over the whole recording, its turns
    labelling the words. None when it hears nobody in a recording with words (the voice-window engine then
    answers instead, so no transcript is left without speakers)."""
    diarizer = pyannote_diarizer(ctx)
    ctx.checkpoint()
    ctx.progress("diarization", PROGRESS_START, "pyannote.audio: segmentation and voices")
    audio = ctx.read_audio(recording["pcm_blob_id"], 0.0, float(recording["duration_seconds"] or 0.0))
    found = diarizer(
        audio, options.get("speakers"), options.get("max_speakers"), lambda _step: ctx.checkpoint()
    )
    if not found.turns:
        log.warning("pyannote.audio found no speaker in %s; voice windows decide instead", recording["id"])
        return None
    per_chunk = []
    for chunk in planned:
        with ctx.store.tx() as tx:
            rows = recordings.chunk_segments(tx, recording["id"], chunk["idx"])
        if rows:
            per_chunk.append(ChunkVoices(chunk["idx"], chunk["start_s"], chunk["end_s"], rows, [], None))
    return per_chunk, tell_apart_by_turns(per_chunk, found)


def diarize(ctx: JobContext, recording: RecordingRow) -> None:
    embedder = speaker_embedder(ctx)
    options = json.loads(recording["options"] or "{}")
    by_call = options.get("channels") == "speakers"
    with ctx.store.tx() as tx:
        planned = chunks.list_chunks(tx, recording["id"])
    found = None
    if ctx.config.DIARIZATION_ENGINE == "pyannote" and not by_call:
        found = speakers_by_pyannote(ctx, recording, planned, options)
    if found is None:
        found = speakers_by_voice_windows(ctx, recording, planned, options, embedder, by_call)
    per_chunk, speakers = found
    centroids = speakers.centroids

    ctx.checkpoint()
    with ctx.store.tx() as tx:
        tx.lock("recordings", recording["id"])
        voices.forget_recording(tx, recording["id"])
        known = [
            (voice, naming.profile_vector(vectors))
            for voice, vectors in voices.profiles(tx, recording["user_id"], embedder.name)
        ]
        matched = naming.assign(
            centroids,
            np.stack([vector for _voice, vector in known]) if known else np.zeros((0, centroids.shape[1])),
            [voice["name"] is not None for voice, _vector in known],
            naming.calibration_for(embedder.name),
        )
        voice_ids, deliveries = [], []
        for centroid, seconds, match in zip(centroids, speakers.cluster_seconds, matched, strict=True):
            if match is not None:
                voice = known[match][0]
                if voice["name"] is not None:
                    recognised = {
                        "id": voice["id"],
                        "name": voice["name"],
                        "seconds": round(float(seconds), 1),
                    }
                    deliveries += webhook_events.announce(
                        tx,
                        recording["user_id"],
                        "speaker.recognised",
                        {"recording": webhook_events.about_recording(recording), "speaker": recognised},
                    )
            else:
                voice = voices.create_voice(tx, recording["user_id"], None)
            # Kept for every voice: unnamed identities learn from it, and a user who names this speaker
            # can confirm it into a profile. Named profiles match only on samples and confirmations.
            voices.add_embedding(
                tx, voice["id"], "recording", centroid, embedder.name, float(seconds), recording["id"]
            )
            voice_ids.append(voice["id"])
        for chunk in per_chunk:
            recordings.rewrite_chunk(
                tx, recording["id"], chunk.idx, rewritten_rows(chunk, speakers, voice_ids)
            )
        voices.drop_orphans(tx)
        recordings.update_recording(
            tx,
            recording["id"],
            diarized=1,
            status="diarized",
            speaker_turns=json.dumps([[t.start, t.end, voice_ids[t.label]] for t in speakers.turns]),
        )
    webhook_events.send(deliveries)


def enroll(ctx: JobContext, voice_id: str) -> None:
    """Embed each sample of an enrolled voice; the profile's vector is their mean."""
    embedder = speaker_embedder(ctx)
    with ctx.store.tx() as tx:
        samples = voices.samples(tx, voice_id)
    vectors = []
    with tempfile.TemporaryDirectory(dir=ctx.spool_dir()) as tmp:
        for sample in samples:
            ctx.checkpoint()
            original, pcm = Path(tmp) / "original", Path(tmp) / "pcm"
            ctx.blobs.read_to_file(sample["blob_id"], original)
            decode_to_pcm16(original, pcm)
            vectors.append((embedder.embed_windows(read_pcm16(pcm)).whole, sample["seconds"]))
    with ctx.store.tx() as tx:
        voices.replace_enrollment(tx, voice_id, vectors, embedder.name)
