"""NVIDIA NeMo engines, loaded from a `.nemo` file: ASR (Parakeet, Conformer, ...) and speaker embeddings
(TitaNet, ...). Optional: `pip install -e '.[nemo]'` (about 2 GB). No real checkpoint is reachable from the
development machines, so the tests build tiny randomly initialised models, save them with `save_to` and load
them through these same classes."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from workers.asr import DecodeHints, Segment, Word
from workers.speakers import SAMPLE_RATE, VoiceWindows

WINDOW_SECONDS = 1.5
HOP_SECONDS = 0.75


def _device(device: str) -> str:
    import torch

    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    return device


def _fingerprint(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(4 * 1024 * 1024):
            digest.update(block)
    return digest.hexdigest()[:12]


class NemoAsrEngine:
    """Any NeMo ASR model (CTC, RNN-T, TDT) restored from a `.nemo` file, with word timestamps."""

    def __init__(self, path: Path, device: str = "auto") -> None:
        from nemo.collections.asr.models import ASRModel

        if not path.exists():
            raise FileNotFoundError(f"no NeMo model at {path}")
        self.name = f"nemo:{path.name}"
        self._model = ASRModel.restore_from(str(path), map_location=_device(device))
        self._model.eval()

    def detect_language(self, audio: np.ndarray) -> str | None:
        return None  # a NeMo ASR checkpoint is trained for its own language(s)

    def transcribe_batch(
        self, audios: list[np.ndarray], language: str | None, hints: DecodeHints | None = None
    ) -> list[list[Segment]]:
        return [list(self.transcribe(audio, language, hints)) for audio in audios]

    def transcribe(
        self, audio: np.ndarray, language: str | None, hints: DecodeHints | None = None
    ) -> Iterator[Segment]:
        """`hints` are not used: a CTC or transducer checkpoint takes no prompt and decodes greedily."""
        output = self._model.transcribe(
            [audio.astype(np.float32)], batch_size=1, timestamps=True, verbose=False
        )
        hypothesis = output[0][0] if isinstance(output, tuple) else output[0]
        stamps = hypothesis.timestamp or {}
        words = [
            Word(float(w["start"]), float(w["end"]), str(w["word"]), 1.0)
            for w in stamps.get("word", [])
            if w["word"]
        ]
        pieces = stamps.get("segment") or (
            [{"segment": hypothesis.text, "start": words[0].start, "end": words[-1].end}] if words else []
        )
        for piece in pieces:
            text = str(piece["segment"]).strip()
            if not text:
                continue
            start, end = float(piece["start"]), float(piece["end"])
            inside = [w for w in words if start - 1e-3 <= w.start and w.end <= end + 1e-3]
            yield Segment(start, max(end, start + 0.01), text, inside, None)


class NemoSpeakerEmbedder:
    """A NeMo speaker model (e.g. TitaNet) restored from a `.nemo` file. Its name carries the file's hash:
    vectors of different models must never be compared."""

    def __init__(self, path: Path, device: str = "auto") -> None:
        from nemo.collections.asr.models import EncDecSpeakerLabelModel

        if not path.exists():
            raise FileNotFoundError(f"no NeMo speaker model at {path}")
        self.name = f"nemo:{path.name}:{_fingerprint(path)}"
        self._model = EncDecSpeakerLabelModel.restore_from(str(path), map_location=_device(device))
        self._model.eval()
        self.dim = int(self._embed(np.zeros(SAMPLE_RATE, dtype=np.float32)).shape[-1])

    def _embed(self, audio: np.ndarray) -> np.ndarray:
        vector, _logits = self._model.infer_segment(audio.astype(np.float32))
        vector = vector.detach().cpu().numpy().reshape(-1)
        return vector / max(float(np.linalg.norm(vector)), 1e-9)

    def embed_windows(self, audio: np.ndarray) -> VoiceWindows:
        window, hop = int(WINDOW_SECONDS * SAMPLE_RATE), int(HOP_SECONDS * SAMPLE_RATE)
        starts = list(range(0, max(len(audio) - window, 0) + 1, hop))
        spans = [(s / SAMPLE_RATE, min(s + window, len(audio)) / SAMPLE_RATE) for s in starts]
        vectors = np.stack([self._embed(audio[s : s + window]) for s in starts])
        return VoiceWindows(whole=self._embed(audio), vectors=vectors, spans=spans)
