"""Kaldi-style log mel filterbank features, the input CAM++ was trained on, in numpy.

torchaudio's `compliance.kaldi.fbank` is what 3D-Speaker feeds CAM++, but torchaudio's PyPI builds need CUDA
libraries beside the CPU torch; these are the same features written out from Kaldi's recipe: 25 ms frames
every 10 ms (edges snipped), DC removed, pre-emphasis 0.97, Povey window, 512-point power spectrum, 80
triangular mel bands from 20 Hz to Nyquist, natural log with a floor. No dither (inference).
"""

from __future__ import annotations

from functools import cache

import numpy as np

SAMPLE_RATE = 16_000
FRAME = 400  # 25 ms
SHIFT = 160  # 10 ms
FFT = 512
PREEMPHASIS = 0.97
LOW_HZ = 20.0
FLOOR = np.finfo(np.float32).eps


def _mel(hz: np.ndarray | float) -> np.ndarray | float:
    return 1127.0 * np.log(1.0 + np.asarray(hz) / 700.0)


@cache
def mel_banks(bins: int = 80) -> np.ndarray:
    """(bins, FFT // 2) triangular weights, evenly spaced on Kaldi's mel scale."""
    low, high = _mel(LOW_HZ), _mel(SAMPLE_RATE / 2)
    delta = (high - low) / (bins + 1)
    fft_mel = _mel(np.arange(FFT // 2) * SAMPLE_RATE / FFT)
    left = low + np.arange(bins)[:, None] * delta
    centre, right = left + delta, left + 2 * delta
    rising = (fft_mel[None, :] - left) / (centre - left)
    falling = (right - fft_mel[None, :]) / (right - centre)
    return np.maximum(0.0, np.minimum(rising, falling))


@cache
def _povey_window() -> np.ndarray:
    n = np.arange(FRAME)
    return (0.5 - 0.5 * np.cos(2 * np.pi * n / (FRAME - 1))) ** 0.85


def fbank(audio: np.ndarray, bins: int = 80) -> np.ndarray:
    """(frames, bins) log mel energies of 16 kHz audio; empty when shorter than one frame."""
    audio = np.asarray(audio, dtype=np.float64)
    if len(audio) < FRAME:
        return np.zeros((0, bins), dtype=np.float32)
    count = 1 + (len(audio) - FRAME) // SHIFT
    frames = np.lib.stride_tricks.sliding_window_view(audio, FRAME)[::SHIFT][:count].copy()
    frames -= frames.mean(axis=1, keepdims=True)
    frames[:, 1:] -= PREEMPHASIS * frames[:, :-1].copy()
    frames[:, 0] -= PREEMPHASIS * frames[:, 0]
    frames *= _povey_window()
    power = np.abs(np.fft.rfft(frames, n=FFT, axis=1)) ** 2
    energies = power[:, : FFT // 2] @ mel_banks(bins).T
    return np.log(np.maximum(energies, FLOOR)).astype(np.float32)
