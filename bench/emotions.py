"""The emotion classifier on its held-out set: accuracy, macro-F1, the confusion matrix, and what each part
of it adds.

    .venv/bin/python -m bench.emotions

The held-out set (`workers/emotion_data/heldout.tsv`) was written apart from the training set: its first
210 lines with the first training set, the other 420 later by a writer who never saw the training set.
Rows: the sentence vector alone (logistic regression), with the explicit-cue features, then with the two
reader's rules (a stated feeling wins; a best score under `NEUTRAL_BELOW` is neutral), which is what the
server runs. The regularisation is chosen by 5-fold cross-validation on the training set alone.
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import argparse  # noqa: E402
import platform  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

from models.labels import EMOTIONS  # noqa: E402

FIRST_HELDOUT = 210


def fit(features: np.ndarray, labels: list[int], c: float):
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(C=c, max_iter=3000).fit(features, labels)


def cross_validated_c(features: np.ndarray, labels: list[int], grid: list[float]) -> float:
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import cross_val_score

    scores = {}
    for c in grid:
        model = LogisticRegression(C=c, max_iter=3000)
        scores[c] = cross_val_score(model, features, labels, cv=5, scoring="f1_macro").mean()
    return max(scores, key=scores.get)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--model", default="all-minilm-l6-v2", help="the sentence embedding model")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    from sklearn.metrics import accuracy_score, confusion_matrix, f1_score

    from workers import emotion
    from workers.embed import text_embedder
    from workers.emotion_cues import cue_features
    from workers.pool import ModelPool

    embedder = text_embedder(ModelPool(4 * 1024**3), args.model, args.threads)
    train_texts, train_labels = emotion.load_labelled(emotion.TRAIN_SET)
    test_texts, test_labels = emotion.load_labelled(emotion.HELDOUT_SET)
    y_train = [EMOTIONS.index(label) for label in train_labels]
    started = time.perf_counter()
    train_vectors, test_vectors = embedder.embed(train_texts), embedder.embed(test_texts)
    print(f"embedded {len(train_texts) + len(test_texts)} sentences in {time.perf_counter() - started:.1f} s")
    grid = [0.5, 1.0, 2.0, 4.0, 8.0]

    def scores(predicted: list[str]) -> str:
        parts = [(0, len(test_labels)), (0, FIRST_HELDOUT), (FIRST_HELDOUT, len(test_labels))]
        cells = []
        for a, b in parts:
            cells.append(f"{accuracy_score(test_labels[a:b], predicted[a:b]):.3f}")
            cells.append(f"{f1_score(test_labels[a:b], predicted[a:b], average='macro'):.3f}")
        return " | ".join(cells)

    print(f"\nbench.emotions on {platform.machine()}, {os.cpu_count()} cores, {args.model}; train "
          f"{len(train_texts)}, held-out {len(test_texts)} (first {FIRST_HELDOUT} / written apart "
          f"{len(test_texts) - FIRST_HELDOUT})")  # fmt: skip
    print("| classifier | C | accuracy | macro-F1 | acc. first | F1 first | acc. apart | F1 apart |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    c_plain = cross_validated_c(train_vectors, y_train, grid)
    plain = fit(train_vectors, y_train, c_plain)
    predicted = [EMOTIONS[i] for i in plain.predict(test_vectors)]
    print(f"| sentence vector | {c_plain} | {scores(predicted)} |")

    def with_cues(texts: list[str], vectors: np.ndarray) -> np.ndarray:
        return np.hstack([vectors, emotion.CUE_WEIGHT * cue_features(texts)])

    train_cued, test_cued = with_cues(train_texts, train_vectors), with_cues(test_texts, test_vectors)
    c_cued = cross_validated_c(train_cued, y_train, grid)
    cued = fit(train_cued, y_train, c_cued)
    predicted = [EMOTIONS[i] for i in cued.predict(test_cued)]
    print(f"| + cue features | {c_cued} | {scores(predicted)} |")

    with tempfile.TemporaryDirectory() as cache:
        served = emotion.EmbeddingEmotionClassifier(embedder, Path(cache))
        results = emotion.decide(test_texts, served.probabilities(with_cues(test_texts, test_vectors)))
    predicted = [r.emotion for r in results]
    served_c = emotion.REGULARISATION_C
    print(f"| + stated feeling wins, unsure is neutral (served) | {served_c} | {scores(predicted)} |")
    print("\nconfusion matrix of the served classifier (rows: true, columns: predicted)")
    print("| true / predicted | " + " | ".join(EMOTIONS) + " |")
    print("| --- " * (len(EMOTIONS) + 1) + "|")
    matrix = confusion_matrix(test_labels, predicted, labels=list(EMOTIONS))
    for label, row in zip(EMOTIONS, matrix, strict=True):
        print(f"| {label} | " + " | ".join(str(v) for v in row) + " |")


if __name__ == "__main__":
    main()
