"""Secrets generated on first run, never defaulted, never logged.

Each secret is a file in `<instance>/secrets/` with mode 0600. Creation uses O_EXCL so two processes
starting at once agree on one value instead of overwriting each other's.
"""

from __future__ import annotations

import os
import secrets
import time
from pathlib import Path

SECRET_NAMES = ("session_key", "database_key", "blob_key", "flower_password", "metrics_token")


def secrets_dir(instance_dir: Path) -> Path:
    instance_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = instance_dir / "secrets"
    path.mkdir(exist_ok=True, mode=0o700)
    return path


def get_secret(instance_dir: Path, name: str) -> str:
    """Return the named secret, generating 32 random bytes (hex) the first time it is asked for."""
    if name not in SECRET_NAMES:
        raise KeyError(name)
    path = secrets_dir(instance_dir) / name
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        # Another process may be between its create and its write: give it a moment.
        for _ in range(50):
            value = path.read_text().strip()
            if value:
                return value
            time.sleep(0.02)
        # Still empty: its creator died before writing, so nothing can have used it yet.
        fd = os.open(path, os.O_WRONLY | os.O_TRUNC, 0o600)
    value = secrets.token_hex(32)
    with os.fdopen(fd, "w") as handle:
        handle.write(value)
    os.chmod(path, 0o600)
    return value
