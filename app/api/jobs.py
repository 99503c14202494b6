"""Jobs: poll, follow live (SSE), cancel."""

from __future__ import annotations

from flask import jsonify
from flask_login import current_user

from app import events
from app import extensions as ext
from app.api import api
from app.auth import login_required_api
from app.contract import operation
from app.errors import ApiError
from app.schemas.jobs import EVENT_STREAM, JobList, JobsQuery
from app.schemas.rows import Job
from app.serializers import public_job
from app.sse import event_stream
from app.store import jobs

TAGS = ("jobs",)


def owned_job(job_id: str) -> dict:
    with ext.store().tx() as tx:
        row = jobs.get_job(tx, job_id, current_user.id)
    if row is None:
        raise ApiError(404, "not_found", "no such job")
    return row


@api.get("/jobs")
@login_required_api
@operation("Your latest jobs, or the ones you name", tags=TAGS, query=JobsQuery, responses={200: JobList})
def list_jobs(query: JobsQuery):
    """The latest jobs, or with `?ids=a,b,c` exactly those (of the caller's): one poll for a whole batch."""
    ids = query.id_list
    with ext.store().tx() as tx:
        rows = jobs.get_jobs(tx, ids, current_user.id) if ids else jobs.list_jobs(tx, current_user.id)
    return jsonify({"jobs": [public_job(r) for r in rows]})


@api.get("/jobs/<job_id>")
@login_required_api
@operation("A job's state and progress", tags=TAGS, responses={200: Job})
def get_job(job_id: str):
    return jsonify(public_job(owned_job(job_id)))


@api.get("/jobs/<job_id>/events")
@login_required_api
@operation("Follow a job live (SSE)", tags=TAGS, responses={200: EVENT_STREAM})
def job_events(job_id: str):
    """`progress` and stage events, then `done`, `failed` or `cancelled` with the job."""
    owned_job(job_id)
    store = ext.store()

    def final_state() -> dict | None:
        with store.tx() as tx:
            row = jobs.get_job(tx, job_id)
        return public_job(row) if row and row["state"] in jobs.TERMINAL else None

    return event_stream(events.stream_key(job_id), final_state)


@api.delete("/jobs/<job_id>")
@login_required_api
@operation("Cancel a job", tags=TAGS, responses={200: Job})
def cancel_job(job_id: str):
    """Queued work is dropped when a worker picks it up; a running task stops at its next checkpoint."""
    row = owned_job(job_id)
    if row["state"] in jobs.TERMINAL:
        raise ApiError(409, "already_finished", f"the job is already {row['state']}")
    config = ext.config()
    events.request_cancel(ext.redis_client(), job_id, config.EVENT_STREAM_TTL_SECONDS)
    with ext.store().tx() as tx:
        jobs.update_job(tx, job_id, state="cancelled", error="cancelled by the user")
        row = jobs.get_job(tx, job_id)
    events.emit(ext.redis_client(), job_id, "cancelled", public_job(row), config.EVENT_STREAM_TTL_SECONDS)
    return jsonify(public_job(row))
