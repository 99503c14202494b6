"""Where same-voice and different-voice similarities part, per speaker embedding model: the naming threshold's
calibration (workers/naming.py) and its equal error rate.

Every voice of the realistic corpus (Kokoro, same-gender groups) gets a profile from three clean enrollment
samples, as a user records them, and a "speaker of a meeting" vector: the mean of three other sentences in
that voice, with room reverb and pink noise at 15 dB SNR, as diarization's cluster centroid would hear them.
Each profile is scored against every meeting vector: same voice, or different (within one group: the
voices that sound alike; and across groups).

    .venv/bin/python -m bench.voices --models resemblyzer campplus
"""

from __future__ import annotations

import argparse
import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np  # noqa: E402

from bench.realistic import (  # noqa: E402
    LINES,
    VOICE_GROUPS,
    KokoroVoices,
    enrollment_samples,
    pink_noise,
    room_response,
)

SNR_DB = 15.0


def degraded(audio: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    from scipy.signal import fftconvolve

    wet = fftconvolve(audio, room_response(0.4, rng))[: len(audio)]
    level = np.sqrt(np.mean(wet**2))
    return (wet + pink_noise(len(wet), rng) * level * 10 ** (-SNR_DB / 20)).astype(np.float32)


def unit(v: np.ndarray) -> np.ndarray:
    return v / max(float(np.linalg.norm(v)), 1e-9)


def equal_error_rate(same: np.ndarray, different: np.ndarray) -> tuple[float, float]:
    """(EER, the threshold where false accepts and false rejects are equal)."""
    thresholds = np.linspace(-0.5, 1.0, 3001)
    false_accept = np.array([(different >= t).mean() for t in thresholds])
    false_reject = np.array([(same < t).mean() for t in thresholds])
    best = int(np.argmin(np.abs(false_accept - false_reject)))
    return float((false_accept[best] + false_reject[best]) / 2), float(thresholds[best])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", default=["resemblyzer", "campplus"])
    args = parser.parse_args()
    from workers.engines import load_embedder

    kokoro = KokoroVoices()
    voices = [(group, v) for group, members in VOICE_GROUPS.items() for v in members]
    rng = np.random.default_rng(0)
    enroll_audio = {v: enrollment_samples(kokoro, v) for _g, v in voices}
    meeting_audio = {v: [degraded(kokoro.speak(v, line), rng) for line in LINES[:3]] for _g, v in voices}
    print("| model | same voice (5th pct / median) | different, same group (median / 95th / max) "
          "| different, other group (95th) | EER | threshold at EER |")  # fmt: skip
    print("|---|---|---|---|---|---|")
    segment_lines = []
    for model in args.models:
        embedder = load_embedder(model, "cpu")
        profile = {
            v: unit(np.mean([embedder.embed_windows(a).whole for a in enroll_audio[v]], axis=0))
            for _g, v in voices
        }
        sentences = {v: [embedder.embed_windows(a).whole for a in meeting_audio[v]] for _g, v in voices}
        meeting = {v: unit(np.mean(sentences[v], axis=0)) for _g, v in voices}
        # Sentence against sentence, both in the room: what clustering without a speaker count separates.
        pair_same = [
            float(x @ y)
            for _g, v in voices
            for i, x in enumerate(sentences[v])
            for y in sentences[v][i + 1 :]
        ]
        pair_close = [
            float(x @ y)
            for ga, a in voices
            for gb, b in voices
            if a < b and ga == gb
            for x in sentences[a]
            for y in sentences[b]
        ]
        segment_lines.append(
            f"| {model} | {np.percentile(pair_same, 10):.3f} / {np.median(pair_same):.3f} "
            f"| {np.median(pair_close):.3f} / {np.percentile(pair_close, 90):.3f} |"
        )
        same, close, far = [], [], []
        for group_a, a in voices:
            for group_b, b in voices:
                score = float(profile[a] @ meeting[b])
                (same if a == b else close if group_a == group_b else far).append(score)
        same, close, far = np.array(same), np.array(close), np.array(far)
        eer, threshold = equal_error_rate(same, np.concatenate([close, far]))
        print(
            f"| {model} | {np.percentile(same, 5):.3f} / {np.median(same):.3f} "
            f"| {np.median(close):.3f} / {np.percentile(close, 95):.3f} / {close.max():.3f} "
            f"| {np.percentile(far, 95):.3f} | {eer:.3f} | {threshold:.3f} |"
        )
    print()
    print(
        "| model | sentence pairs, same voice (10th pct / median) | same group, other voice (median / 90th) |"
    )
    print("|---|---|---|")
    print("\n".join(segment_lines))


if __name__ == "__main__":
    main()
