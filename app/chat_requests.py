"""What a chat request needs beyond its shape (app/schemas/chat.py): room in the model's context.

The web never loads the model, so it cannot count tokens exactly; it refuses what certainly cannot fit
(about four characters a token for English text) and leaves the exact check to the worker, which reports an
over-long prompt as a failed answer with the same `context_exceeded` code.
"""

from __future__ import annotations

from app.errors import ApiError
from app.schemas.chat import MAX_ANSWER_TOKENS, ChatBody

CHARS_PER_TOKEN = 4


def check_fits(body: ChatBody, context_tokens: int) -> None:
    answer_limit = min(MAX_ANSWER_TOKENS, context_tokens // 2)
    if body.max_tokens > answer_limit:
        raise ApiError(
            400,
            "bad_field",
            f"max_tokens must be a whole number from 1 to {answer_limit}",
            param="max_tokens",
        )
    # The last question alone must fit beside the answer (older turns and excerpts can be cut to fit).
    question_tokens = len(body.messages[-1].content) // CHARS_PER_TOKEN
    if question_tokens + body.max_tokens > context_tokens:
        raise ApiError(
            400,
            "context_exceeded",
            f"the question is about {question_tokens} tokens and {body.max_tokens} are asked for the "
            f"answer; the model's context holds {context_tokens} tokens",
            param="messages",
        )
