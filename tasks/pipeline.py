"""A job's way through the system, declared once: the stages of each kind of job in order, the task that
runs each (its queue and priority are that task's route in `celeryconfig.TASKS`), how far along the job is
as each starts, what a failure in each costs, and what follows the last one.

`job_task` is the one wrapper every stage task runs in: it loads the job, does nothing for a job that has
ended, stops quietly when the user cancelled, applies the stage's failure rule, and hands the job on to the
next stage. Adding a stage to a pipeline is one `Stage` and its place in `PIPELINES` (its task, like every
task, has its route in `celeryconfig.TASKS`).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import kombu.exceptions
import redis
from celery import shared_task
from flask import current_app

import celeryconfig
from app.store import StoreUnavailable, jobs, recordings, voice_rules
from app.store.db import Tx
from tasks.jobctx import JobCancelled, JobContext

log = logging.getLogger(__name__)
# Errors that say a service is away for now: the broker (a publish gave up after its retries, a Redis
# connection failed or Redis is still loading its data) or the database (a connection lost mid-transaction,
# which rolled it back). They fail no job: the task raises, and the stalled-job sweep sends the job on from
# its stage once the service is back. Any other error, a Redis one included, is the job's.
UNAVAILABLE = (
    kombu.exceptions.OperationalError,
    redis.ConnectionError,
    redis.TimeoutError,
    StoreUnavailable,
)


@dataclass(frozen=True)
class Stage:
    """One step of a job. `keeps_work`: a failure becomes the job's warning and the job goes on, because
    the transcript already stands; otherwise the job fails with `failure` as its error."""

    name: str  # the job's `stage` while it runs
    task: str  # the task that runs it, and that takes a stalled job on from it
    progress: float  # how far along the job is as the stage starts
    keeps_work: bool
    failure: str  # the job's error or warning; {error} is what went wrong
    inner: tuple[str, ...] = ()  # tasks that run within the stage once it started

    @property
    def queue(self) -> str:
        return celeryconfig.TASKS[self.task][0]

    @property
    def priority(self) -> int:
        return celeryconfig.TASKS[self.task][1]


# Decode, find the speech, plan the chunks, then send a transcription task per few chunks.
AUDIO = Stage("audio", celeryconfig.PREPARE_TASK, 0.01, False, "audio stage: {error}")
# The chunks fan out (CHUNKS_TASK) and gather in FINISH_TASK. A stalled job comes back in through the audio
# task, which keeps the chunk plan and sends only the chunks not yet done.
TRANSCRIPTION = Stage(
    "transcription",
    celeryconfig.PREPARE_TASK,
    0.05,
    False,
    "transcription: {error}",
    inner=(celeryconfig.CHUNKS_TASK, celeryconfig.FINISH_TASK),
)
DIARIZATION = Stage(
    "diarization",
    celeryconfig.DIARIZE_TASK,
    0.90,
    True,
    "speakers could not be told apart ({error}); the transcript is kept",
)
EMOTION = Stage(
    "emotion", celeryconfig.EMOTION_TASK, 0.94, True, "emotions could not be recognised ({error})"
)
INDEXING = Stage(
    "indexing", celeryconfig.INDEX_TASK, 0.97, True, "the recording could not be indexed for search ({error})"
)
ENROLLMENT = Stage("enrollment", celeryconfig.ENROLL_TASK, 0.1, False, "enrollment: {error}")

# Job kind -> its stages in order. A re-diarization starts where a transcript is complete. A
# `transcript_only` job (the OpenAI-compatible API with `store=false`) is never searchable: its
# recording is deleted once its transcript has been returned.
PIPELINES: dict[str, tuple[Stage, ...]] = {
    "transcribe": (AUDIO, TRANSCRIPTION, DIARIZATION, EMOTION, INDEXING),
    "transcript_only": (AUDIO, TRANSCRIPTION, DIARIZATION),
    "diarize": (DIARIZATION, EMOTION, INDEXING),
    "enroll": (ENROLLMENT,),
}
# Every task that works on a job: its first argument is the job's id (what the stalled-job sweep looks for).
JOB_TASKS = frozenset(
    task for stages in PIPELINES.values() for stage in stages for task in (stage.task, *stage.inner)
)


def stages_of(job: dict[str, Any]) -> tuple[Stage, ...]:
    return PIPELINES[job["kind"]]


def following(job: dict[str, Any], stage: Stage) -> Stage | None:
    """The stage after `stage` in the job's pipeline; None after the last."""
    order = stages_of(job)
    at = order.index(stage)
    return order[at + 1] if at + 1 < len(order) else None


