"""The two ways to reach the one schema: an encrypted SQLCipher file, or PostgreSQL.

Queries are written once with `?` placeholders; each backend adapts them. Everything else about the SQL is
kept to what both dialects accept, so there is no ORM and no dialect branch outside this module.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Protocol

_PLACEHOLDER = re.compile(r"\?")


class Backend(Protocol):
    name: str

    def connect(self) -> Any: ...

    def adapt(self, sql: str) -> str: ...

    def lost(self, exc: BaseException) -> bool:
        """Whether `exc` says the connection to the database is gone (nothing the statement did wrong)."""
        ...


class SqlcipherBackend:
    """A single encrypted file: the zero-setup default for one machine."""

    name = "sqlcipher"

    def __init__(self, path: Path, key_hex: str) -> None:
        if len(key_hex) != 64 or not re.fullmatch(r"[0-9a-f]+", key_hex):
            raise ValueError("database key must be 32 bytes of hex")
        self.path = path
        self._key_hex = key_hex

    def connect(self) -> Any:
        from sqlcipher3 import dbapi2 as sqlcipher

        self.path.parent.mkdir(parents=True, exist_ok=True)
        for existing in (self.path, *(self.path.with_name(self.path.name + s) for s in ("-wal", "-shm"))):
            if existing.exists() and existing.stat().st_mode & 0o077:
                existing.chmod(0o600)  # made before files were private by default
        conn = sqlcipher.connect(str(self.path), timeout=30, isolation_level=None, check_same_thread=False)
        # A raw key skips SQLCipher's PBKDF2, which would otherwise cost ~100 ms on every connect.
        conn.execute(f"PRAGMA key = \"x'{self._key_hex}'\"")
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute("PRAGMA busy_timeout = 30000")
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")
        # Every page read from disk is decrypted: keep more of them (16 MiB) than the default 2 MiB.
        conn.execute("PRAGMA cache_size = -16384")
        return conn

    def adapt(self, sql: str) -> str:
        return sql

    def lost(self, exc: BaseException) -> bool:
        return False  # a file has no connection to lose


class PostgresBackend:
    """PostgreSQL through psycopg 3: the backend for more than one host."""

    name = "postgres"

    def __init__(self, url: str) -> None:
        self.url = url

    def connect(self) -> Any:
        import psycopg

        return psycopg.connect(self.url, autocommit=True)

    def adapt(self, sql: str) -> str:
        return _PLACEHOLDER.sub("%s", sql)

    def lost(self, exc: BaseException) -> bool:
        import psycopg

        # The server went away, restarted, or ended this backend (pg_terminate_backend, a failover): a
        # connection exception (SQLSTATE class 08), an operator intervention that ends sessions (57P01-03),
        # or the client's own "connection lost" (no SQLSTATE). A cancelled statement (57014) or a lock
        # timeout is the statement's own failure, not this.
        if not isinstance(exc, psycopg.OperationalError):
            return False
        state = exc.sqlstate
        return state is None or state.startswith("08") or state in ("57P01", "57P02", "57P03")
