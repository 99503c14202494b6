"""Speaker turns with overlap: who talks when, frame by frame, two people at once where they do.

The transcript's words each have one speaker (the voice clustering in `workers/diarize.py` decides it), so
a backchannel under someone else's sentence, or the two speakers of an overlapped turn change, vanish from
a diarization read off the words. segmentation-3.0 (`workers/segmentation.py`) hears them, but its speakers
are numbered per 10 s window. Here each window's local speakers are tied to the recording's voices: by the
words a local speaker talks alone under (an optimal one-to-one assignment per window), or, for a local
speaker with no such words (a "mm-hm" under another's sentence), by a guess the caller makes from its voice.
Frames are then scored across the overlapping windows (pyannote's aggregation: Hamming-weighted means) and
each frame keeps as many voices as the model counts speakers there, the words' own speaker first.

Pure logic over arrays, tested without audio.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from workers.segmentation import LocalActivity

# A local speaker is tied to a voice only on at least this much lone speech under that voice's words.
MIN_EVIDENCE_SECONDS = 0.3
# A local speaker talking less than this in a window is noise, not a person.
MIN_LOCAL_SECONDS = 0.15
# One person's turn is not broken by a pause shorter than this (a breath). With MIN_TURN_SECONDS 0.3 it
# scored 0.6 DER points better than 0.25 s and 0.15 s on the realistic corpus (bench/diarization.py).
FILL_GAP_SECONDS = 0.1
# A frame has n speakers once the windows' weighted mean count reaches n - 1 + COUNT_FROM.
COUNT_FROM = 0.6
# Nor does a turn shorter than this exist (a click, a burst of reverb; a short "mm" lasts about 0.3 s).
MIN_TURN_SECONDS = 0.3
# Where the model hears nobody inside a run of words, the words count as speech this far from the run's
# edges (see `words_speaking`).
WORD_EDGE_SECONDS = 0.3


@dataclass
class Turn:
    start: float
    end: float
    label: int


# (window index, local speaker index, labels already tied in that window) -> label or None
Guess = Callable[[int, int, set[int]], int | None]


def word_frames(pieces: list[tuple[float, float, int]], frames: int, step: float) -> np.ndarray:
    """Per frame of the grid (frame n centred at n * step), the label of the words there, or -1."""
    labels = np.full(frames, -1, dtype=np.int64)
    for start, end, label in pieces:
        first, last = frame_range(start, end, frames, step)
        labels[first:last] = label
    return labels


def frame_range(start: float, end: float, frames: int, step: float) -> tuple[int, int]:
    """The grid's frames (first, one past the last) whose centres lie in [start, end]."""
    return max(int(np.ceil(start / step)), 0), min(int(np.floor(end / step)) + 1, frames)


def tie_local_speakers(activity: np.ndarray, words: np.ndarray, labels: int, step: float) -> list[int | None]:
    """Each local speaker's voice label in one window (None where the words give no evidence): seconds
    where the local speaker talks alone under a label's words, assigned one to one."""
    from scipy.optimize import linear_sum_assignment

    alone = activity.sum(axis=1) == 1
    evidence = np.zeros((activity.shape[1], labels))
    for local in range(activity.shape[1]):
        talking = (activity[:, local] > 0) & alone & (words >= 0)
        evidence[local] = np.bincount(words[talking], minlength=labels)[:labels] * step
    ties: list[int | None] = [None] * activity.shape[1]
    if labels == 0:
        return ties
    for local, label in zip(*linear_sum_assignment(-evidence), strict=True):
        if evidence[local, label] >= MIN_EVIDENCE_SECONDS:
            ties[int(local)] = int(label)
    return ties


