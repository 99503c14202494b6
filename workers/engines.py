"""Which engine a configured name stands for: a manifest model, a CTranslate2 Whisper directory or a NeMo
`.nemo` file for speech recognition; CAM++, Resemblyzer or a NeMo model for voices. The engine modules
(`asr`, `speakers`, `nemo_engines`) only define engines; choosing among them happens here, so none of them
imports another's family."""

from __future__ import annotations

from pathlib import Path

from models.assemble import ensure_model
from workers.asr import AsrEngine, FasterWhisperEngine
from workers.nemo_engines import NemoAsrEngine, NemoSpeakerEmbedder
from workers.pool import ModelPool, model_pool, model_size_bytes
from workers.speakers import CamPlusPlusEmbedder, ResemblyzerEmbedder, SpeakerEmbedder


def asr_engine(pool: ModelPool, model: str, device: str, compute_type: str, threads: int) -> AsrEngine:
    """The engine for a manifest model name, a CTranslate2 Whisper directory, or a NeMo `.nemo` file,
    resident in the pool."""
    if model.endswith(".nemo"):
        path = Path(model)
        return pool.get(f"asr:{path}", path.stat().st_size * 2, lambda: NemoAsrEngine(path, device))

    model_dir = Path(model) if "/" in model else ensure_model(model)
    if not (model_dir / "model.bin").exists():
        raise FileNotFoundError(f"{model_dir} is not a CTranslate2 Whisper model directory")
    name = model_dir.name if "/" in model else model
    return pool.get(
        f"asr:{model_dir}",
        model_size_bytes(model_dir),
        lambda: FasterWhisperEngine(model_dir, name, device, compute_type, threads),
    )


def configured_asr_engine(config) -> AsrEngine:
    """The engine the configuration names, in this process's pool: what batch and live chunks both use."""
    return asr_engine(
        model_pool(config.MODEL_BUDGET_BYTES),
        config.ASR_MODEL,
        config.ASR_DEVICE,
        config.ASR_COMPUTE_TYPE,
        config.WORKER_THREADS,
    )


def load_embedder(name: str, device: str) -> SpeakerEmbedder:
    """`campplus` (default), `resemblyzer`, or a path to a NeMo speaker model (`.nemo`, e.g. TitaNet)."""
    if name.endswith(".nemo"):
        return NemoSpeakerEmbedder(Path(name), device)
    if name == "campplus":
        return CamPlusPlusEmbedder(ensure_model("campplus") / "campplus_cn_en_common.pt", device)
    if name != "resemblyzer":
        raise ValueError(f"unknown speaker embedding model {name!r}")
    return ResemblyzerEmbedder(ensure_model("resemblyzer") / "pretrained.pt", device)
