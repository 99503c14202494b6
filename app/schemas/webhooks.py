"""Webhooks: the URL and events a user registers, and the deliveries made."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, field_validator

from app.schemas.base import Answer, Request, Timestamp
from app.webhooks.events import EVENTS

DESCRIPTION_MAX = 200
EventName = Literal[EVENTS]  # type: ignore[valid-type]


class HookBody(Request):
    url: str = Field(min_length=1, max_length=2000, description="the http(s) address to send events to")
    events: list[EventName] = Field(min_length=1, max_length=len(EVENTS))
    description: str = Field("", max_length=DESCRIPTION_MAX)

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("url must be the http(s) address to send events to")
        return value.strip()

    @field_validator("events")
    @classmethod
    def _once_each(cls, value: list[str]) -> list[str]:
        return list(dict.fromkeys(value))


class Hook(Answer):
    """A webhook (with its signing `secret` when just made: it is shown once)."""

    id: str
    url: str
    events: list[str]
    description: str
    created_at: Timestamp
    secret: str | None = None


class HookList(Answer):
    """Your webhooks, and the events there are."""

    webhooks: list[Hook]
    events: list[str]


class Delivery(Answer):
    """One event sent (or being sent) to a webhook."""

    id: str
    webhook_id: str
    event: str
    state: Literal["pending", "sending", "delivered", "failed"]
    attempts: int
    last_status: int | None
    last_error: str | None
    created_at: Timestamp
    updated_at: Timestamp
    next_attempt_at: Timestamp | None
    delivered_at: Timestamp | None
    body: dict[str, Any]


class DeliveryList(Answer):
    """A webhook's deliveries, newest first."""

    deliveries: list[Delivery]