def speaker_turns(
    local: LocalActivity,
    duration: float,
    pieces: list[tuple[float, float, int]],
    labels: int,
    guess: Guess | None = None,
) -> list[Turn]:
    """Turns over one piece of audio (times relative to it): `pieces` are the words' runs (start, end,
    label), `labels` the number of voices."""
    step = local.frame_step
    frames = int(np.ceil(duration / step)) + 1
    words = word_frames(pieces, frames, step)
    scores = np.zeros((max(labels, 1), frames))
    weight = np.zeros(frames)
    counted = np.zeros(frames)
    hamming = np.hamming(local.activity.shape[1])
    for window in range(len(local.starts)):
        grid = np.rint(local.frame_times(window) / step).astype(np.int64)
        inside = (grid >= 0) & (grid < frames)
        activity = local.activity[window]
        ties = tie_local_speakers(activity[inside], words[grid[inside]], labels, step)
        for speaker, label in enumerate(ties):
            if activity[:, speaker].sum() * step < MIN_LOCAL_SECONDS:
                continue
            if label is None and guess is not None:
                label = guess(window, speaker, {t for t in ties if t is not None})
            if label is not None:
                np.add.at(scores[label], grid[inside], (activity[:, speaker] * hamming)[inside])
        np.add.at(weight, grid[inside], hamming[inside])
        np.add.at(counted, grid[inside], (activity.sum(axis=1) * hamming)[inside])
    # Where the transcript has words the model heard nobody (whispers, a far-away voice), the words'
    # speaker stands, away from the edges of the words' runs (see `words_speaking`).
    speakers = np.floor(counted / np.maximum(weight, 1e-9) + 1 - COUNT_FROM).astype(np.int64)
    speakers = np.maximum(speakers, words_speaking(pieces, speakers, frames, step).astype(np.int64))
    share = scores / np.maximum(weight, 1e-9)
    active = choose_speakers(share, speakers, words)
    return _turns(active, step)


def words_speaking(
    pieces: list[tuple[float, float, int]], speakers: np.ndarray, frames: int, step: float
) -> np.ndarray:
    """Frames where the words say somebody talks even though the model counts nobody.

    A run of words the model hears none of (a whisper, a far-away voice) is speech from end to end. In a run
    it hears part of, its silent stretches count only away from the run's edges: Whisper's word times run
    on into the pause after a turn and start early in the one before: taking every word frame as speech was
    2.4% of the realistic corpus's reference time given to somebody in a silence (bench/diarization.py)."""
    forced = np.zeros(frames, dtype=bool)
    edge = int(round(WORD_EDGE_SECONDS / step))
    for start, end, _label in pieces:
        first, last = frame_range(start, end, frames, step)
        if first >= last:
            continue
        if not speakers[first:last].any():
            forced[first:last] = True
        else:
            forced[first + edge : last - edge] = True
    return forced


def choose_speakers(share: np.ndarray, speakers: np.ndarray, words: np.ndarray) -> np.ndarray:
    """(labels, frames) booleans: per frame the counted number of voices, the words' voice first, then
    those the windows heard most."""
    active = np.zeros(share.shape, dtype=bool)
    ranked = np.argsort(-share, axis=0)
    for frame in np.flatnonzero(speakers > 0):
        wanted = int(speakers[frame])
        chosen = [int(words[frame])] if words[frame] >= 0 else []
        for label in ranked[:, frame]:
            if len(chosen) >= wanted:
                break
            if label not in chosen and share[label, frame] > 0:
                chosen.append(int(label))
        active[chosen, frame] = True
    return active


def _turns(active: np.ndarray, step: float) -> list[Turn]:
    turns: list[Turn] = []
    gap, shortest = int(round(FILL_GAP_SECONDS / step)), MIN_TURN_SECONDS
    for label, row in enumerate(active):
        edges = np.diff(np.concatenate([[0], row.astype(np.int8), [0]]))
        runs = list(zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1), strict=True))
        merged: list[list[int]] = []
        for first, stop in runs:
            if merged and first - merged[-1][1] <= gap:
                merged[-1][1] = stop
            else:
                merged.append([first, stop])
        for first, stop in merged:
            start, end = max(0.0, (first - 0.5) * step), (stop - 0.5) * step
            if end - start >= shortest:
                turns.append(Turn(round(start, 3), round(end, 3), label))
    return sorted(turns, key=lambda t: (t.start, t.label))
