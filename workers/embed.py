"""Sentence embeddings: text in, unit-length vectors out (cosine similarity is then a dot product).

Segments are embedded in float32, in batches, by the indexing task. A search's query is one short text
embedded while the user waits, and on a CPU its cost is the model's arithmetic (about 0.6 GFLOP for a
ten-word question through MiniLM-L6, 12-15 ms on one core of the development machines, over 90% of a
search): the query model is the same network with its linear layers in int8 (per output channel, the
activations scaled per query), 2.2x cheaper. Its vectors sit at cosine 0.98 (median) from the float32
ones, and the served ranking of bench/retrieval's 155 questions keeps recall@5 (0.69) with recall@1
0.37 -> 0.38.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

import numpy as np

from workers.pool import ModelPool, model_size_bytes
from workers.threads import torch_threads

# Long segments are cut by the model at this many word pieces; 256 covers about 30 s of speech.
MAX_SEQ_LENGTH = 256
# One query is too small to share between cores: on two threads it took 10.5 ms against 6.2 ms on one.
QUERY_THREADS = 1


class TextEmbedder:
    """A sentence-transformers model on the CPU (or CUDA where present), kept loaded by the pool."""

    def __init__(
        self, path: Path, name: str, threads: int, device: str = "auto", precision: str = "float32"
    ) -> None:
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
        if precision == "int8" and device == "cpu":
            _to_int8(self._model)

    def embed(self, texts: Sequence[str], batch_size: int = 64) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        vectors = self._model.encode(
            list(texts), batch_size=batch_size, normalize_embeddings=True, show_progress_bar=False
        )
        return np.asarray(vectors, dtype=np.float32)

    def embed_query(self, text: str) -> np.ndarray:
        """One search's query, on one thread (see QUERY_THREADS)."""
        with torch_threads(QUERY_THREADS):
            return self.embed([text])[0]


def _to_int8(model) -> None:
    """Linear layers to int8 weights (one scale per output channel), in place."""
    import warnings

    import torch
    from torch.ao.quantization import per_channel_dynamic_qconfig, quantize_dynamic

    with warnings.catch_warnings():
        # torch 2.13 points eager-mode quantization users at torchao; the API is still there and pinned.
        warnings.simplefilter("ignore")
        quantize_dynamic(
            model, {torch.nn.Linear: per_channel_dynamic_qconfig}, dtype=torch.qint8, inplace=True
        )


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


def query_embedder(pool: ModelPool, model: str, threads: int, precision: str) -> TextEmbedder:
    """The model that embeds search queries: `precision` int8 or float32 (then it is the indexing model).
    int8 is for CPUs: on a GPU the indexing model answers queries too."""
    if precision == "float32" or _cuda_available():
        return text_embedder(pool, model, threads)
    path, name = model_dir(model)
    return pool.get(
        f"embed-{precision}:{path}",
        _size(path) * 2,
        lambda: TextEmbedder(path, name, threads, precision=precision),
    )


@lru_cache(maxsize=1)
def _cuda_available() -> bool:
    import torch

    return torch.cuda.is_available()


@lru_cache(maxsize=8)
def _size(path: Path) -> int:
    return model_size_bytes(path)
