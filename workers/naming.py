"""Which known voice each speaker of a recording is: a one-to-one assignment, never a free-for-all.

Matching each cluster on its own to its nearest profile lets two people of one recording take the same name
whenever both sound a little like an enrolled voice (Resemblyzer scores different voices up to 0.9). Here the
clusters of a recording and the known voices are paired by an optimal assignment on cosine similarity (each
voice names at most one cluster, each cluster takes at most one voice), and a pair stands only when its
similarity reaches the embedding model's threshold and beats the runner-up (the next best voice of the same
kind, named or unnamed, for that cluster, where it also passes the threshold) by a margin: two profiles that
close are a coin toss, and a wrong name is worse than none. Two clusters close to one voice are not a tie:
the clustering already said they are different people, and the closer one takes the voice. A cluster left
without a pair stays an unnamed speaker.

Pure logic over vectors, tested without audio.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Calibration:
    """Where a speaker embedding model's same-voice and different-voice similarities part: the similarity
    from which a speaker takes a known voice's name, the margin over the runner-up, and the cosine distance
    under which clustering joins two groups when the speaker count is not given."""

    threshold: float
    margin: float
    note: str
    cluster_distance: float = 0.22


# Measured with `python -m bench.voices`: clean enrolment profiles against meeting-like voices (three
# sentences in reverb and 15 dB noise) of the 20 Kokoro voices of the realistic corpus; the README's speaker
# section gives the distributions.
CALIBRATIONS: dict[str, Calibration] = {
    # Same voice 0.73-0.80 (5th pct, median), different voices of one group up to 0.77: EER 0.5% at 0.72.
    # (On clean robot voices the same voice scores 0.90-0.96, different ones up to 0.78.) Sentence pairs:
    # same voice 0.91 and more, different voices of one group 0.80 at most (90th pct).
    "resemblyzer": Calibration(0.72, 0.03, "Kokoro meetings: EER 0.5% at 0.718"),
    # Same voice 0.87-0.90 (5th pct, median), different voices of one group up to 0.78: no error anywhere
    # from 0.78 to 0.87; the threshold sits in the middle. Sentence against sentence, the same voice scores
    # 0.85 and more (10th pct), different voices of one group 0.68 at most (90th pct): clustering joins
    # groups above 0.75.
    "campplus": Calibration(0.82, 0.05, "Kokoro meetings: EER 0% from 0.782 to 0.868", cluster_distance=0.25),
}
# A model nobody measured (a NeMo .nemo path): cosine similarities of TitaNet-like models run lower.
DEFAULT_CALIBRATION = Calibration(0.70, 0.05, "not measured: a conservative default")
# Named profiles win a near tie against unnamed identities: a name the user gave is worth more.
NAMED_BONUS = 0.01


def profile_vector(vectors: list[np.ndarray]) -> np.ndarray:
    """A voice profile as one unit vector: the mean of what speaks for it (its enrollment samples and
    confirmations for a named voice, every recording's centroid for an unnamed one)."""
    mean = np.mean(vectors, axis=0)
    return mean / max(float(np.linalg.norm(mean)), 1e-9)


def calibration_for(model: str) -> Calibration:
    return CALIBRATIONS.get(model, DEFAULT_CALIBRATION)


def assign(
    clusters: np.ndarray, known: np.ndarray, named: list[bool], calibration: Calibration
) -> list[int | None]:
    """For each cluster (rows of unit vectors), the index of the known voice it is, or None."""
    from scipy.optimize import linear_sum_assignment

    if len(clusters) == 0 or len(known) == 0:
        return [None] * len(clusters)
    similarity = clusters @ known.T
    scores = similarity + NAMED_BONUS * np.asarray(named, dtype=float)[None, :]
    rows, cols = linear_sum_assignment(-scores)
    result: list[int | None] = [None] * len(clusters)
    for row, col in zip(rows, cols, strict=True):
        score = similarity[row, col]
        if score < calibration.threshold:
            continue
        # Rival voices are those of the same kind: an unnamed identity that sounds like a named profile is
        # most often that same person heard before enrolment, not a reason for doubt.
        # Other clusters that sound like this voice are not rivals: the clustering already said they are
        # other people, and the assignment gave the voice to the closest of them.
        same_kind = [c for c in range(len(named)) if c != col and named[c] == named[col]]
        rivals = similarity[row, same_kind]
        rivals = rivals[rivals >= calibration.threshold]
        if len(rivals) and score - rivals.max() < calibration.margin:
            continue  # two candidates this close: better an unnamed speaker than a wrong name
        result[row] = int(col)
    return result
