"""Memory: search across everything said, the emotion of a text, emotion summaries."""

from __future__ import annotations

from flask import jsonify, request
from flask_login import current_user

import celeryconfig
from app import extensions as ext
from app import rpc
from app.api import api
from app.api.auth_views import json_body
from app.auth import login_required_api
from app.errors import ApiError
from app.memory_requests import parse_filters, parse_search
from app.store import emotions

EMOTION_TEXT_MAX = 5000
# Segments of context on either side of each result.
SEARCH_CONTEXT = 1
BUCKETS = {"hour": 3600.0, "day": 86400.0, "week": 7 * 86400.0}


@api.post("/search")
@login_required_api
def search():
    """`{query, top_k, filters: {speaker, emotion, recording_id, since, until, last_n_recordings}, index,
    ranking}`."""
    body = json_body()
    with ext.store().tx(readonly=True) as tx:
        wanted = parse_search(tx, current_user.id, body)
    answer = rpc.call(
        celeryconfig.SEARCH_TASK,
        [
            current_user.id,
            wanted.query,
            wanted.top_k,
            wanted.filters.as_dict(),
            wanted.index,
            SEARCH_CONTEXT,
            wanted.ranking,
        ],
        timeout=ext.config().SEARCH_TIMEOUT_SECONDS,
        what="search",
    )
    return jsonify(answer)


@api.post("/emotion")
@login_required_api
def emotion_of_text():
    """`{text}` -> `{emotion, confidence, all_scores}`."""
    body = json_body()
    text = body.get("text")
    if not isinstance(text, str) or not text.strip() or len(text) > EMOTION_TEXT_MAX:
        raise ApiError(
            400, "bad_field", f"text must be a non-empty string of at most {EMOTION_TEXT_MAX} characters"
        )
    answer = rpc.call(
        celeryconfig.CLASSIFY_TASK,
        [" ".join(text.split())],
        timeout=ext.config().SEARCH_TIMEOUT_SECONDS,
        what="emotion recognition",
    )
    return jsonify(answer)


@api.get("/emotions/summary")
@login_required_api
def emotions_summary():
    """Counts per speaker and over time, with the search filters as query parameters and `bucket`."""
    args = request.args.to_dict()
    bucket = args.pop("bucket", "day")
    if bucket not in BUCKETS:
        raise ApiError(400, "bad_field", f"bucket must be one of {', '.join(BUCKETS)}")
    with ext.store().tx(readonly=True) as tx:
        filters = parse_filters(tx, current_user.id, args)
        summary = emotions.summary(tx, current_user.id, filters, BUCKETS[bucket])
    return jsonify({**summary, "bucket": bucket})
