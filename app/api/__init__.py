"""The JSON API under /api/v1."""

from flask import Blueprint

api = Blueprint("api", __name__, url_prefix="/api/v1")

# Routes register on import.
from app.api import admin, auth_views, health, jobs, memory, recordings, segments, speakers  # noqa: E402,F401
