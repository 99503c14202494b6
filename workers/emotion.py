"""Emotion engines behind one interface: texts in, one of seven emotions with every class's score out.

The default is a logistic regression over all-MiniLM-L6-v2 sentence embeddings plus counts of explicit
emotion words and their negations (`workers/emotion_cues.py`), trained on the labelled set shipped in
`workers/emotion_data/train.tsv` (no trained emotion transformer is reachable offline); its accuracy is
measured on the separate `heldout.tsv`, written apart from the training set, by `bench/search.py`. Any
transformers sequence classifier whose labels are these emotions (for example the DistilRoBERTa emotion
model) loads by path.

Whatever the engine, two rules a reader would apply come last: a feeling stated outright ("I am really
angry about it") wins, and a sentence whose best class scores under `NEUTRAL_BELOW` is labelled neutral
(a wrong emotion in a filter is worse than none); `confidence` is then the best class's score, so a
low-confidence neutral can be told from a confident one.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

from models.labels import EMBEDDING_CLASSIFIER, EMOTIONS
from workers import emotion_cues
from workers.embed import TextEmbedder, text_embedder
from workers.emotion_cues import cue_features, stated_emotion
from workers.pool import ModelPool, model_size_bytes

DATA_DIR = Path(__file__).with_name("emotion_data")
TRAIN_SET = DATA_DIR / "train.tsv"
HELDOUT_SET = DATA_DIR / "heldout.tsv"
# Inverse regularisation strength, chosen by 5-fold cross-validation on the training set alone
# (`bench/emotions.py` prints the choice).
REGULARISATION_C = 8.0
# Scale of the cue counts beside the unit-length sentence vector.
CUE_WEIGHT = 0.5
# Below this best-class score a sentence is labelled neutral (0.3 costs 0.002 macro-F1 on the held-out
# set; 0.4 costs 0.009).
NEUTRAL_BELOW = 0.3
# Share of the score a stated feeling takes over from the classifier.
STATED_WEIGHT = 0.7


@dataclass(frozen=True)
class EmotionResult:
    emotion: str
    confidence: float
    all_scores: dict[str, float]

    def as_dict(self) -> dict[str, object]:
        return {"emotion": self.emotion, "confidence": self.confidence, "all_scores": self.all_scores}


class EmotionEngine(Protocol):
    name: str

    def classify(self, texts: Sequence[str]) -> list[EmotionResult]: ...


def decide(texts: Sequence[str], probabilities: np.ndarray) -> list[EmotionResult]:
    """The label of each text from its class scores, after the two reader's rules (module docstring)."""
    results = []
    for text, row in zip(texts, probabilities, strict=True):
        stated = stated_emotion(text)
        if stated is not None:
            row = (1 - STATED_WEIGHT) * row + STATED_WEIGHT * np.eye(len(EMOTIONS))[EMOTIONS.index(stated)]
        scores = {label: round(float(p), 4) for label, p in zip(EMOTIONS, row, strict=True)}
        best = int(np.argmax(row))
        label = EMOTIONS[best] if row[best] >= NEUTRAL_BELOW else "neutral"
        results.append(EmotionResult(label, round(float(row[best]), 4), scores))
    return results


def load_labelled(path: Path) -> tuple[list[str], list[str]]:
    """(texts, labels) of a `label<TAB>text` file."""
    texts, labels = [], []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        label, _, text = line.partition("\t")
        if label not in EMOTIONS or not text.strip():
            raise ValueError(f"{path}:{number}: expected '<emotion>\\t<text>'")
        texts.append(text.strip())
        labels.append(label)
    return texts, labels


