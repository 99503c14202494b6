"""Sentence embeddings: text in, unit-length vectors out (cosine similarity is then a dot product)."""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

import numpy as np

from workers.pool import ModelPool, model_size_bytes

# Long segments are cut by the model at this many word pieces; 256 covers about 30 s of speech.
MAX_SEQ_LENGTH = 256


class TextEmbedder:
    """A sentence-transformers model on the CPU (or CUDA where present), kept loaded by the pool."""

    def __init__(self, path: Path, name: str, threads: int, device: str = "auto") -> None:
        import os

        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        import torch
        from sentence_transformers import SentenceTransformer

        torch.set_num_threads(max(1, threads))
        if device == "auto":
            device = "cuda" if torch.cuda.is_available() else "cpu"
        self.name = name
        self._model = SentenceTransformer(str(path), device=device, local_files_only=True)
        self._model.max_seq_length = min(self._model.max_seq_length or MAX_SEQ_LENGTH, MAX_SEQ_LENGTH)
        self.dim = int(self._model.get_embedding_dimension())

    def embed(self, texts: Sequence[str], batch_size: int = 64) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        vectors = self._model.encode(
            list(texts), batch_size=batch_size, normalize_embeddings=True, show_progress_bar=False
        )
        return np.asarray(vectors, dtype=np.float32)


@lru_cache(maxsize=8)
def model_dir(model: str) -> tuple[Path, str]:
    """A manifest name (assembled and sha256-checked) or a sentence-transformers directory, and its name.
    Cached per process: every search asks, and the answer does not change while the model is loaded."""
    if "/" in model:
        path = Path(model)
        if not (path / "config.json").exists():
            raise FileNotFoundError(f"{path} is not a sentence-transformers model directory")
        return path, path.name
    from models.assemble import ensure_model

    return ensure_model(model), model


def text_embedder(pool: ModelPool, model: str, threads: int) -> TextEmbedder:
    path, name = model_dir(model)
    return pool.get(f"embed:{path}", _size(path) * 2, lambda: TextEmbedder(path, name, threads))


@lru_cache(maxsize=8)
def _size(path: Path) -> int:
    return model_size_bytes(path)
