"""The `indexing` queue: sentence vectors for a recording's segments, written to the store.

Indexing reconciles rather than appends: vectors of segments that are gone or whose words changed are
removed (and the removal recorded for the replicas), segments without a vector of their current words get
one. Running it twice, or after any edit, leaves exactly one vector per segment.
"""

from __future__ import annotations

import logging

from celery import shared_task
from flask import current_app

import celeryconfig
from app.store import memory, recordings
from tasks import pipeline
from tasks.jobctx import JobContext
from workers.embed import text_embedder
from workers.pool import model_pool

BATCH = 256
# Rounds of "embed outside the transaction, write inside it"; more only if edits keep racing the indexer.
MAX_ROUNDS = 5
log = logging.getLogger(__name__)


def index_segments(recording_id: str) -> tuple[int, int]:
    """Bring one recording's vectors in line with its segments; returns (added, removed)."""
    config = current_app.extensions["nemo.config"]
    store = current_app.extensions["nemo.store"]
    embedder = text_embedder(
        model_pool(config.MODEL_BUDGET_BYTES), config.EMBEDDING_MODEL, config.WORKER_THREADS
    )
    added = removed = 0
    for _round in range(MAX_ROUNDS):
        with store.tx() as tx:
            recording = recordings.get_recording(tx, recording_id)
            if recording is None:
                return added, removed
            todo = memory.unindexed_segments(tx, recording_id, embedder.name)[:BATCH]
        vectors = embedder.embed([row["text"] for row in todo])
        with store.tx() as tx:
            # One indexer per recording at a time: the second finds the work done.
            tx.lock("recordings", recording_id)
            stale = memory.stale_vectors(tx, recording_id, embedder.name)
            memory.remove_vectors(tx, stale)
            still_needed = {
                row["id"]: row["text"] for row in memory.unindexed_segments(tx, recording_id, embedder.name)
            }
            items = [
                (row["id"], row["text"], vector)
                for row, vector in zip(todo, vectors, strict=True)
                if still_needed.get(row["id"]) == row["text"]
            ]
            memory.add_vectors(tx, recording["user_id"], recording_id, embedder.name, items)
            remaining = len(still_needed) - len(items)
        added += len(items)
        removed += len(stale)
        if remaining == 0:
            break
    store.optimize()
    return added, removed


@pipeline.job_task(pipeline.INDEXING)
def index_recording(ctx: JobContext) -> None:
    """The job's last stage: once indexed, the recording is searchable."""
    ctx.progress("indexing", pipeline.INDEXING.progress, "adding to your memory")
    added, removed = index_segments(ctx.job["recording_id"])
    log.info("indexed recording %s: %d added, %d removed", ctx.job["recording_id"], added, removed)


@shared_task(name=celeryconfig.REINDEX_TASK)
def reindex_recording(recording_id: str) -> None:
    """After an edit or a deletion of segments: bring the recording's vectors up to date."""
    index_segments(recording_id)
