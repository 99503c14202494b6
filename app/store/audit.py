"""The audit log: who did what security-relevant thing, and from where."""

from __future__ import annotations

import time
import uuid

from app.store.db import Tx

ACTIONS = {
    "login",
    "login_failed",
    "logout",
    "user_created",
    "token_created",
    "token_revoked",
    "role_changed",
    "deleted",
    "merged",
    "password_changed",
    "sessions_ended",
    "quota_changed",
}


def record(
    tx: Tx, action: str, user_id: str | None, detail: str = "", remote_addr: str | None = None
) -> None:
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    tx.execute(
        "INSERT INTO audit_log (id, at, user_id, action, detail, remote_addr) VALUES (?, ?, ?, ?, ?, ?)",
        (uuid.uuid4().hex, time.time(), user_id, action, detail[:500], remote_addr),
    )


def recent(
    tx: Tx,
    limit: int = 100,
    action: str | None = None,
    user_id: str | None = None,
    since: float | None = None,
    until: float | None = None,
) -> list[dict]:
    """The latest events, newest first, narrowed by action, acting user and time when given."""
    where, params = [], []
    for clause, value in (
        ("action = ?", action),
        ("user_id = ?", user_id),
        ("at >= ?", since),
        ("at <= ?", until),
    ):
        if value is not None:
            where.append(clause)
            params.append(value)
    condition = f"WHERE {' AND '.join(where)} " if where else ""
    return tx.all(f"SELECT * FROM audit_log {condition}ORDER BY at DESC LIMIT ?", (*params, limit))
