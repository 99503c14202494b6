"""The worker's entry point: `celery -A tasks.celery_app worker ...` (what `nemoctl worker` runs)."""

import redis
from celery.exceptions import TimeLimitExceeded
from celery.signals import task_failure, worker_process_init

from app import create_app
from app.config import load_config
from tasks import pipeline, stalled
from tasks.jobctx import JobContext
from workers import boot
from workers.boot import pin_threads

_config = load_config()
pin_threads(_config.WORKER_THREADS)

flask_app = create_app(_config)
celery_app = flask_app.extensions["celery"]

# Registered on import: the shared tasks bind to the default app set by celery_init_app.
import tasks.audio  # noqa: E402,F401
import tasks.chat  # noqa: E402,F401
import tasks.emotion  # noqa: E402,F401
import tasks.indexing  # noqa: E402,F401
import tasks.live  # noqa: E402,F401
import tasks.search  # noqa: E402,F401
import tasks.task_metrics  # noqa: E402,F401  (signal handlers)
import tasks.transcription  # noqa: E402,F401
import tasks.voice_actions  # noqa: E402,F401
import tasks.webhooks  # noqa: E402,F401
import workers.boot  # noqa: E402,F401  (signal handlers)


def send_on_stalled_jobs(client: redis.Redis) -> None:
    """Every heartbeat: jobs whose next task the broker lost are sent on from their stage."""
    with flask_app.app_context():
        stalled.sweep(flask_app.extensions["nemo.store"], client, celery_app, _config.STALL_SECONDS)


@task_failure.connect
def _fail_a_job_past_its_time_limit(sender=None, exception=None, args=None, **_kwargs) -> None:
    """A stage task killed at its hard time limit (`celeryconfig.task_time_limit`) ends its job as failed,
    saying so: nothing would otherwise end it, and the stalled-job sweep would run it into the limit
    again."""
    if not isinstance(exception, TimeLimitExceeded) or sender is None or not args:
        return
    if sender.name not in pipeline.JOB_TASKS:
        return
    with flask_app.app_context():
        ctx = JobContext(args[0])
        if not ctx.finished:
            limit = exception.args[0] if exception.args else "?"
            ctx.fail(f"{sender.name.rsplit('.', 1)[1]} ran past its time limit of {limit} s and was stopped")


@worker_process_init.connect
def _warm_search_process(**_kwargs) -> None:
    tasks.search.load_query_model_in_background(celery_app, flask_app)


def send_due_webhooks(_client: redis.Redis) -> None:
    """Every heartbeat: webhook deliveries whose attempt is due are queued (`tasks.webhooks.send_due`)."""
    with flask_app.app_context():
        tasks.webhooks.send_due(flask_app.extensions["nemo.store"], celery_app)


boot.heartbeat_sweeps.append(send_on_stalled_jobs)
boot.heartbeat_sweeps.append(send_due_webhooks)
boot.batch_niceness = _config.BATCH_NICE
