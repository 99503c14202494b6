"""The pipeline's declarations and the job-task wrapper's rules, on the real store (no workers, no broker:
what a stage hands on is recorded where the pipeline would send it)."""

from __future__ import annotations

import uuid

import pytest
import redis

import celeryconfig
from app.store import jobs
from tasks import pipeline
from tasks.jobctx import JobCancelled


def test_every_stage_runs_in_a_routed_task_and_job_kinds_end_where_they_should():
    for kind, stages in pipeline.PIPELINES.items():
        assert stages, kind
        assert len({stage.name for stage in stages}) == len(stages), kind
        for stage in stages:
            assert stage.queue in celeryconfig.QUEUES and stage.priority >= 0, stage
        progress = [stage.progress for stage in stages]
        assert progress == sorted(progress), f"{kind}: progress goes forward"
    transcribe = pipeline.PIPELINES["transcribe"]
    assert [s.name for s in transcribe] == ["audio", "transcription", "diarization", "emotion", "indexing"]
    # Only the stages after the transcript keep it when they fail.
    assert [s.keeps_work for s in transcribe] == [False, False, True, True, True]
    job = {"kind": "transcribe"}
    assert pipeline.following(job, pipeline.DIARIZATION) is pipeline.EMOTION
    assert pipeline.following(job, pipeline.INDEXING) is None
    assert pipeline.following({"kind": "enroll"}, pipeline.ENROLLMENT) is None


def test_every_job_task_the_worker_registers_is_declared_in_the_pipeline(environment):
    """The stalled-job sweep and the time-limit hook know a job's tasks from `pipeline.JOB_TASKS` alone: a
    task made with `job_task` and missing there would be invisible to both."""
    import tasks.celery_app as worker

    def probe(ctx):
        pass

    wrapper = pipeline.job_task(pipeline.AUDIO, name="tests.pipeline.probe")(probe).run.__code__
    made_by_job_task = {
        name
        for name, task in worker.celery_app.tasks.items()
        if name.startswith("tasks.") and getattr(task.run, "__code__", None) is wrapper
    }
    assert made_by_job_task == pipeline.JOB_TASKS


@pytest.fixture()
def sent(monkeypatch) -> list[tuple]:
    calls: list[tuple] = []
    monkeypatch.setattr(pipeline, "send", lambda task, *args: calls.append((task, *args)))
    return calls


@pytest.fixture()
def new_job(store, alice):
    """Makes running jobs of alice's; any the test leaves unfinished are cancelled after it, so that no
    other test (the stalled-job sweep's) finds them."""
    made: list[str] = []

    def make(stage: str, kind: str = "diarize") -> str:
        with store.tx() as tx:
            job = jobs.insert_job(tx, alice["id"], None, kind, stage)
            jobs.update_job(tx, job["id"], state="running")
        made.append(job["id"])
        return job["id"]

    yield make
    with store.tx() as tx:
        for job_id in made:
            if jobs.get_job(tx, job_id)["state"] not in jobs.TERMINAL:
                jobs.update_job(tx, job_id, state="cancelled")


def _row(store, job_id: str) -> dict:
    with store.tx() as tx:
        return jobs.get_job(tx, job_id)


def _task(stage, body, **options):
    """A job task under a name of its own (registered once per test)."""
    return pipeline.job_task(stage, name=f"tests.pipeline.{uuid.uuid4().hex}", **options)(body)


def test_a_stage_that_keeps_work_warns_and_hands_on(app, store, new_job, sent):
    job_id = new_job("diarization")
    undone = []

    def body(ctx):
        raise RuntimeError("the speaker model is missing")

    with app.app_context():
        _task(pipeline.DIARIZATION, body, on_failure=lambda ctx: undone.append(ctx.job_id)).run(job_id)
    row = _row(store, job_id)
    assert row["state"] == "running" and row["stage"] == "emotion"
    assert row["warning"] == (
        "speakers could not be told apart (RuntimeError: the speaker model is missing); "
        "the transcript is kept"
    )
    assert undone == [job_id]
    assert sent == [(celeryconfig.EMOTION_TASK, job_id)]


def test_a_stage_before_the_transcript_fails_the_job(app, store, new_job, sent):
    job_id = new_job("audio", kind="transcribe")

    def body(ctx):
        raise ValueError("not audio")

    with app.app_context(), pytest.raises(ValueError):
        _task(pipeline.AUDIO, body, hands_on=False).run(job_id)
    row = _row(store, job_id)
    assert row["state"] == "failed" and row["error"] == "audio stage: not audio"
    assert sent == []


def test_the_last_stage_ends_the_job_and_a_second_delivery_does_nothing(app, store, new_job, sent):
    job_id = new_job("indexing")
    runs = []

    def body(ctx):
        runs.append(ctx.job_id)

    task = _task(pipeline.INDEXING, body)
    with app.app_context():
        task.run(job_id)
        task.run(job_id)  # delivered again after the job ended
    assert runs == [job_id]
    row = _row(store, job_id)
    assert row["state"] == "done" and row["progress"] == 1.0
    assert sent == []  # no recording, so no summary follows


def test_a_cancelled_job_and_a_missing_broker_leave_the_job_where_it_is(app, store, new_job, sent):
    cancelled = new_job("emotion")
    away = new_job("emotion")

    def stop(ctx):
        raise JobCancelled(ctx.job_id)

    def no_broker(ctx):
        raise redis.ConnectionError("Redis is restarting")

    with app.app_context():
        _task(pipeline.EMOTION, stop).run(cancelled)
        with pytest.raises(redis.ConnectionError):
            _task(pipeline.EMOTION, no_broker).run(away)
    for job_id in (cancelled, away):
        row = _row(store, job_id)
        assert (row["state"], row["stage"]) == ("running", "emotion")
        assert row["warning"] is None and row["error"] is None
    assert sent == []


def test_only_one_of_many_finishers_moves_the_job_on(app, store, new_job, sent):
    """Chunk tasks can each believe they finished last, and a task can run twice: the next stage starts
    once."""
    job_id = new_job("transcription", kind="transcribe")
    with app.app_context():
        from tasks.jobctx import JobContext

        ctx = JobContext(job_id)
        with store.tx() as tx:
            first = pipeline.claim_next(tx, ctx, pipeline.TRANSCRIPTION)
        with store.tx() as tx:
            second = pipeline.claim_next(tx, ctx, pipeline.TRANSCRIPTION)
    assert first is pipeline.DIARIZATION and second is None
    assert _row(store, job_id)["stage"] == "diarization"


def test_a_job_whose_task_ran_past_its_time_limit_fails_saying_so(store, new_job):
    """A task killed at its hard time limit never reaches the wrapper; the worker's main process hears
    of it and ends the job, instead of leaving it for the stalled-job sweep to run into the limit again."""
    from celery.exceptions import TimeLimitExceeded

    import tasks.celery_app as worker

    job_id = new_job("diarization")
    diarize = worker.celery_app.tasks[celeryconfig.DIARIZE_TASK]
    worker._fail_a_job_past_its_time_limit(sender=diarize, exception=TimeLimitExceeded(10800), args=[job_id])
    row = _row(store, job_id)
    assert row["state"] == "failed"
    assert row["error"] == "diarize_recording ran past its time limit of 10800 s and was stopped"
    # Any other failure is the wrapper's business.
    other = new_job("emotion")
    worker._fail_a_job_past_its_time_limit(sender=diarize, exception=RuntimeError("no"), args=[other])
    assert _row(store, other)["state"] == "running"
