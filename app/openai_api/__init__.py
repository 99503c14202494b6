"""OpenAI-compatible routes under /v1: what OpenAI's clients, and the tools built on them, call to
transcribe audio. A transcription is an upload like any other (stored in the caller's memory unless
`store=false`), answered once its transcript is ready."""

from flask import Blueprint

openai_v1 = Blueprint("openai", __name__, url_prefix="/v1")

from app.openai_api import views  # noqa: E402,F401  (routes register on import)
