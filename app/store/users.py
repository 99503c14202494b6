"""Users and their API tokens."""

from __future__ import annotations

import hashlib
import secrets
import time
import uuid
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerifyMismatchError

from app.store import memory
from app.store.db import Tx

_hasher = PasswordHasher()
# Verifying against this keeps a login for an unknown name as slow as one with a wrong password.
_DUMMY_HASH = _hasher.hash("not-a-real-password")
TOKEN_PREFIX = "nemo_"
USERNAME_MAX = 64
PASSWORD_MIN = 8


class UserError(ValueError):
    """A request about users that cannot be honoured, with a message fit for the caller."""


def validate_username(name: str) -> str:
    name = name.strip()
    if not name or len(name) > USERNAME_MAX or not all(c.isalnum() or c in "._-@" for c in name):
        raise UserError(f"username must be 1-{USERNAME_MAX} letters, digits or . _ - @")
    return name


def create_user(tx: Tx, username: str, password: str, role: str = "user") -> dict[str, Any]:
    username = validate_username(username)
    if len(password) < PASSWORD_MIN:
        raise UserError(f"password must be at least {PASSWORD_MIN} characters")
    if role not in ("admin", "user"):
        raise UserError("role must be admin or user")
    if tx.one("SELECT id FROM users WHERE username = ?", (username,)):
        raise UserError(f"user {username!r} already exists")
    user = {
        "id": uuid.uuid4().hex,
        "username": username,
        "role": role,
        "disabled": 0,
        "created_at": time.time(),
    }
    tx.execute(
        "INSERT INTO users (id, username, password_hash, role, disabled, created_at) "
        "VALUES (?, ?, ?, ?, 0, ?)",
        (user["id"], username, _hasher.hash(password), role, user["created_at"]),
    )
    return user


_PUBLIC = "id, username, role, disabled, created_at, session_epoch"


def get_user(tx: Tx, user_id: str) -> dict[str, Any] | None:
    return tx.one(f"SELECT {_PUBLIC} FROM users WHERE id = ?", (user_id,))


def get_user_by_name(tx: Tx, username: str) -> dict[str, Any] | None:
    return tx.one(f"SELECT {_PUBLIC} FROM users WHERE username = ?", (username,))


def end_sessions(tx: Tx, user_id: str) -> None:
    """Every browser session of the user ends (API tokens are revoked on their own)."""
    tx.execute("UPDATE users SET session_epoch = session_epoch + 1 WHERE id = ?", (user_id,))


def set_password(tx: Tx, user_id: str, password: str) -> None:
    """A new password; every browser session of the user ends with the old one."""
    if len(password) < PASSWORD_MIN:
        raise UserError(f"password must be at least {PASSWORD_MIN} characters")
    tx.execute("UPDATE users SET password_hash = ? WHERE id = ?", (_hasher.hash(password), user_id))
    end_sessions(tx, user_id)


def check_password(tx: Tx, username: str, password: str) -> dict[str, Any] | None:
    """The user if the password matches and the account is enabled; None otherwise, in constant-ish time."""
    row = tx.one("SELECT id, password_hash, disabled FROM users WHERE username = ?", (username.strip(),))
    try:
        _hasher.verify(row["password_hash"] if row else _DUMMY_HASH, password)
    except (VerifyMismatchError, InvalidHashError):
        return None
    if row is None or row["disabled"]:
        return None
    return get_user(tx, row["id"])


def set_role(tx: Tx, user_id: str, role: str) -> None:
    if role not in ("admin", "user"):
        raise UserError("role must be admin or user")
    tx.execute("UPDATE users SET role = ? WHERE id = ?", (role, user_id))
    end_sessions(tx, user_id)


QUOTA_COLUMNS = ("storage_quota_bytes", "audio_quota_seconds")


def list_users(tx: Tx) -> list[dict[str, Any]]:
    return tx.all("SELECT id, username, role, disabled, created_at FROM users ORDER BY username")


def set_quota(tx: Tx, user_id: str, column: str, value: float | None) -> None:
    """One of the user's own quotas (QUOTA_COLUMNS); None: the configured default."""
    if column not in QUOTA_COLUMNS:
        raise ValueError(f"not a quota: {column}")
    tx.execute(f"UPDATE users SET {column} = ? WHERE id = ?", (value, user_id))


