"""Administration: users, their roles and quotas, the audit log."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from app.schemas.auth import Quota
from app.schemas.base import Answer, QueryFields, Request, Timestamp

QuotaValue = Annotated[float, Field(ge=0, le=1e15)] | Literal["unlimited"] | None


class UserRow(Answer):
    id: str
    username: str
    role: Literal["admin", "user"]
    disabled: bool
    created_at: Timestamp
    quota: Quota


class UserList(Answer):
    """Every user, by name."""

    users: list[UserRow]


class UserChange(Request):
    role: Literal["admin", "user"] | None = Field(None, description="a role change ends the user's sessions")
    storage_quota_bytes: QuotaValue = Field(
        None, description='bytes (a number from 0), "unlimited", or null for the default'
    )
    audio_quota_hours: QuotaValue = Field(
        None, description='hours (a number from 0), "unlimited", or null for the default'
    )

    @model_validator(mode="after")
    def _something(self) -> UserChange:
        if not self.model_fields_set:
            raise ValueError("send role, storage_quota_bytes or audio_quota_hours")
        if "role" in self.model_fields_set and self.role is None:
            raise ValueError("role must be 'admin' or 'user'")
        return self


class UserChanged(Answer):
    """The user's role and quota now."""

    id: str
    role: Literal["admin", "user"]
    quota: Quota


class AuditQuery(QueryFields):
    limit: int = Field(100, ge=1, le=1000)
    action: str | None = Field(None, max_length=40, description="only this action (login, deleted, ...)")
    user_id: str | None = Field(None, max_length=64, description="only what this user did")
    since: float | None = Field(None, ge=0, description="epoch seconds")
    until: float | None = Field(None, ge=0, description="epoch seconds")


class NewUser(Request):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=1000, description="at least the server's minimum length")
    role: Literal["admin", "user"] = "user"


class AuditEvent(Answer):
    id: str
    at: Timestamp
    user_id: str | None
    action: str
    detail: str
    remote_addr: str | None


class AuditLog(Answer):
    """The latest audited actions, newest first."""

    events: list[AuditEvent]
