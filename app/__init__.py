"""Nemo Server's web application. `create_app` (in `app.factory`) builds it; it is imported on first use, so
that importing a light part of the package (the command-line client in `app.client`, the shared
configuration) does not load Flask, Celery and the store with it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from app.factory import create_app

__all__ = ["create_app"]


def __getattr__(name: str) -> Any:
    if name == "create_app":
        from app.factory import create_app

        return create_app
    raise AttributeError(f"module 'app' has no attribute {name!r}")
