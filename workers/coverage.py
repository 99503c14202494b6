"""Speech coverage: which stretches of VAD speech no recognised word accounts for.

A batched Whisper pass decodes each ~30 s window once, with no seek loop: when the decoder skips a turn
inside the window, its words are simply gone (and the words after it may be aligned into the gap). Coverage
compares the speech the VAD heard with the time the words take, so such a loss is found, decoded again, and
what stays missing is counted and reported instead of silently dropped.

Pure logic over (start, end) spans in seconds, tested without audio.
"""

from __future__ import annotations

from collections.abc import Iterable

Span = tuple[float, float]

# A word's span is widened by this much on each side: VAD pads speech by 0.2 s, Whisper's word edges are
# approximate, and a short breath inside a turn is not missing speech.
WORD_PAD_SECONDS = 0.3
# An uncovered stretch of speech at least this long is a hole worth decoding again (shorter ones are the
# edges of words, a cough, a breath).
MIN_HOLE_SECONDS = 1.0
# A shorter hole, down to this, still gets a clip of its own decoded (a "yeah" between two turns lasts
# ~0.3 s; the whole-chunk sequential decode is kept for holes of MIN_HOLE_SECONDS).
MIN_CLIP_HOLE_SECONDS = 0.3


def union(spans: Iterable[Span]) -> list[Span]:
    """Sorted, non-overlapping spans covering the same time."""
    merged: list[list[float]] = []
    for start, end in sorted(s for s in spans if s[1] > s[0]):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return [(a, b) for a, b in merged]


def intersect(a: list[Span], b: list[Span]) -> list[Span]:
    """The time in both of two sorted, non-overlapping span lists."""
    out, i, j = [], 0, 0
    while i < len(a) and j < len(b):
        start, end = max(a[i][0], b[j][0]), min(a[i][1], b[j][1])
        if end > start:
            out.append((start, end))
        if a[i][1] < b[j][1]:
            i += 1
        else:
            j += 1
    return out


def subtract(a: list[Span], b: list[Span]) -> list[Span]:
    """The time in `a` that is not in `b` (both sorted and non-overlapping)."""
    out: list[Span] = []
    j = 0
    for start, end in a:
        cursor = start
        while j < len(b) and b[j][1] <= cursor:
            j += 1
        k = j
        while k < len(b) and b[k][0] < end:
            if b[k][0] > cursor:
                out.append((cursor, b[k][0]))
            cursor = max(cursor, b[k][1])
            k += 1
        if cursor < end:
            out.append((cursor, end))
    return out


def seconds(spans: Iterable[Span]) -> float:
    return float(sum(end - start for start, end in spans))


def word_spans(words: Iterable[tuple[float, float]], pad: float = WORD_PAD_SECONDS) -> list[Span]:
    """The time the words account for, each widened by `pad`."""
    return union((start - pad, end + pad) for start, end in words)


def covered(speech: list[Span], words: Iterable[tuple[float, float]], pad: float = WORD_PAD_SECONDS) -> float:
    """Seconds of `speech` that some word accounts for."""
    return seconds(intersect(union(speech), word_spans(words, pad)))


def holes(
    speech: list[Span],
    words: Iterable[tuple[float, float]],
    pad: float = WORD_PAD_SECONDS,
    min_seconds: float = MIN_HOLE_SECONDS,
) -> list[Span]:
    """Stretches of speech at least `min_seconds` long that no word accounts for."""
    missing = subtract(union(speech), word_spans(words, pad))
    return [(start, end) for start, end in missing if end - start >= min_seconds]


def clip_spans(spans: list[Span], start: float, end: float) -> list[Span]:
    """The parts of `spans` inside [start, end]."""
    return intersect(union(spans), [(start, end)])