def resume_task(job: dict[str, Any]) -> str | None:
    """The task that takes a job on from where the store says it stands (a queued job from its first
    stage); None for a stage no pipeline of its kind has."""
    order = PIPELINES.get(job["kind"], ())
    if job["stage"] == "queued" and order:
        return order[0].task
    return next((stage.task for stage in order if stage.name == job["stage"]), None)


def send(task: str, *args: Any) -> None:
    """Queue a task by name, through the Celery app of the Flask app the task runs in; its queue and
    priority come from its route."""
    current_app.extensions["celery"].send_task(task, args=list(args))


def claim_next(tx: Tx, ctx: JobContext, stage: Stage) -> Stage | None:
    """Move the job from `stage` to the next one, in the caller's transaction. Only one caller wins (many
    chunk tasks may finish "last", a task may run twice): the winner gets the next stage, others None."""
    after = following(ctx.job, stage)
    if after is not None and jobs.advance_stage(tx, ctx.job_id, stage.name, after.name):
        return after
    return None


def start(ctx: JobContext, stage: Stage, message: str | None = None) -> None:
    """Send the task of a stage the job was just moved to (with a progress event when there is news)."""
    if message:
        ctx.progress(stage.name, stage.progress, message)
    send(stage.task, ctx.job_id)


def hand_on(ctx: JobContext, stage: Stage) -> None:
    """After `stage`: on to the next stage, or, after the last, the job is done and its follow-ups sent."""
    if following(ctx.job, stage) is None:
        ctx.done()
        after_done(ctx)
        return
    with ctx.store.tx() as tx:
        after = claim_next(tx, ctx, stage)
    if after is not None:
        start(ctx, after)


def after_done(ctx: JobContext) -> None:
    """What follows a finished recording: its voice actions (when its owner has rules), and its summary,
    at the lowest priority, so that it never holds up a transcript, a chat answer or a live chunk (when
    summaries are on). Speakers told apart again get a summary written again (who said what changed);
    their voice actions ran when the recording was new."""
    recording_id = ctx.job["recording_id"]
    if ctx.job["state"] != "done" or ctx.job["kind"] not in ("transcribe", "diarize") or not recording_id:
        return
    with ctx.store.tx() as tx:
        has_rules = ctx.job["kind"] == "transcribe" and voice_rules.count_rules(tx, ctx.job["user_id"]) > 0
        if ctx.config.SUMMARIES:
            recordings.update_recording(tx, recording_id, summary_state="pending")
    if has_rules:
        send(celeryconfig.VOICE_RECORDING_TASK, recording_id)
    if ctx.config.SUMMARIES:
        send(celeryconfig.SUMMARY_TASK, recording_id)


def job_task(
    stage: Stage,
    name: str | None = None,
    hands_on: bool = True,
    on_failure: Callable[[JobContext], None] | None = None,
) -> Callable[[Callable[..., None]], Any]:
    """Make `body(ctx, *args)` the Celery task `name` (the stage's task by default) for one job at `stage`.

    A job that has ended is left alone (a task delivered twice does nothing the second time); a cancelled
    one stops at the body's next checkpoint. A failure fails the job, or, in a stage that `keeps_work`,
    runs `on_failure` and becomes the job's warning; a service that is away does neither. Then, with
    `hands_on`, the job goes on to the next stage unless the body ended it. Tasks inside a stage (the
    chunks fanning out) pass `hands_on=False`."""

    def decorate(body: Callable[..., None]) -> Any:
        @shared_task(name=name or stage.task, bind=True)
        @functools.wraps(body)
        def task(_self, job_id: str, *args: Any) -> None:
            ctx = JobContext(job_id)
            if ctx.finished:
                return
            log.info("job %s: %s", job_id, _self.name)
            try:
                body(ctx, *args)
            except JobCancelled:
                return
            except UNAVAILABLE:
                # A service being away is not the job's fault: the job keeps its stage, and the stalled-job
                # sweep sends it on once the service is back (`tasks.stalled`).
                raise
            except Exception as exc:
                error = stage.failure.format(error=_describe(exc, stage))
                if not stage.keeps_work:
                    ctx.fail(error)
                    raise
                log.exception("job %s: %s failed", job_id, stage.name)
                if on_failure is not None:
                    on_failure(ctx)
                ctx.warn(error)
            if hands_on and not ctx.finished:
                hand_on(ctx, stage)

        return task

    return decorate


def _describe(exc: Exception, stage: Stage) -> str:
    # A failed job's error is its reason as the engine gave it; a kept failure's warning also names its kind.
    return f"{type(exc).__name__}: {exc}" if stage.keeps_work else str(exc)
