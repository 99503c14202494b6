"""Answers of the assistant, grouped into conversations, always scoped to one user."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

from app.store.db import Tx

CHAT_COLUMNS = (
    "id, user_id, conversation_id, messages, use_memory, max_tokens, temperature, state, answer, citations, "
    "usage, timings, model, error, created_at, finished_at"
)
TERMINAL = ("done", "failed")
_JSON_FIELDS = ("messages", "citations", "usage", "timings")


def insert_chat(
    tx: Tx,
    user_id: str,
    conversation_id: str | None,
    messages: list[dict[str, str]],
    use_memory: bool,
    max_tokens: int,
    temperature: float,
) -> dict[str, Any]:
    row = {
        "id": uuid.uuid4().hex,
        "user_id": user_id,
        "conversation_id": conversation_id or uuid.uuid4().hex,
        "messages": json.dumps(messages),
        "use_memory": int(use_memory),
        "max_tokens": max_tokens,
        "temperature": temperature,
        "state": "queued",
        "created_at": time.time(),
    }
    tx.insert("chats", ", ".join(row), row)
    return get_chat(tx, row["id"])


def _decoded(row: dict[str, Any] | None) -> dict[str, Any] | None:
    if row is None:
        return None
    return {**row, **{name: json.loads(row[name]) for name in _JSON_FIELDS}}


def get_chat(tx: Tx, chat_id: str, user_id: str | None = None) -> dict[str, Any] | None:
    """The answer, or None when it does not exist or is someone else's (the caller cannot tell)."""
    if user_id is None:
        return _decoded(tx.one(f"SELECT {CHAT_COLUMNS} FROM chats WHERE id = ?", (chat_id,)))
    return _decoded(
        tx.one(f"SELECT {CHAT_COLUMNS} FROM chats WHERE id = ? AND user_id = ?", (chat_id, user_id))
    )


def conversation_exists(tx: Tx, conversation_id: str, user_id: str) -> bool:
    row = tx.one(
        "SELECT 1 AS found FROM chats WHERE conversation_id = ? AND user_id = ? LIMIT 1",
        (conversation_id, user_id),
    )
    return row is not None


def conversation(tx: Tx, conversation_id: str, user_id: str) -> list[dict[str, Any]]:
    rows = tx.all(
        f"SELECT {CHAT_COLUMNS} FROM chats WHERE conversation_id = ? AND user_id = ? ORDER BY created_at",
        (conversation_id, user_id),
    )
    return [_decoded(r) for r in rows]


def list_conversations(tx: Tx, user_id: str, limit: int = 50) -> list[dict[str, Any]]:
    """The latest answer of each of the user's conversations, newest first."""
    rows = tx.all(
        f"SELECT {CHAT_COLUMNS} FROM chats c WHERE user_id = ? AND created_at = ("
        "SELECT max(created_at) FROM chats d WHERE d.conversation_id = c.conversation_id AND d.user_id = ?"
        ") ORDER BY created_at DESC LIMIT ?",
        (user_id, user_id, limit),
    )
    return [_decoded(r) for r in rows]


def delete_chat(tx: Tx, chat_id: str) -> None:
    """A question never sent to the assistant (its queue was unreachable) leaves no row behind."""
    tx.execute("DELETE FROM chats WHERE id = ?", (chat_id,))


def start(tx: Tx, chat_id: str, model: str) -> bool:
    """Mark the answer as being generated; False when it already finished (a redelivered task)."""
    changed = tx.execute(
        "UPDATE chats SET state = 'running', model = ? WHERE id = ? AND state NOT IN ('done', 'failed')",
        (model, chat_id),
    )
    return changed > 0


def finish(
    tx: Tx,
    chat_id: str,
    answer: str,
    citations: list[dict],
    usage: dict,
    timings: dict,
) -> None:
    tx.execute(
        "UPDATE chats SET state = 'done', answer = ?, citations = ?, usage = ?, timings = ?, finished_at = ? "
        "WHERE id = ?",
        (answer, json.dumps(citations), json.dumps(usage), json.dumps(timings), time.time(), chat_id),
    )


def fail(tx: Tx, chat_id: str, error: str) -> None:
    tx.execute(
        "UPDATE chats SET state = 'failed', error = ?, finished_at = ? WHERE id = ? AND state <> 'done'",
        (error[:2000], time.time(), chat_id),
    )
