"""The `emotion` queue: an emotion and every class's score for each segment, and for a single text.

Only segments without a label from the current model are classified, so a rerun, a re-diarization or an
edit costs only the segments that changed. A failure here never costs the transcript: the job goes on to
indexing with a warning.
"""

from __future__ import annotations

import logging

from celery import shared_task
from flask import current_app

import celeryconfig
from app import rpc
from app.store import emotions
from tasks import pipeline
from tasks.jobctx import JobContext
from workers.emotion import EmotionEngine, emotion_engine
from workers.pool import model_pool

BATCH = 256
log = logging.getLogger(__name__)


def engine() -> EmotionEngine:
    config = current_app.extensions["nemo.config"]
    return emotion_engine(
        model_pool(config.MODEL_BUDGET_BYTES),
        config.EMOTION_MODEL,
        config.EMBEDDING_MODEL,
        config.WORKER_THREADS,
        config.INSTANCE_DIR / "models",
    )


def label_segments(recording_id: str) -> int:
    """Classify the recording's unlabelled segments, a batch at a time; returns how many were labelled."""
    store = current_app.extensions["nemo.store"]
    classifier = engine()
    labelled = 0
    while True:
        with store.tx() as tx:
            todo = emotions.unlabelled_segments(tx, recording_id, classifier.name)[:BATCH]
        if not todo:
            return labelled
        results = classifier.classify([row["text"] for row in todo])
        with store.tx() as tx:
            written = emotions.set_emotions(
                tx,
                classifier.name,
                [
                    (row["id"], row["text"], r.emotion, r.all_scores)
                    for row, r in zip(todo, results, strict=True)
                ],
            )
        labelled += written
        if written == 0:  # every one of them changed under us; the next edit brings them back here
            return labelled


@pipeline.job_task(pipeline.EMOTION)
def label_recording(ctx: JobContext) -> None:
    """The job's emotion stage."""
    ctx.progress("emotion", pipeline.EMOTION.progress, "recognising emotions")
    label_segments(ctx.job["recording_id"])


@shared_task(name=celeryconfig.RELABEL_TASK, bind=True)
def relabel_recording(self, recording_id: str) -> None:
    """After an edit: label what changed, then bring the index up to date."""
    try:
        label_segments(recording_id)
    finally:
        self.app.send_task(celeryconfig.REINDEX_TASK, args=[recording_id])


@shared_task(name=celeryconfig.CLASSIFY_TASK)
def classify_text(reply_key: str, text: str) -> None:
    """`POST /api/v1/emotion`: one text, answered on the caller's reply key."""
    redis_client = current_app.extensions["nemo.redis"]
    try:
        result = engine().classify([text])[0]
    except Exception as exc:  # noqa: BLE001 - the caller gets the reason, the worker goes on
        log.exception("emotion of a text failed")
        rpc.answer(redis_client, reply_key, error=f"{type(exc).__name__}: {exc}")
        return
    rpc.answer(redis_client, reply_key, result.as_dict())
