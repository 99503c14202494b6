"""Jobs: lists and the event stream."""

from __future__ import annotations

from pydantic import Field, field_validator

from app.contract import Media
from app.schemas.base import Answer, QueryFields
from app.schemas.rows import Job

MAX_IDS_PER_QUERY = 200


class JobsQuery(QueryFields):
    ids: str | None = Field(None, description="comma-separated job ids: exactly those (of yours)")

    @field_validator("ids")
    @classmethod
    def _ids(cls, value: str | None) -> str | None:
        if value is not None and len([i for i in value.split(",") if i]) > MAX_IDS_PER_QUERY:
            raise ValueError(f"ask for at most {MAX_IDS_PER_QUERY} ids at a time")
        return value

    @property
    def id_list(self) -> list[str]:
        return [i for i in (self.ids or "").split(",") if i]


class JobList(Answer):
    """Jobs, newest first."""

    jobs: list[Job]


EVENT_STREAM = Media(
    ("text/event-stream",),
    "Server-sent events, resumable with Last-Event-ID; each `data:` is a JSON object, the last one the final "
    "state.",
)
