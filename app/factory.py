"""Nemo Server's Flask application factory."""

from __future__ import annotations

import os

import redis
from flask import Flask

from app.blobs import BlobStore
from app.celery_setup import celery_init_app
from app.config import PROJECT_ROOT, Config, load_config
from app.json_provider import GuardedJSONProvider
from app.log_format import configure_logging
from app.secrets import get_secret
from app.store import open_store


def create_app(config: Config | None = None) -> Flask:
    config = config or load_config()
    # Everything this process creates (the database and its WAL, blobs, spooled uploads) is the
    # service account's alone: 0600 files, 0700 folders.
    os.umask(0o077)
    config.INSTANCE_DIR.mkdir(parents=True, exist_ok=True, mode=0o700)
    app = Flask(
        __name__,
        instance_path=str(config.INSTANCE_DIR),
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder=str(PROJECT_ROOT / "static"),
    )
    app.json = GuardedJSONProvider(app)
    app.config.from_object(config)
    app.config["MAX_CONTENT_LENGTH"] = config.MAX_CONTENT_LENGTH
    app.config["SECRET_KEY"] = get_secret(config.INSTANCE_DIR, "session_key")
    configure_logging(config.LOG_FORMAT)

    store = open_store(config)
    store.migrate()
    app.extensions["nemo.config"] = config
    app.extensions["nemo.store"] = store
    app.extensions["nemo.redis"] = redis.Redis.from_url(config.REDIS_URL, socket_timeout=30)
    app.extensions["nemo.blobs"] = BlobStore(config.BLOB_DIR, get_secret(config.INSTANCE_DIR, "blob_key"))
    celery_init_app(app, config)

    from app.api import api
    from app.auth import init_auth
    from app.errors import register_error_handlers
    from app.input_guard import register_input_guard
    from app.metrics import metrics_bp, register_request_metrics
    from app.openai_api import openai_v1
    from app.pages import pages
    from app.request_ids import register_request_ids
    from app.security_headers import register_security_headers

    register_request_ids(app)
    register_request_metrics(app)  # first, so that refused requests are timed too
    init_auth(app)
    register_error_handlers(app)
    register_input_guard(app)
    register_security_headers(app)
    app.register_blueprint(api)
    app.register_blueprint(openai_v1)
    app.register_blueprint(metrics_bp)
    app.register_blueprint(pages)
    return app
