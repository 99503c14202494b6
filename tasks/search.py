"""The `search` queue: hybrid search of one user's memory, served by a worker that keeps the embedding
model and the index replicas loaded between requests."""

from __future__ import annotations

import logging
import threading
import time

import numpy as np
from celery import shared_task
from flask import current_app

import celeryconfig
from app import rpc
from app.metrics import record
from app.store import fulltext, memory, search_results
from app.store.segment_filters import SegmentFilters, where_clause
from workers import hybrid, rerank
from workers.boot import consumed_queues
from workers.embed import query_embedder
from workers.pool import model_pool
from workers.vector_index import Replica

log = logging.getLogger(__name__)
_replica: Replica | None = None


def replica(dim: int) -> Replica:
    """This process's replica; built on first use, then only caught up."""
    global _replica
    config = current_app.extensions["nemo.config"]
    if _replica is None or _replica.dim != dim:
        _replica = Replica(
            memory.StoredVectors(current_app.extensions["nemo.store"]), dim, config.SEARCH_APPROXIMATE_FROM
        )
    return _replica


def _query_model():
    config = current_app.extensions["nemo.config"]
    return query_embedder(
        model_pool(config.MODEL_BUDGET_BYTES),
        config.EMBEDDING_MODEL,
        config.WORKER_THREADS,
        config.QUERY_EMBEDDING,
    )


def load_query_model_in_background(celery_app, flask_app) -> None:
    """Each search process loads its query model as it starts (`tasks.celery_app` calls this from
    `worker_process_init`), not on a user's first search. In a thread: the imports and the load take
    longer (3-5 s) than Celery waits for a new process to report in; a search that comes meanwhile waits
    for the same load (the pool holds its lock while loading)."""
    if not set(celeryconfig.SEARCH_QUEUES) & consumed_queues(celery_app):
        return

    def load() -> None:
        with flask_app.app_context():
            _query_model()

    threading.Thread(target=load, name="nemo-query-model", daemon=True).start()


def search(
    user_id: str,
    query: str,
    top_k: int,
    filters: SegmentFilters,
    index: str,
    context: int = 1,
    ranking: str = "auto",
) -> dict:
    """The user's best `top_k` segments for `query`, each with `context` neighbours on either side (the
    assistant reads whole turns from them): the two halves fused (`workers.hybrid`), the best candidates
    re-ordered by the learned re-ranker (`workers.rerank`)."""
    config = current_app.extensions["nemo.config"]
    store = current_app.extensions["nemo.store"]
    started = time.perf_counter()
    embedder = _query_model()
    query_vector = embedder.embed_query(query)
    user_index = replica(embedder.dim).user(user_id)
    mode = config.SEARCH_INDEX if index == "auto" else index
    chosen = config.SEARCH_RANKING if ranking == "auto" else ranking
    approximate = mode != "exact" and user_index.approximate is not None
    where, params = where_clause(filters, user_id)
    with store.tx(readonly=True) as tx:
        allowed = None
        if not filters.empty:
            allowed = np.array(search_results.candidate_vids(tx, user_id, filters), dtype=np.int64)
        keyword_hits = [
            (hit.vid, hit.coverage)
            for hit in fulltext.keyword_matches(
                tx, query, user_id, where, params, hybrid.KEYWORD_DEPTH + top_k
            )
        ]
        candidates = hybrid.rank(
            user_index, query_vector, keyword_hits, hybrid.vector_depth(top_k), allowed, approximate
        )
        ranked = candidates.fused
        if filters.empty and not keyword_hits and candidates.best_cosine < config.SEARCH_MIN_SIMILARITY:
            # About nothing said: "xylophone zebra quantum" finds nothing. With filters the user has
            # narrowed the memory already, and gets its closest lines (as the filters' tests expect).
            ranked = []
        elif chosen == "learned":
            depth = max(rerank.CANDIDATES, top_k)
            said = search_results.said_before(tx, user_id, [vid for vid, _s, _c in ranked[:depth]])
            ranked = rerank.reranked(user_index, query_vector, candidates, said, depth)
        results = search_results.hydrate(tx, user_id, ranked, filters, top_k, context)
    took = time.perf_counter() - started
    served_index = "approximate" if approximate and allowed is None else "exact"
    record.observe(current_app.extensions["nemo.redis"], record.SEARCH_SECONDS, took, index=served_index)
    return {
        "query": query,
        "results": results,
        "index": served_index,
        "ranking": chosen,
        "searched": user_index.size,
        "took_ms": round(took * 1000, 2),
    }


@shared_task(name=celeryconfig.SEARCH_TASK, ignore_result=True)
def search_memory(
    reply_key: str,
    user_id: str,
    query: str,
    top_k: int,
    filters: dict,
    index: str,
    context: int = 1,
    ranking: str = "auto",
) -> None:
    redis_client = current_app.extensions["nemo.redis"]
    try:
        filtered = SegmentFilters.from_dict(filters)
        answer = search(user_id, query, top_k, filtered, index, context, ranking)
    except Exception as exc:  # noqa: BLE001 - the caller gets the reason, the worker goes on
        log.exception("search failed")
        rpc.answer(redis_client, reply_key, error=f"{type(exc).__name__}: {exc}")
        return
    rpc.answer(redis_client, reply_key, answer)
