"""Check that an upload really is audio we can decode, before anything is stored.

The whole stream is decoded (frame by frame, so memory stays flat): a header that parses proves little,
and a file cut short or corrupted halfway must be refused at upload, not discovered by a worker later.
Decoding is not a model: the web process may do it.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np

from models.pcm import PCM_BYTES_PER_SECOND

# Decoding fewer seconds than the container declares, beyond this slack, means the file was cut short.
TRUNCATION_TOLERANCE = 0.9
MIN_DURATION_SECONDS = 0.1
ACTIVE_DBFS = -40.0
# Sample rates and channel counts a real recording has; checked before decoding, because a header that
# declares 4 Hz makes a 112 KB file "last" four hours and turn into hundreds of MB of PCM.
SAMPLE_RATE_RANGE = (4_000, 384_000)
MAX_CHANNELS = 16
# The decoded PCM may be at most this many times the upload's size (plus a floor for short files): the
# most compact speech codecs (Opus at 6 kbit/s, AMR) expand about 40-55x, so 200x refuses only lies.
MAX_EXPANSION = 200
EXPANSION_FLOOR_BYTES = 4 * 1024 * 1024


@dataclass(frozen=True)
class AudioInfo:
    duration_seconds: float
    format_name: str
    codec: str
    sample_rate: int
    channels: int
    creation_time: str | None
    # Seconds louder than ACTIVE_DBFS, when asked for: tells a voice sample from silence.
    active_seconds: float | None = None


class AudioRejected(ValueError):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def _wav_declared_bytes(path: Path) -> tuple[int, int] | None:
    """(declared data bytes, data bytes present) of a RIFF/WAVE file, or None for anything else.

    FFmpeg estimates a WAV's duration from the file size, so a cut-short WAV looks whole; its header knows.
    """
    size = path.stat().st_size
    with path.open("rb") as handle:
        if handle.read(12)[8:12] != b"WAVE":
            return None
        handle.seek(12)
        while True:
            header = handle.read(8)
            if len(header) < 8:
                return None
            chunk_id, length = header[:4], struct.unpack("<I", header[4:])[0]
            if chunk_id == b"data":
                # 0 and 0xFFFFFFFF mean "unknown length" (streamed writers); nothing to compare then.
                if length in (0, 0xFFFFFFFF):
                    return None
                return length, size - handle.tell()
            handle.seek(length + (length & 1), 1)


def _active_seconds(frame: av.AudioFrame) -> float:
    """Seconds of a frame louder than ACTIVE_DBFS, measured in 20 ms blocks of its first channel."""
    samples = frame.to_ndarray()
    samples = samples[0] if samples.ndim > 1 and samples.shape[0] < samples.shape[-1] else samples.reshape(-1)
    if samples.dtype.kind in "iu":
        samples = samples.astype(np.float32) / float(np.iinfo(samples.dtype).max)
    block = max(1, int(frame.sample_rate * 0.02))
    usable = len(samples) - len(samples) % block
    if usable == 0:
        return 0.0
    rms = np.sqrt(np.mean(samples[:usable].reshape(-1, block).astype(np.float64) ** 2, axis=1))
    return float(np.sum(rms > 10 ** (ACTIVE_DBFS / 20))) * block / frame.sample_rate


def probe(path: Path, max_duration_seconds: float, measure_activity: bool = False) -> AudioInfo:
    if path.stat().st_size == 0:
        raise AudioRejected("empty_file", "the uploaded file is empty")
    wav = _wav_declared_bytes(path)
    if wav and wav[1] < wav[0] * TRUNCATION_TOLERANCE:
        raise AudioRejected(
            "truncated_audio",
            f"the WAV header declares {wav[0]} bytes of audio but only {wav[1]} are present",
        )
    try:
        container = av.open(str(path), mode="r", metadata_errors="ignore")
    except (av.error.FFmpegError, UnicodeDecodeError) as exc:
        raise AudioRejected("not_audio", "the file is not a recognised audio format") from exc
    with container:
        if not container.streams.audio:
            raise AudioRejected("not_audio", "the file has no audio stream")
        stream = container.streams.audio[0]
        codec = stream.codec_context
        if codec is None:
            raise AudioRejected("unsupported_codec", "the audio's codec is not one this server can decode")
        rate, channels = codec.sample_rate or 0, codec.channels or 0
        if not SAMPLE_RATE_RANGE[0] <= rate <= SAMPLE_RATE_RANGE[1]:
            raise AudioRejected(
                "bad_audio_format",
                f"the audio declares a sample rate of {rate} Hz; from {SAMPLE_RATE_RANGE[0]} to "
                f"{SAMPLE_RATE_RANGE[1]} Hz is accepted",
            )
        if not 1 <= channels <= MAX_CHANNELS:
            raise AudioRejected(
                "bad_audio_format",
                f"the audio declares {channels} channels; 1 to {MAX_CHANNELS} are accepted",
            )
        pcm_limit = max(EXPANSION_FLOOR_BYTES, path.stat().st_size * MAX_EXPANSION)
        declared = float(stream.duration * stream.time_base) if stream.duration and stream.time_base else None
        if declared is None and container.duration:
            declared = container.duration / 1_000_000
        if declared and declared > max_duration_seconds:
            raise AudioRejected(
                "too_long", f"audio lasts {declared:.0f} s; the limit is {max_duration_seconds:.0f} s"
            )
        samples, active = 0, 0.0
        sample_rate = rate
        try:
            for frame in container.decode(stream):
                samples += frame.samples
                if measure_activity:
                    active += _active_seconds(frame)
                sample_rate = frame.sample_rate or sample_rate
                if sample_rate and samples / sample_rate > max_duration_seconds:
                    raise AudioRejected(
                        "too_long", f"audio lasts over {max_duration_seconds:.0f} s, the limit"
                    )
                if sample_rate and samples / sample_rate * PCM_BYTES_PER_SECOND > pcm_limit:
                    raise AudioRejected(
                        "bad_audio_format",
                        f"the file would decode to over {pcm_limit // (1024 * 1024)} MB of audio, "
                        f"more than {MAX_EXPANSION} times its size: its header does not tell the truth",
                    )
        except av.error.FFmpegError as exc:
            raise AudioRejected("corrupt_audio", f"the audio could not be decoded: {exc}") from exc
        decoded = samples / sample_rate if sample_rate else 0.0
        if decoded < MIN_DURATION_SECONDS:
            raise AudioRejected("corrupt_audio", "the file holds no decodable audio")
        if declared and decoded < declared * TRUNCATION_TOLERANCE:
            raise AudioRejected(
                "truncated_audio",
                f"the file declares {declared:.1f} s of audio but only {decoded:.1f} s could be decoded",
            )
        creation = container.metadata.get("creation_time") or stream.metadata.get("creation_time")
        return AudioInfo(
            duration_seconds=decoded,
            format_name=container.format.name,
            codec=codec.name,
            sample_rate=sample_rate,
            channels=channels,
            creation_time=creation,
            active_seconds=active if measure_activity else None,
        )
