"""Signing in and out, passwords and personal tokens."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from app.schemas.base import Answer, Request, Timestamp


class LoginBody(Request):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=1000)


class Account(Answer):
    id: str
    username: str
    role: Literal["admin", "user"]


class SignedIn(Answer):
    """Signed in: the session cookie is set; send `csrf_token` as `X-CSRFToken` with unsafe methods."""

    user: Account
    csrf_token: str


class PasswordBody(Request):
    current_password: str = Field(max_length=1000)
    new_password: str = Field(max_length=1000)


class SignedOut(Answer):
    """The password is changed and every browser session of the user has ended."""

    ok: bool
    signed_out: bool


class Usage(Answer):
    used: float
    limit: float | None = Field(description="null: unlimited")


class Quota(Answer):
    """What the user has used of their storage and audio, and their limits."""

    storage_bytes: Usage
    audio_hours: Usage


class Me(Answer):
    """The caller's account and quota."""

    id: str
    username: str
    role: Literal["admin", "user"]
    quota: Quota


class CsrfToken(Answer):
    """A CSRF token for this session."""

    csrf_token: str


class TokenBody(Request):
    name: str = Field("api", max_length=100, description="what the token is for")


class NewToken(Answer):
    """The token (shown once: keep it) and its id."""

    token: str
    id: str
    name: str


class TokenRow(Answer):
    """An API token (its value is never shown again; only a hash is kept)."""

    id: str
    name: str
    created_at: Timestamp
    last_used_at: Timestamp | None
    revoked_at: Timestamp | None


class TokenList(Answer):
    tokens: list[TokenRow]
