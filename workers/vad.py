"""Voice activity detection (Silero VAD, ONNX) and the plan of ~30 s chunks cut at pauses.

Whisper pads every input to 30 s, so feeding it tiny VAD pieces wastes most of its work; feeding it a whole
recording means one crash loses everything. Chunks of up to ~30 s of audio, cut in the silences VAD finds,
give the model full windows and the pipeline a unit of work that can be retried and preempted.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from workers.audio import BYTES_PER_SAMPLE, SAMPLE_RATE, read_pcm16

MAX_CHUNK_SECONDS = 29.5
# Silero's regions are widened by this much on each side, so a region starts this long before the speech.
SPEECH_PAD_SECONDS = 0.2
# VAD runs over windows of the PCM file so memory stays bounded by the window, not the recording.
WINDOW_SECONDS = 600.0


def _speech_timestamps(audio: np.ndarray) -> list[tuple[float, float]]:
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    from models.assemble import ensure_model

    ensure_model("silero-vad")  # checks the ONNX file faster-whisper loads against the manifest's sha256
    options = VadOptions(
        threshold=0.5,
        min_silence_duration_ms=300,
        speech_pad_ms=int(SPEECH_PAD_SECONDS * 1000),
        max_speech_duration_s=MAX_CHUNK_SECONDS,
    )
    return [(t["start"] / SAMPLE_RATE, t["end"] / SAMPLE_RATE) for t in get_speech_timestamps(audio, options)]


def speech_regions(pcm: Path) -> list[tuple[float, float]]:
    """Speech regions of a whole 16 kHz PCM file, read window by window.

    A region that runs into a window's end is not trusted: the next window starts where it began, so speech
    is never split just because a window ended there.
    """
    total = pcm.stat().st_size / BYTES_PER_SAMPLE / SAMPLE_RATE
    regions: list[tuple[float, float]] = []
    start = 0.0
    while start < total:
        end = min(start + WINDOW_SECONDS, total)
        found = [(start + s, start + e) for s, e in _speech_timestamps(read_pcm16(pcm, start, end))]
        if end < total and found and found[-1][1] > end - 1.0 and found[-1][0] > start + 1.0:
            next_start = found[-1][0]
            found = found[:-1]
        else:
            next_start = end
        regions.extend(found)
        start = next_start
    return regions


def plan_chunks(
    regions: list[tuple[float, float]], max_seconds: float = MAX_CHUNK_SECONDS
) -> list[tuple[float, float]]:
    """Group consecutive speech regions into chunks of at most `max_seconds`, cutting only between regions
    (in a pause). Silence between chunks is skipped; a region over the limit is cut into equal parts."""
    chunks: list[list[float]] = []
    for start, end in regions:
        if chunks and end - chunks[-1][0] <= max_seconds:
            chunks[-1][1] = end
            continue
        pieces = max(1, int(np.ceil((end - start) / max_seconds)))
        step = (end - start) / pieces
        chunks.extend([start + i * step, start + (i + 1) * step] for i in range(pieces))
    return [(round(s, 3), round(e, 3)) for s, e in chunks]
