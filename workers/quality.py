"""Audio quality of a recording and of each segment: how loud the speech is, how close to clipping, how far
above the noise, and how much of the recording is speech.

A transcript of a quiet, clipped or noisy recording has more errors; saying so up front tells a user why,
and which recordings to re-record. Pure numpy over 16 kHz float32 audio, fed window by window so memory
follows the window, not the recording.
"""

from __future__ import annotations

import math

import numpy as np

SAMPLE_RATE = 16_000
FRAME = 320  # 20 ms
# int16 full scale is 32767/32768: a sample this close to it was (almost certainly) clipped.
CLIP_LEVEL = 0.999
# Digital silence has no noise to measure: SNR is reported up to this.
MAX_SNR_DB = 60.0
SILENCE_DB = -100.0
# Below this much non-speech audio the noise floor is read from the quietest speech frames instead.
MIN_NOISE_FRAMES = 25

QUIET_DBFS = -35.0
CLIPPED_RATIO = 0.001
NOISY_SNR_DB = 15.0


def _db(power: float) -> float:
    return 10 * math.log10(power) if power > 1e-10 else SILENCE_DB


def _frame_power(audio: np.ndarray) -> np.ndarray:
    usable = len(audio) // FRAME * FRAME
    if not usable:
        return np.zeros(0)
    return np.mean(audio[:usable].reshape(-1, FRAME).astype(np.float64) ** 2, axis=1)


def _speech_mask(frames: int, offset: float, speech: list[tuple[float, float]]) -> np.ndarray:
    mask = np.zeros(frames, dtype=bool)
    for start, end in speech:
        first = max(0, int(round((start - offset) * SAMPLE_RATE / FRAME)))
        last = min(frames, int(round((end - offset) * SAMPLE_RATE / FRAME)))
        if last > first:
            mask[first:last] = True
    return mask


class QualityMeter:
    """Accumulates a recording's quality window by window (`add`), then `result()`."""

    def __init__(self) -> None:
        self.samples = 0
        self.peak = 0.0
        self.clipped = 0
        self.speech_power: list[np.ndarray] = []
        self.other_power: list[np.ndarray] = []

    def add(self, audio: np.ndarray, offset: float, speech: list[tuple[float, float]]) -> None:
        """A window of audio starting at `offset` seconds, with the recording's speech spans (seconds)."""
        if not len(audio):
            return
        self.samples += len(audio)
        magnitude = np.abs(audio)
        self.peak = max(self.peak, float(magnitude.max()))
        self.clipped += int(np.count_nonzero(magnitude >= CLIP_LEVEL))
        power = _frame_power(audio)
        mask = _speech_mask(len(power), offset, speech)
        self.speech_power.append(power[mask])
        self.other_power.append(power[~mask])

    def noise_floor_db(self) -> float:
        other = np.concatenate(self.other_power) if self.other_power else np.zeros(0)
        speech = np.concatenate(self.speech_power) if self.speech_power else np.zeros(0)
        if len(other) >= MIN_NOISE_FRAMES:
            return _db(float(np.median(other)))
        if len(speech):
            return _db(float(np.percentile(speech, 10)))
        return SILENCE_DB

    def result(self) -> dict:
        speech = np.concatenate(self.speech_power) if self.speech_power else np.zeros(0)
        frames = len(speech) + sum(len(p) for p in self.other_power)
        noise = self.noise_floor_db()
        level = _db(float(np.mean(speech))) if len(speech) else None
        return {
            "speech_level_dbfs": None if level is None else round(level, 1),
            "peak_dbfs": round(_db(self.peak**2), 1),
            "clipping_ratio": round(self.clipped / self.samples, 6) if self.samples else 0.0,
            "noise_level_dbfs": round(noise, 1),
            "snr_db": None if level is None else round(min(MAX_SNR_DB, level - noise), 1),
            "speech_ratio": round(len(speech) / frames, 3) if frames else 0.0,
        }


def segment_quality(audio: np.ndarray, noise_floor_db: float) -> dict:
    """Level, peak, clipping and SNR (against the recording's noise floor) of one segment's audio, and its
    flags (see `flags`), so the pages show the server's verdict instead of judging the figures again."""
    if not len(audio):
        return {
            "speech_level_dbfs": None,
            "peak_dbfs": None,
            "clipping_ratio": 0.0,
            "snr_db": None,
            "flags": [],
        }
    power = float(np.mean(audio.astype(np.float64) ** 2))
    level = _db(power)
    magnitude = np.abs(audio)
    figures = {
        "speech_level_dbfs": round(level, 1),
        "peak_dbfs": round(_db(float(magnitude.max()) ** 2), 1),
        "clipping_ratio": round(int(np.count_nonzero(magnitude >= CLIP_LEVEL)) / len(audio), 6),
        "snr_db": round(min(MAX_SNR_DB, level - noise_floor_db), 1),
    }
    return {**figures, "flags": flags(figures)}


def flags(quality: dict) -> list[str]:
    """ "quiet", "clipped" and/or "noisy": the one place these limits are applied."""
    found = []
    level, snr = quality.get("speech_level_dbfs"), quality.get("snr_db")
    if level is not None and level < QUIET_DBFS:
        found.append("quiet")
    if quality.get("clipping_ratio", 0.0) > CLIPPED_RATIO:
        found.append("clipped")
    if snr is not None and snr < NOISY_SNR_DB:
        found.append("noisy")
    return found


def warnings(quality: dict) -> list[str]:
    """What a user should hear about a recording's audio before trusting its transcript."""
    messages = {
        "quiet": lambda: f"very quiet: speech at {quality['speech_level_dbfs']:.0f} dBFS",
        "clipped": lambda: f"clipped: {quality['clipping_ratio']:.1%} of samples at full scale",
        "noisy": lambda: f"noisy (SNR {quality['snr_db']:.0f} dB): expect more errors",
    }
    return [messages[flag]() for flag in flags(quality)]
