"""Decoding any supported container to 16 kHz mono PCM, streamed frame by frame (used by the audio
worker for recordings, and by the web for live-stream chunks, which are a few seconds each).

The output is raw little-endian int16 written to a file, so memory stays bounded by one decoded frame no
matter how long the recording is, and a later stage can read any time range by byte offset.
"""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np

SAMPLE_RATE = 16_000
BYTES_PER_SAMPLE = 2
PCM_BYTES_PER_SECOND = SAMPLE_RATE * BYTES_PER_SAMPLE


def decode_to_pcm16(source: Path, target: Path) -> float:
    """Decode `source` into raw 16 kHz mono s16le at `target`; returns the duration in seconds."""
    resampler = av.AudioResampler(format="s16", layout="mono", rate=SAMPLE_RATE)
    written = 0
    with av.open(str(source), metadata_errors="ignore") as container, target.open("wb") as out:
        stream = container.streams.audio[0]
        for frame in container.decode(stream):
            frame.pts = None  # let the resampler keep its own clock across odd timestamps
            for resampled in resampler.resample(frame):
                data = resampled.to_ndarray().tobytes()
                out.write(data)
                written += len(data)
        for resampled in resampler.resample(None):
            data = resampled.to_ndarray().tobytes()
            out.write(data)
            written += len(data)
    return written / BYTES_PER_SAMPLE / SAMPLE_RATE


def pcm16_to_float32(raw: bytes) -> np.ndarray:
    """Little-endian int16 samples as float32 in [-1, 1], the form ASR engines take."""
    return np.frombuffer(raw, dtype="<i2").astype(np.float32) / 32768.0


def read_pcm16(path: Path, start_s: float = 0.0, end_s: float | None = None) -> np.ndarray:
    """A time range of a PCM file as float32 in [-1, 1], the form ASR engines take."""
    offset = int(start_s * SAMPLE_RATE) * BYTES_PER_SAMPLE
    count = -1 if end_s is None else max(0, int((end_s - start_s) * SAMPLE_RATE))
    with path.open("rb") as handle:
        handle.seek(offset)
        raw = np.fromfile(handle, dtype="<i2", count=count)
    return raw.astype(np.float32) / 32768.0
