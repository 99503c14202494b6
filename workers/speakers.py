"""Speaker embedding engines behind one interface: audio in, unit-length voice vectors out.

`embed_windows` returns one vector per ~1.6 s window with the window's place in the audio, so diarization
can tell who speaks at each word, and one vector for the whole piece, for clustering and enrollment.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

SAMPLE_RATE = 16_000


@dataclass
class VoiceWindows:
    whole: np.ndarray  # (dim,), unit length
    vectors: np.ndarray  # (n, dim), unit length
    spans: list[tuple[float, float]]  # seconds, relative to the audio given


class SpeakerEmbedder(Protocol):
    name: str
    dim: int

    def embed_windows(self, audio: np.ndarray) -> VoiceWindows: ...


def _unit(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=-1, keepdims=True)
    return vectors / np.maximum(norms, 1e-9)


class ResemblyzerEmbedder:
    """GE2E speaker encoder (256-d) from the Resemblyzer wheel, weights checked against the manifest."""

    name = "resemblyzer"
    dim = 256

    def __init__(self, weights: Path, device: str = "cpu") -> None:
        import torch
        from resemblyzer import VoiceEncoder

        if device == "auto":
            device = "cuda" if torch.cuda.is_available() else "cpu"
        self._encoder = VoiceEncoder(device, verbose=False, weights_fpath=weights)

    def embed_windows(self, audio: np.ndarray) -> VoiceWindows:
        from resemblyzer.audio import normalize_volume

        # Volume is normalised, but silences are not trimmed: window times must stay aligned with the words.
        # Pure silence has no volume to normalise (its level is -inf dB).
        wav = audio.astype(np.float32)
        if len(wav) and float(np.sqrt(np.mean(wav**2))) > 1e-5:
            wav = normalize_volume(wav, -30, increase_only=True)
        whole, partials, slices = self._encoder.embed_utterance(wav, return_partials=True, rate=1.3)
        spans = [(s.start / SAMPLE_RATE, min(s.stop, len(audio)) / SAMPLE_RATE) for s in slices]
        return VoiceWindows(whole=_unit(whole), vectors=_unit(partials), spans=spans)


def load_embedder(name: str, device: str) -> SpeakerEmbedder:
    """`resemblyzer` (default) or a path to a NeMo speaker model (`.nemo`, e.g. TitaNet)."""
    if name.endswith(".nemo"):
        from workers.nemo_engines import NemoSpeakerEmbedder

        return NemoSpeakerEmbedder(Path(name), device)
    if name != "resemblyzer":
        raise ValueError(f"unknown speaker embedding model {name!r}")
    from models.assemble import ensure_model

    return ResemblyzerEmbedder(ensure_model("resemblyzer") / "pretrained.pt", device)