class EmbeddingEmotionClassifier:
    """Multinomial logistic regression on sentence embeddings. Training takes a few seconds, so the
    weights are cached beside the models, keyed by the training set's and the embedder's identity."""

    def __init__(self, embedder: TextEmbedder, cache_dir: Path) -> None:
        self.embedder = embedder
        self.name = f"{EMBEDDING_CLASSIFIER}:{embedder.name}"
        identity = [TRAIN_SET.read_bytes(), Path(emotion_cues.__file__).read_bytes()]
        identity += [embedder.name.encode(), f"{REGULARISATION_C}:{CUE_WEIGHT}".encode()]
        key = hashlib.sha256(b"\0".join(identity))
        cached = cache_dir / f"emotion-{key.hexdigest()[:16]}.npz"
        if cached.exists():
            weights = np.load(cached)
            self._coef, self._intercept = weights["coef"], weights["intercept"]
        else:
            self._coef, self._intercept = self._train()
            cache_dir.mkdir(parents=True, exist_ok=True)
            partial = cached.with_suffix(".part.npz")
            np.savez(partial, coef=self._coef, intercept=self._intercept)
            partial.replace(cached)

    def _train(self) -> tuple[np.ndarray, np.ndarray]:
        from sklearn.linear_model import LogisticRegression

        texts, labels = load_labelled(TRAIN_SET)
        model = LogisticRegression(C=REGULARISATION_C, max_iter=2000)
        model.fit(self.features(texts), [EMOTIONS.index(label) for label in labels])
        if list(model.classes_) != list(range(len(EMOTIONS))):
            raise ValueError("the training set must hold every emotion")
        return model.coef_.astype(np.float32), model.intercept_.astype(np.float32)

    def features(self, texts: Sequence[str]) -> np.ndarray:
        """The sentence vector, then the explicit-cue counts."""
        return self.features_of(texts, self.embedder.embed(texts))

    @staticmethod
    def features_of(texts: Sequence[str], vectors: np.ndarray) -> np.ndarray:
        """Features of texts whose sentence vectors are already known (bench/search.py embeds its
        memory once and reuses the vectors)."""
        return np.hstack([vectors, CUE_WEIGHT * cue_features(list(texts))])

    def probabilities(self, vectors: np.ndarray) -> np.ndarray:
        logits = vectors @ self._coef.T + self._intercept
        logits -= logits.max(axis=1, keepdims=True)
        exp = np.exp(logits)
        return exp / exp.sum(axis=1, keepdims=True)

    def classify(self, texts: Sequence[str]) -> list[EmotionResult]:
        if not texts:
            return []
        return decide(texts, self.probabilities(self.features(texts)))


class TransformersEmotionClassifier:
    """A transformers sequence classifier loaded by path; its labels must name the seven emotions."""

    def __init__(self, path: Path, threads: int, device: str = "auto") -> None:
        import torch
        from transformers import AutoModelForSequenceClassification, AutoTokenizer

        torch.set_num_threads(max(1, threads))
        if device == "auto":
            device = "cuda" if torch.cuda.is_available() else "cpu"
        self.name = f"transformers:{path.name}"
        self._device = device
        self._tokenizer = AutoTokenizer.from_pretrained(str(path), local_files_only=True)
        self._model = AutoModelForSequenceClassification.from_pretrained(str(path), local_files_only=True)
        self._model.to(device).eval()
        labels = [str(self._model.config.id2label[i]).lower() for i in range(self._model.config.num_labels)]
        if sorted(labels) != sorted(EMOTIONS):
            raise ValueError(f"{path}: labels {labels} are not the seven emotions {list(EMOTIONS)}")
        # Column of each of our emotions in the model's output.
        self._order = [labels.index(emotion) for emotion in EMOTIONS]

    def classify(self, texts: Sequence[str], batch_size: int = 32) -> list[EmotionResult]:
        import torch

        rows = []
        for start in range(0, len(texts), batch_size):
            batch = self._tokenizer(
                list(texts[start : start + batch_size]),
                padding=True,
                truncation=True,
                max_length=256,
                return_tensors="pt",
            ).to(self._device)
            with torch.inference_mode():
                logits = self._model(**batch).logits.float()
            rows.append(torch.softmax(logits, dim=-1)[:, self._order].cpu().numpy())
        return decide(texts, np.concatenate(rows)) if rows else []


def emotion_engine(
    pool: ModelPool, model: str, embedding_model: str, threads: int, cache_dir: Path
) -> EmotionEngine:
    """The configured engine, resident in the pool."""
    if model == EMBEDDING_CLASSIFIER:
        embedder = text_embedder(pool, embedding_model, threads)
        return pool.get(
            f"emotion:{embedder.name}", 64 * 1024, lambda: EmbeddingEmotionClassifier(embedder, cache_dir)
        )
    path = Path(model)
    if not (path / "config.json").exists():
        raise FileNotFoundError(f"{path} is not a transformers model directory")
    return pool.get(
        f"emotion:{path}", model_size_bytes(path) * 2, lambda: TransformersEmotionClassifier(path, threads)
    )
