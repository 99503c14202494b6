"""Voice actions: a phrase pattern and what to do when it is said."""

from __future__ import annotations

import json
import re
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from app.schemas.base import Answer, Request, Timestamp
from app.voice_intents import compile_pattern

NAME_MAX = 100
DATA_MAX_CHARS = 4000
_SERVICE = re.compile(r"[a-z_][a-z0-9_]*\.[a-z_][a-z0-9_]*")


class RuleBody(Request):
    name: str = Field(min_length=1, max_length=NAME_MAX)
    pattern: str = Field(
        min_length=1, max_length=500, description="a phrase with {slots}, such as 'remind me to {task}'"
    )
    action: Literal["webhook", "home_assistant"] = Field(
        "webhook", description="a voice.action webhook event, or a Home Assistant service call"
    )
    service: str | None = Field(None, description="the Home Assistant service, such as light.turn_on")
    data: dict[str, Any] = Field(
        default_factory=dict, description="the service call's data; {slot} in a value is filled in"
    )

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not value.strip():
            raise ValueError(f"name must be 1-{NAME_MAX} characters")
        return value.strip()

    @field_validator("pattern")
    @classmethod
    def _pattern(cls, value: str) -> str:
        try:
            compile_pattern(value)
        except ValueError as exc:
            raise ValueError(f"pattern: {exc}") from None
        return value.strip()

    @field_validator("data")
    @classmethod
    def _data(cls, value: dict[str, Any]) -> dict[str, Any]:
        if len(json.dumps(value)) > DATA_MAX_CHARS:
            raise ValueError(f"data must be a JSON object (at most {DATA_MAX_CHARS:,} characters)")
        return value

    @model_validator(mode="after")
    def _service(self) -> RuleBody:
        if self.action == "home_assistant":
            if self.service is None or not _SERVICE.fullmatch(self.service):
                raise ValueError("service must be a Home Assistant service such as light.turn_on")
        elif self.service is not None:
            raise ValueError("service goes with action home_assistant only")
        return self


class Rule(Answer):
    """A voice action."""

    id: str
    name: str
    pattern: str
    action: Literal["webhook", "home_assistant"]
    service: str | None
    data: dict[str, Any]
    enabled: bool
    created_at: Timestamp


class RuleList(Answer):
    """Your voice actions."""

    voice_actions: list[Rule]


class Firing(Answer):
    id: str
    rule_id: str
    recording_id: str | None
    stream_id: str | None
    said: str
    slots: dict[str, str]
    outcome: str
    detail: str | None
    created_at: Timestamp


class FiringList(Answer):
    """What fired, newest first."""

    firings: list[Firing]


class TryBody(Request):
    text: str = Field(min_length=1, max_length=2000, description="a sentence, as if it had been said")

    @field_validator("text")
    @classmethod
    def _text(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("text must be 1-2,000 characters")
        return value


class RuleMatch(Answer):
    rule: Rule
    slots: dict[str, str]


class TryResult(Answer):
    """The rules the sentence would fire, with their slots; nothing was run."""

    matches: list[RuleMatch]