def quota_limits(tx: Tx, user_id: str) -> dict[str, Any] | None:
    """The user's own limits (None in a column: the configured default applies)."""
    return tx.one("SELECT storage_quota_bytes, audio_quota_seconds FROM users WHERE id = ?", (user_id,))


def usage(tx: Tx, user_id: str) -> dict[str, float]:
    """What the user holds: `bytes` and `seconds` of stored recordings, `live_seconds` of open streams."""
    stored = tx.one(
        "SELECT coalesce(sum(size_bytes), 0) AS b, coalesce(sum(duration_seconds), 0) AS s "
        "FROM recordings WHERE user_id = ?",
        (user_id,),
    )
    live = tx.one(
        "SELECT coalesce(sum(c.duration_s), 0) AS s FROM live_chunks c "
        "JOIN live_streams s ON s.id = c.stream_id WHERE s.user_id = ? AND s.state = 'open'",
        (user_id,),
    )
    return {"bytes": float(stored["b"]), "seconds": float(stored["s"]), "live_seconds": float(live["s"])}


def delete_user(tx: Tx, user_id: str) -> list[str]:
    """Deletes the user: their memory's vectors (recorded as removals, for every replica), then their row
    and what hangs on it. Returns the blob ids of their recordings and live chunks, for the caller to
    delete once the transaction has committed."""
    blob_ids = [
        blob
        for row in tx.all("SELECT blob_id, pcm_blob_id FROM recordings WHERE user_id = ?", (user_id,))
        for blob in (row["blob_id"], row["pcm_blob_id"])
        if blob
    ]
    blob_ids += [
        row["pcm_blob_id"]
        for row in tx.all(
            "SELECT c.pcm_blob_id FROM live_chunks c JOIN live_streams s ON s.id = c.stream_id "
            "WHERE s.user_id = ?",
            (user_id,),
        )
    ]
    memory.forget_user(tx, user_id)
    tx.execute("DELETE FROM users WHERE id = ?", (user_id,))
    return blob_ids


def hash_token(token: str) -> str:
    # Tokens carry 256 random bits, so a fast hash is enough and lets us look them up by hash.
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(tx: Tx, user_id: str, name: str) -> tuple[str, dict[str, Any]]:
    """Create a token and return it in clear once; only its hash is kept."""
    name = name.strip() or "token"
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = {"id": uuid.uuid4().hex, "user_id": user_id, "name": name[:100], "created_at": time.time()}
    tx.execute(
        "INSERT INTO api_tokens (id, user_id, name, token_hash, created_at) VALUES (?, ?, ?, ?, ?)",
        (row["id"], user_id, row["name"], hash_token(token), row["created_at"]),
    )
    return token, row


def list_tokens(tx: Tx, user_id: str) -> list[dict[str, Any]]:
    """The user's tokens (never their values: only hashes are kept), newest first."""
    return tx.all(
        "SELECT id, name, created_at, last_used_at, revoked_at FROM api_tokens WHERE user_id = ? "
        "ORDER BY created_at DESC",
        (user_id,),
    )


def revoke_token(tx: Tx, user_id: str, token_id: str) -> dict[str, Any] | None:
    """Revokes the user's token `token_id` (from now on it signs nobody in); None when the user has no
    such token. Revoking twice keeps the first time."""
    row = tx.one("SELECT id, name FROM api_tokens WHERE id = ? AND user_id = ?", (token_id, user_id))
    if row is not None:
        tx.execute(
            "UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL",
            (time.time(), token_id),
        )
    return row


def user_for_token(tx: Tx, token: str) -> dict[str, Any] | None:
    row = tx.one(
        "SELECT t.id AS token_id, u.id, u.username, u.role, u.disabled FROM api_tokens t "
        "JOIN users u ON u.id = t.user_id WHERE t.token_hash = ? AND t.revoked_at IS NULL",
        (hash_token(token),),
    )
    if row is None or row["disabled"]:
        return None
    # At most once a minute: a write on every request would serialise all requests on SQLite's lock.
    now = time.time()
    tx.execute(
        "UPDATE api_tokens SET last_used_at = ? WHERE id = ? AND (last_used_at IS NULL OR last_used_at < ?)",
        (now, row["token_id"], now - 60),
    )
    return row
