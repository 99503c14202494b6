"""Shared clients, created once per app and reached through `current_app`."""

from __future__ import annotations

import redis
from celery import Celery
from flask import current_app
from flask_login import LoginManager
from flask_wtf import CSRFProtect

from app.blobs import BlobStore
from app.config import Config
from app.store import Store

login_manager = LoginManager()
csrf = CSRFProtect()


def config() -> Config:
    return current_app.extensions["nemo.config"]


def store() -> Store:
    return current_app.extensions["nemo.store"]


def redis_client() -> redis.Redis:
    return current_app.extensions["nemo.redis"]


def blobs() -> BlobStore:
    return current_app.extensions["nemo.blobs"]


def celery() -> Celery:
    return current_app.extensions["celery"]


def spool_dir():
    """Scratch space for uploads being checked (inside the instance directory, mode 0700)."""
    path = config().INSTANCE_DIR / "tmp"
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path
