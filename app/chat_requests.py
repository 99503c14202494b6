"""Reading a chat request: every field checked before anything is stored or queued.

The web never loads the model, so it cannot count tokens exactly; it refuses what certainly cannot fit
(about four characters a token for English text) and leaves the exact check to the worker, which reports an
over-long prompt as a failed answer with the same `context_exceeded` code.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from app.errors import ApiError
from app.time_phrases import zone

ROLES = ("system", "user", "assistant")
MAX_MESSAGES = 200
CHARS_PER_TOKEN = 4
DEFAULT_MAX_TOKENS = 256
MAX_ANSWER_TOKENS = 2048
DEFAULT_TEMPERATURE = 0.2
MAX_TEMPERATURE = 2.0


@dataclass(frozen=True)
class ChatRequest:
    messages: list[dict[str, str]]
    use_memory: bool
    max_tokens: int
    temperature: float
    conversation_id: str | None
    timezone: str | None


def _bad(message: str, code: str = "bad_field") -> ApiError:
    return ApiError(400, code, message)


def parse_messages(raw: Any) -> list[dict[str, str]]:
    if not isinstance(raw, list) or not raw:
        raise _bad("messages must be a non-empty list of {role, content} objects")
    if len(raw) > MAX_MESSAGES:
        raise _bad(f"at most {MAX_MESSAGES} messages")
    messages = []
    for i, item in enumerate(raw):
        if not isinstance(item, dict) or set(item) - {"role", "content"}:
            raise _bad(f"messages[{i}] must be an object with only role and content")
        role, content = item.get("role"), item.get("content")
        if role not in ROLES:
            raise _bad(f"messages[{i}].role must be one of {', '.join(ROLES)}")
        if not isinstance(content, str) or not content.strip():
            raise _bad(f"messages[{i}].content must be a non-empty string")
        messages.append({"role": role, "content": content})
    if messages[-1]["role"] != "user":
        raise _bad("the last message must be the user's question")
    return messages


def parse_chat(body: dict[str, Any], context_tokens: int) -> ChatRequest:
    messages = parse_messages(body.get("messages"))
    use_memory = body.get("use_memory", True)
    if not isinstance(use_memory, bool):
        raise _bad("use_memory must be true or false")
    answer_limit = min(MAX_ANSWER_TOKENS, context_tokens // 2)
    max_tokens = body.get("max_tokens", DEFAULT_MAX_TOKENS)
    if isinstance(max_tokens, bool) or not isinstance(max_tokens, int) or not 1 <= max_tokens <= answer_limit:
        raise _bad(f"max_tokens must be a whole number from 1 to {answer_limit}")
    temperature = body.get("temperature", DEFAULT_TEMPERATURE)
    if (
        isinstance(temperature, bool)
        or not isinstance(temperature, int | float)
        or not 0 <= temperature <= MAX_TEMPERATURE
    ):
        raise _bad(f"temperature must be a number from 0 to {MAX_TEMPERATURE:g}")
    conversation_id = body.get("conversation_id")
    if conversation_id is not None and (not isinstance(conversation_id, str) or len(conversation_id) > 64):
        raise _bad("conversation_id must be the id of one of your conversations")
    timezone = body.get("timezone")
    if timezone is not None:
        try:
            if not isinstance(timezone, str) or len(timezone) > 64:
                raise ValueError(timezone)
            zone(timezone)
        except ValueError as exc:
            raise _bad("timezone must be an IANA time zone name such as Europe/Paris") from exc
    # The last question alone must fit beside the answer (older turns and excerpts can be cut to fit).
    question_tokens = len(messages[-1]["content"]) // CHARS_PER_TOKEN
    if question_tokens + max_tokens > context_tokens:
        raise _bad(
            f"the question is about {question_tokens} tokens and {max_tokens} are asked for the answer; "
            f"the model's context holds {context_tokens} tokens",
            code="context_exceeded",
        )
    return ChatRequest(messages, use_memory, max_tokens, float(temperature), conversation_id, timezone)
