"""The worker's entry point: `celery -A tasks.celery_app worker ...` (what `nemoctl worker` runs)."""

import redis
from celery.signals import worker_process_init

from app import create_app
from app.config import load_config
from tasks import stalled
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
import tasks.transcription  # noqa: E402,F401
import workers.boot  # noqa: E402,F401  (signal handlers)


def send_on_stalled_jobs(client: redis.Redis) -> None:
    """Every heartbeat: jobs whose next task the broker lost are sent on from their stage."""
    with flask_app.app_context():
        stalled.sweep(flask_app.extensions["nemo.store"], client, celery_app, _config.STALL_SECONDS)


@worker_process_init.connect
def _warm_search_process(**_kwargs) -> None:
    tasks.search.load_query_model_in_background(celery_app, flask_app)


boot.heartbeat_sweeps.append(send_on_stalled_jobs)
boot.batch_niceness = _config.BATCH_NICE
