"""Per-user quotas on stored audio (bytes as uploaded) and on hours of audio, checked before anything is
stored: a user who fills the disk or the GPU queue for everyone else is refused with a 413 that says how
much is used and allowed.

Limits come from the user's row when an admin set one there (`-1` there means unlimited), else from the
defaults in the configuration (unset there: unlimited). What counts: every recording's upload size and
duration, and the chunks of live streams still open (16 kHz 16-bit PCM until the stream closes into a
recording, which then counts instead).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from app.config import Config
from app.errors import ApiError
from app.store import users
from app.store.db import Tx
from models.pcm import PCM_BYTES_PER_SECOND

UNLIMITED = -1


@dataclass(frozen=True)
class Quota:
    used_bytes: int
    used_seconds: float
    limit_bytes: int | None  # None: unlimited
    limit_seconds: float | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "storage_bytes": {"used": self.used_bytes, "limit": self.limit_bytes},
            "audio_hours": {
                "used": round(self.used_seconds / 3600, 3),
                "limit": None if self.limit_seconds is None else round(self.limit_seconds / 3600, 3),
            },
        }


def _limit(own: float | None, default: float | None) -> float | None:
    if own is None:
        return default
    return None if own == UNLIMITED else own


def quota_of(tx: Tx, user_id: str, config: Config) -> Quota:
    user = users.quota_limits(tx, user_id)
    used = users.usage(tx, user_id)
    limit_bytes = _limit(user and user["storage_quota_bytes"], config.QUOTA_STORAGE_BYTES)
    return Quota(
        used_bytes=int(used["bytes"]) + int(used["live_seconds"] * PCM_BYTES_PER_SECOND),
        used_seconds=used["seconds"] + used["live_seconds"],
        limit_bytes=None if limit_bytes is None else int(limit_bytes),
        limit_seconds=_limit(user and user["audio_quota_seconds"], config.QUOTA_AUDIO_SECONDS),
    )


def ensure_room(tx: Tx, user_id: str, config: Config, add_bytes: int, add_seconds: float) -> None:
    """Raise 413 `quota_exceeded` if adding this much audio would pass either of the user's limits."""
    quota = quota_of(tx, user_id, config)
    if quota.limit_bytes is not None and quota.used_bytes + add_bytes > quota.limit_bytes:
        raise ApiError(
            413,
            "quota_exceeded",
            f"this would store {_mb(quota.used_bytes + add_bytes)} of audio; your quota is "
            f"{_mb(quota.limit_bytes)} ({_mb(quota.used_bytes)} used). Delete recordings or ask an admin.",
        )
    if quota.limit_seconds is not None and quota.used_seconds + add_seconds > quota.limit_seconds:
        raise ApiError(
            413,
            "quota_exceeded",
            f"this would make {(quota.used_seconds + add_seconds) / 3600:.2f} hours of audio; your quota is "
            f"{quota.limit_seconds / 3600:.2f} hours ({quota.used_seconds / 3600:.2f} used). "
            "Delete recordings or ask an admin.",
        )


def _mb(count: int) -> str:
    return f"{count / 1_000_000:.1f} MB"
