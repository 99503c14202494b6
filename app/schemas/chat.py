"""The assistant: a question (with the conversation so far) and the answers."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator, model_validator

from app.schemas.base import Answer, Request
from app.schemas.rows import Chat
from app.time_phrases import zone

MAX_MESSAGES = 200
DEFAULT_MAX_TOKENS = 256
MAX_ANSWER_TOKENS = 2048
DEFAULT_TEMPERATURE = 0.2
MAX_TEMPERATURE = 2.0


class Message(Request):
    role: Literal["system", "user", "assistant"]
    content: str = Field(min_length=1)

    @field_validator("content")
    @classmethod
    def _content(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("a message's content must be a non-empty string")
        return value


class ChatBody(Request):
    messages: list[Message] = Field(
        min_length=1, max_length=MAX_MESSAGES, description="the conversation so far; the last is the question"
    )
    use_memory: bool = Field(True, description="answer from the caller's recordings, citing them")
    max_tokens: int = Field(
        DEFAULT_MAX_TOKENS, ge=1, le=MAX_ANSWER_TOKENS, description="at most half the model's context"
    )
    temperature: float = Field(DEFAULT_TEMPERATURE, ge=0, le=MAX_TEMPERATURE)
    conversation_id: str | None = Field(None, max_length=64, description="continue one of your conversations")
    timezone: str | None = Field(
        None, max_length=64, description='an IANA zone such as Europe/Paris, for "yesterday" and "last week"'
    )

    @field_validator("timezone")
    @classmethod
    def _timezone(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                zone(value)
            except ValueError as exc:
                raise ValueError("timezone must be an IANA time zone name such as Europe/Paris") from exc
        return value

    @model_validator(mode="after")
    def _question_last(self) -> ChatBody:
        if self.messages[-1].role != "user":
            raise ValueError("the last message must be the user's question")
        return self


class ChatAccepted(Answer):
    """Accepted: the answer streams from /api/v1/chat/{chat_id}/events."""

    chat_id: str
    conversation_id: str
    state: str


class Conversations(Answer):
    """Your conversations, each as its latest answer, newest first."""

    conversations: list[Chat]


class Conversation(Answer):
    """A conversation's answers, oldest first."""

    conversation_id: str
    answers: list[Chat]
