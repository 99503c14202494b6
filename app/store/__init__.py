"""The store: one schema, two backends (SQLCipher file by default, PostgreSQL by URL)."""

from __future__ import annotations

from app.config import Config
from app.secrets import get_secret
from app.store.backends import PostgresBackend, SqlcipherBackend
from app.store.db import Store, StoreUnavailable, Tx

__all__ = ["Store", "StoreUnavailable", "Tx", "open_store"]


def open_store(config: Config) -> Store:
    if config.uses_postgres:
        return Store(PostgresBackend(config.DATABASE_URL))
    if config.DATABASE_URL and not config.DATABASE_URL.startswith("sqlcipher://"):
        raise ValueError("DATABASE_URL must be postgresql://... or empty for the encrypted SQLCipher file")
    return Store(SqlcipherBackend(config.sqlcipher_path, get_secret(config.INSTANCE_DIR, "database_key")))
