"""Scoring for the benchmarks: word error rate and diarization error rate."""

from __future__ import annotations

import re

import numpy as np

FRAME = 0.01  # seconds per frame when scoring DER


def words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9']+", text.lower())


def word_errors(reference: str, hypothesis: str) -> tuple[int, int]:
    """(edit distance in words, reference length). Row by row with numpy: an hour's transcript is tens of
    thousands of words, far too many for a pure-Python double loop."""
    ref, hyp = words(reference), words(hypothesis)
    vocabulary: dict[str, int] = {}
    ref_ids = np.array([vocabulary.setdefault(w, len(vocabulary)) for w in ref], dtype=np.int64)
    hyp_ids = np.array([vocabulary.setdefault(w, len(vocabulary)) for w in hyp], dtype=np.int64)
    columns = np.arange(len(hyp) + 1)
    previous = columns.copy()
    for i, word in enumerate(ref_ids, 1):
        current = np.empty_like(previous)
        current[0] = i
        # Deletion and substitution from the previous row ...
        current[1:] = np.minimum(previous[1:] + 1, previous[:-1] + (hyp_ids != word))
        # ... then insertions along the row: current[j] = min over k <= j of current[k] + (j - k).
        current = np.minimum.accumulate(current - columns) + columns
        previous = current
    return int(previous[-1]), len(ref)


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
