"""The JSON API under /api/v1."""

from flask import Blueprint

api = Blueprint("api", __name__, url_prefix="/api/v1")

# Routes register on import.
from app.api import (  # noqa: E402,F401
    admin,
    auth_views,
    chat,
    docs,
    health,
    jobs,
    live,
    memory,
    recordings,
    segments,
    speakers,
    voice_actions,
    webhooks,
)
