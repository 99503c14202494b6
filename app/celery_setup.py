"""Celery bound to the Flask app, as in the official Flask + Celery pattern.

The web process only *sends* tasks, by name: it never imports `tasks` or `workers`, so no model code is
loaded where requests are served.
"""

from __future__ import annotations

from celery import Celery, Task
from flask import Flask

from app import task_redaction  # noqa: F401  (redacts task arguments for Flower)
from app.config import Config


def celery_init_app(app: Flask, config: Config) -> Celery:
    class FlaskTask(Task):
        def __call__(self, *args: object, **kwargs: object) -> object:
            with app.app_context():
                return self.run(*args, **kwargs)

    celery_app = Celery(app.name, task_cls=FlaskTask)
    celery_app.config_from_object("celeryconfig")
    celery_app.conf.broker_url = config.REDIS_URL
    celery_app.conf.result_backend = config.REDIS_URL
    celery_app.set_default()
    app.extensions["celery"] = celery_app
    return celery_app
