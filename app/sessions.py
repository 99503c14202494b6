"""Browser sessions the server can end.

A flask-login session is a signed cookie: without server state, one copied before logout keeps working
until the signing key changes. Each session therefore carries the user's `session_epoch` at sign-in,
when it began and when it was last used; logout, a password change and an admin's action bump the epoch
(`users.end_sessions`), which ends every session of that user at once, and idle and absolute limits end
the rest. Signing in starts a fresh session, so the CSRF token changes too.
"""

from __future__ import annotations

import time
from typing import Any

from flask import g, session

# Keys of this module in the session cookie.
EPOCH, BEGAN, SEEN = "nemo_epoch", "nemo_began", "nemo_seen"
# The last-used time is written back at most this often, or a quarter of the idle limit if that is
# shorter (each write re-sends the cookie).
SEEN_RESOLUTION_SECONDS = 60


def begin(user_row: dict[str, Any]) -> None:
    """A new session for `user_row`, sharing nothing with what the browser held before."""
    session.clear()
    g.pop("csrf_token", None)  # flask-wtf's copy of the old token for this request
    now = time.time()
    session[EPOCH] = int(user_row["session_epoch"])
    session[BEGAN] = now
    session[SEEN] = now


def still_valid(user_row: dict[str, Any], idle_seconds: float, max_seconds: float) -> bool:
    """Whether the current session still belongs to `user_row`; notes its use when it does."""
    now = time.time()
    epoch, began, seen = session.get(EPOCH), session.get(BEGAN), session.get(SEEN)
    if not isinstance(epoch, int) or not isinstance(began, float) or not isinstance(seen, float):
        return False
    if epoch != int(user_row["session_epoch"]) or now - began > max_seconds or now - seen > idle_seconds:
        return False
    if now - seen > min(SEEN_RESOLUTION_SECONDS, idle_seconds / 4):
        session[SEEN] = now
    return True


def end() -> None:
    session.clear()
