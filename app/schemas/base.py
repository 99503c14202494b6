"""The two kinds of model every schema module builds on: what a client sends (unknown fields refused,
text stripped of nothing: the views decide what spacing means) and what the API answers (every field it
sends is declared, so the OpenAPI document lists all of them)."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

Timestamp = Annotated[float, Field(description="seconds since 1970-01-01 UTC")]


class Request(BaseModel):
    """A JSON body (checked strictly: `"10"` is not a number, `1` is not `true`)."""

    model_config = ConfigDict(extra="forbid")


class Fields(BaseModel):
    """Query parameters or multipart fields: text by nature, so `"10"` is read as the number 10."""

    model_config = ConfigDict(extra="forbid")


class QueryFields(BaseModel):
    """Query parameters: unknown ones are ignored, as a browser's cache-busting `_=` must be."""

    model_config = ConfigDict(extra="ignore")


class Answer(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Ok(Answer):
    """Done."""

    ok: bool


class ErrorDetail(BaseModel):
    model_config = ConfigDict(extra="forbid")
    code: str | None = Field(description="a stable machine-readable reason")
    message: str = Field(description="what was wrong, for a person")
    type: str | None = Field(None, description="OpenAI's error type (under /v1 only)")
    param: str | None = Field(None, description="the request field at fault (under /v1 only)")


class ErrorBody(Answer):
    """Every error under /api/v1 and /v1: `{"error": {...}}`."""

    error: ErrorDetail
