"""Health: what a load balancer (anonymous) and a signed-in operator see."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from app.schemas.base import Answer


class Health(Answer):
    """`ok`, `degraded` (a queue has no worker) or `down` (Redis or the database unreachable: 503)."""

    status: Literal["ok", "degraded", "down"]
    redis: dict[str, Any]
    store: dict[str, Any]
    queues_without_worker: list[str]
    workers: list[dict[str, Any]] | int = Field(
        description="the workers seen; only their number when anonymous"
    )
    model_swaps: dict[str, float] | None = None
