"""Scoring for the benchmarks: word error rate and diarization error rate."""

from __future__ import annotations

import re

import numpy as np

FRAME = 0.01  # seconds per frame when scoring DER


def words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9']+", text.lower())


def word_errors(reference: str, hypothesis: str) -> tuple[int, int]:
    """(edit distance in words, reference length)."""
    ref, hyp = words(reference), words(hypothesis)
    previous = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        current = [i] + [0] * len(hyp)
        for j, h in enumerate(hyp, 1):
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (r != h))
        previous = current
    return previous[-1], len(ref)


def _frames(spans: list[tuple[float, float, str]], total: int) -> tuple[np.ndarray, list[str]]:
    names = sorted({s[2] for s in spans})
    grid = np.full(total, -1, dtype=np.int32)
    for start, end, name in spans:
        grid[int(round(start / FRAME)) : int(round(end / FRAME))] = names.index(name)
    return grid, names


def diarization_error(
    reference: list[tuple[float, float, str]],
    hypothesis: list[tuple[float, float, str]],
    collar: float = 0.25,
) -> dict[str, float]:
    """DER with the best one-to-one mapping of hypothesis to reference speakers, ignoring `collar` seconds
    either side of every reference boundary. Reference turns do not overlap (one voice at a time)."""
    from scipy.optimize import linear_sum_assignment

    end = max([e for _s, e, _n in reference + hypothesis] + [0.0])
    total = int(np.ceil(end / FRAME)) + 1
    ref, ref_names = _frames(reference, total)
    hyp, hyp_names = _frames(hypothesis, total)
    scored = np.ones(total, dtype=bool)
    for start, stop, _name in reference:
        for edge in (start, stop):
            scored[max(0, int((edge - collar) / FRAME)) : int((edge + collar) / FRAME)] = False
    ref, hyp = ref[scored], hyp[scored]
    overlap = np.zeros((len(ref_names), len(hyp_names)))
    for r in range(len(ref_names)):
        for h in range(len(hyp_names)):
            overlap[r, h] = np.sum((ref == r) & (hyp == h))
    rows, cols = linear_sum_assignment(-overlap) if overlap.size else ([], [])
    mapping = {h: r for r, h in zip(rows, cols, strict=True)}
    mapped = np.array([mapping.get(h, -2) if h >= 0 else -1 for h in hyp])
    speech = ref >= 0
    missed = np.sum(speech & (hyp < 0))
    false_alarm = np.sum(~speech & (hyp >= 0))
    confusion = np.sum(speech & (hyp >= 0) & (mapped != ref))
    reference_frames = max(int(np.sum(speech)), 1)
    return {
        "der": float(missed + false_alarm + confusion) / reference_frames,
        "missed": float(missed) / reference_frames,
        "false_alarm": float(false_alarm) / reference_frames,
        "confusion": float(confusion) / reference_frames,
    }
