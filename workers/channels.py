"""Who spoke when, read from the channels of a call: a stereo recording whose channels carry different people.

A phone or VoIP recorder usually puts each side of a call on its own channel. Then the loudest channel at
each moment says who is talking, far more reliably than any voice embedding (the two sides may sound alike,
and telephone audio is narrowband). The upload asks for it with `channels=speakers`; the audio stage keeps
the channel turns (runs of one dominant channel), and diarization labels every word by them.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

SAMPLE_RATE = 16_000
FRAME_SECONDS = 0.02
# A channel counts as talking when its frame is above this level and this much louder than every other
# channel (the other side's voice bleeds in at a lower level on most recorders).
ACTIVE_DBFS = -50.0
DOMINANCE_DB = 6.0
# Silence shorter than this between two runs of one channel does not end the turn.
BRIDGE_SECONDS = 0.5

Turn = tuple[float, float, int]


def channel_levels(source: Path) -> np.ndarray:
    """dBFS of each channel for every 20 ms frame, (channels, frames), decoded at 16 kHz."""
    import av

    frame = int(FRAME_SECONDS * SAMPLE_RATE)
    sums: list[np.ndarray] = []
    carry: np.ndarray | None = None
    with av.open(str(source), metadata_errors="ignore") as container:
        stream = container.streams.audio[0]
        resampler = av.AudioResampler(format="fltp", layout=stream.layout.name, rate=SAMPLE_RATE)

        def resampled_frames():
            """Frame by frame, then what the resampler still holds: the recording is never in memory."""
            for decoded in container.decode(stream):
                yield from resampler.resample(decoded)
            yield from resampler.resample(None)

        for resampled in resampled_frames():
            samples = resampled.to_ndarray().astype(np.float64)
            carry = samples if carry is None else np.concatenate([carry, samples], axis=1)
            usable = carry.shape[1] // frame * frame
            if usable:
                block = carry[:, :usable].reshape(carry.shape[0], -1, frame)
                sums.append(np.mean(block**2, axis=2))
                carry = carry[:, usable:]
    if not sums:
        return np.zeros((0, 0))
    power = np.concatenate(sums, axis=1)
    return 10 * np.log10(np.maximum(power, 1e-10))


def channel_turns(levels: np.ndarray) -> list[Turn]:
    """Runs (start, end, channel) of one dominant channel; silence and both-talking frames belong to no
    run, and a short silence inside one channel's run is bridged."""
    if levels.shape[0] < 2 or levels.shape[1] == 0:
        return []
    order = np.sort(levels, axis=0)
    loudest = np.argmax(levels, axis=0)
    dominant = (order[-1] > ACTIVE_DBFS) & (order[-1] - order[-2] >= DOMINANCE_DB)
    turns: list[list[float]] = []
    for index in np.flatnonzero(dominant):
        start, channel = index * FRAME_SECONDS, int(loudest[index])
        if turns and turns[-1][2] == channel and start - turns[-1][1] <= BRIDGE_SECONDS:
            turns[-1][1] = start + FRAME_SECONDS
        else:
            turns.append([start, start + FRAME_SECONDS, channel])
    return [(round(a, 3), round(b, 3), int(c)) for a, b, c in turns]


def word_channel(turns: list[Turn], start: float, end: float) -> int | None:
    """The channel talking most during [start, end]; the nearest turn's when none overlaps it."""
    if not turns:
        return None
    overlap: dict[int, float] = {}
    for a, b, channel in turns:
        shared = min(b, end) - max(a, start)
        if shared > 0:
            overlap[channel] = overlap.get(channel, 0.0) + shared
    if overlap:
        return max(overlap, key=overlap.__getitem__)
    middle = (start + end) / 2
    return min(turns, key=lambda t: min(abs(t[0] - middle), abs(t[1] - middle)))[2]
