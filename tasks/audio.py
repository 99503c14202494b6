"""The `audio` queue: decode an upload to 16 kHz mono PCM, find the speech, cut it into ~30 s chunks, and
send one ASR task per chunk."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import celeryconfig
from app.store import chunks, recordings
from app.store.rows import RecordingRow
from tasks import pipeline
from tasks.jobctx import JobContext
from workers import quality
from workers.audio import decode_to_pcm16, read_pcm16
from workers.channels import channel_levels, channel_turns
from workers.vad import WINDOW_SECONDS, plan_chunks, speech_regions


def call_turns(ctx: JobContext, original: Path) -> list | None:
    """Who talked when by channel, for `channels=speakers`; a recording with one channel is told apart by
    voice instead, and the job says so."""
    levels = channel_levels(original)
    if levels.shape[0] < 2:
        ctx.warn(
            "channels=speakers needs one channel per speaker; this recording has one, "
            "so speakers were told apart by voice"
        )
        return None
    return [list(turn) for turn in channel_turns(levels)]


def measure_quality(pcm: Path, duration: float, speech: list[tuple[float, float]]) -> dict:
    """The recording's audio quality, read window by window like the VAD."""
    meter = quality.QualityMeter()
    start = 0.0
    while start < duration:
        end = min(start + WINDOW_SECONDS, duration)
        meter.add(read_pcm16(pcm, start, end), start, speech)
        start = end
    return meter.result()


@pipeline.job_task(pipeline.AUDIO, hands_on=False)
def prepare_recording(ctx: JobContext) -> None:
    """Plan the recording once (a rerun keeps the plan), then send the chunks not yet transcribed: a
    task per few chunks, or straight to the end of transcription when none is left (no speech at all)."""
    ctx.progress("audio", pipeline.AUDIO.progress, "decoding audio")
    with ctx.store.tx() as tx:
        recording = recordings.get_recording(tx, ctx.job["recording_id"])
        planned = chunks.list_chunks(tx, recording["id"])
    if not planned or recording["pcm_blob_id"] is None:
        planned, message = plan_recording(ctx, recording)
    else:
        message = f"{len(planned)} chunks already planned"
    ctx.progress("transcription", pipeline.TRANSCRIPTION.progress, message)
    pending = [c["idx"] for c in planned if not c["done"]]
    size = max(1, ctx.config.ASR_BATCH_CHUNKS)
    for start in range(0, len(pending), size):
        pipeline.send(celeryconfig.CHUNKS_TASK, ctx.job_id, pending[start : start + size])
    if not pending:
        pipeline.send(celeryconfig.FINISH_TASK, ctx.job_id)


def plan_recording(ctx: JobContext, recording: RecordingRow) -> tuple[list[dict], str]:
    """Decode, find the speech, measure the audio and save the chunk plan; returns the plan and what the
    job says about it. Decoding and VAD stream through a scratch file: memory stays flat however long the
    recording."""
    options = json.loads(recording["options"] or "{}")
    with tempfile.TemporaryDirectory(dir=ctx.spool_dir()) as tmp:
        original, pcm = Path(tmp) / "original", Path(tmp) / "pcm"
        ctx.blobs.read_to_file(recording["blob_id"], original)
        duration = decode_to_pcm16(original, pcm)
        turns = call_turns(ctx, original) if options.get("channels") == "speakers" else None
        original.unlink()
        ctx.progress("audio", 0.03, f"decoded {duration:.1f} s of audio; finding speech")
        regions = speech_regions(pcm)
        plan = plan_chunks(regions)
        audio_quality = measure_quality(pcm, duration, regions)
        pcm_blob = ctx.blobs.put_file(pcm)
    with ctx.store.tx() as tx:
        chunks.save_plan(tx, recording["id"], plan, regions)
        recordings.update_recording(
            tx,
            recording["id"],
            pcm_blob_id=pcm_blob,
            status="transcribing",
            audio_quality=json.dumps(audio_quality),
            channel_turns=None if turns is None else json.dumps(turns),
        )
        planned = chunks.list_chunks(tx, recording["id"])
    for warning in quality.warnings(audio_quality):
        ctx.warn(warning)
    speech = sum(end - start for start, end in regions)
    return planned, f"{len(plan)} chunks, {speech:.0f} s of speech in {duration:.0f} s"
