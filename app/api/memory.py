"""Memory: search across everything said, the emotion of a text, emotion summaries."""

from __future__ import annotations

from flask import jsonify
from flask_login import current_user

import celeryconfig
from app import extensions as ext
from app import rpc
from app.api import api
from app.auth import login_required_api
from app.contract import operation
from app.memory_requests import resolve_filters
from app.schemas.memory import (
    EmotionOfText,
    EmotionSummary,
    EmotionSummaryQuery,
    EmotionTextBody,
    SearchBody,
    SearchResults,
)
from app.store import emotions

# Segments of context on either side of each result.
SEARCH_CONTEXT = 1
BUCKETS = {"hour": 3600.0, "day": 86400.0, "week": 7 * 86400.0}


@api.post("/search")
@login_required_api
@operation("Search everything said", tags=("memory",), body=SearchBody, responses={200: SearchResults})
def search(body: SearchBody):
    """Plain-language search over every segment of the caller's recordings, with filters by speaker,
    emotion, recording and time."""
    with ext.store().tx(readonly=True) as tx:
        filters = resolve_filters(tx, current_user.id, body.filters)
    answer = rpc.call(
        celeryconfig.SEARCH_TASK,
        [
            current_user.id,
            body.query,
            body.top_k,
            filters.as_dict(),
            body.index,
            SEARCH_CONTEXT,
            body.ranking,
        ],
        timeout=ext.config().SEARCH_TIMEOUT_SECONDS,
        what="search",
    )
    return jsonify(answer)


@api.post("/emotion")
@login_required_api
@operation("The emotion of a text", tags=("memory",), body=EmotionTextBody, responses={200: EmotionOfText})
def emotion_of_text(body: EmotionTextBody):
    answer = rpc.call(
        celeryconfig.CLASSIFY_TASK,
        [body.text],
        timeout=ext.config().SEARCH_TIMEOUT_SECONDS,
        what="emotion recognition",
    )
    return jsonify(answer)


@api.get("/emotions/summary")
@login_required_api
@operation(
    "Emotions per speaker and over time",
    tags=("memory",),
    query=EmotionSummaryQuery,
    responses={200: EmotionSummary},
)
def emotions_summary(query: EmotionSummaryQuery):
    """Counts per speaker and per period (`bucket`), with the search filters as query parameters."""
    with ext.store().tx(readonly=True) as tx:
        filters = resolve_filters(tx, current_user.id, query)
        summary = emotions.summary(tx, current_user.id, filters, BUCKETS[query.bucket])
    return jsonify({**summary, "bucket": query.bucket})
