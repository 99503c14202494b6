"""One connection per thread and process, transactions as context managers, rows as dicts."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from typing import Any

from app.store.backends import Backend
from app.store.migrations import MIGRATIONS

# Tables whose statistics decide the search plans.
ANALYSED_TABLES = ("segments", "segment_vectors", "vector_blobs", "recordings", "voices")


class StoreUnavailable(Exception):
    """The database connection was lost mid-transaction (or could not be made again): the server rolled
    the transaction back, so nothing of it landed; trying again shortly is safe."""


class Tx:
    """A cursor bound to one transaction; `?` placeholders work on both backends."""

    def __init__(self, conn: Any, backend: Backend) -> None:
        self._conn = conn
        self._backend = backend

    @property
    def dialect(self) -> str:
        """The backend's name, for the few statements (full-text search) the dialects cannot share."""
        return self._backend.name

    def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        cur = self._conn.cursor()
        cur.execute(self._backend.adapt(sql), tuple(params))
        return cur.rowcount

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        if rows:
            self._conn.cursor().executemany(self._backend.adapt(sql), [tuple(r) for r in rows])

    def all(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        cur = self._conn.cursor()
        cur.execute(self._backend.adapt(sql), tuple(params))
        names = [d[0] for d in cur.description]
        return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]

    def one(self, sql: str, params: Sequence[Any] = ()) -> dict[str, Any] | None:
        rows = self.all(sql, params)
        return rows[0] if rows else None

    def insert(self, table: str, columns: str, row: dict[str, Any]) -> None:
        """One row of `table`: `columns` ("a, b, c", a module's constant) taken from `row` by name."""
        names = columns.split(", ")
        self.execute(
            f"INSERT INTO {table} ({columns}) VALUES ({', '.join('?' * len(names))})", [row[n] for n in names]
        )

    def lock(self, table: str, row_id: str) -> None:
        """Serialise transactions that touch one row's dependants. SQLite's BEGIN IMMEDIATE already holds
        the whole file; PostgreSQL needs the row lock, or two writers could each miss the other's change."""
        if self._backend.name == "postgres":
            self.all(f"SELECT id FROM {table} WHERE id = ? FOR UPDATE", (row_id,))


class Store:
    """The system of record. Safe to share between threads; reconnects after a fork."""

    def __init__(self, backend: Backend) -> None:
        self.backend = backend
        self._local = threading.local()

    def _connection(self) -> Any:
        pid = os.getpid()
        conn = getattr(self._local, "conn", None)
        if conn is None or getattr(self._local, "pid", None) != pid:
            conn = self.backend.connect()
            self._local.conn, self._local.pid = conn, pid
        return conn

    def _drop_connection(self) -> None:
        conn = getattr(self._local, "conn", None)
        self._local.conn = None
        if conn is not None:
            with suppress(Exception):  # it is already broken; we only tidy up
                conn.close()

    @contextmanager
    def tx(self, readonly: bool = False) -> Iterator[Tx]:
        """Run a block in one transaction: all of it lands, or none of it.

        `readonly` blocks (searches) take no write lock in SQLite: they neither queue behind writers nor,
        by committing, set off a WAL checkpoint that would make the search wait for it."""
        begin = "BEGIN"
        if self.backend.name == "sqlcipher":
            begin = "BEGIN DEFERRED" if readonly else "BEGIN IMMEDIATE"
        elif readonly:
            begin = "BEGIN READ ONLY"
        conn = self._connection()
        try:
            conn.execute(begin)
        except Exception:
            # A server restart or a forked copy: one fresh connection, then give up loudly.
            self._drop_connection()
            try:
                conn = self._connection()
                conn.execute(begin)
            except Exception as exc:
                self._drop_connection()
                self._unavailable_if_lost(exc)
                raise
        try:
            yield Tx(conn, self.backend)
        except BaseException as exc:
            try:
                conn.execute("ROLLBACK")
            except Exception:
                # The connection died under the block (its transaction died with it): the next block
                # reconnects, and the caller hears what went wrong first, not the failed ROLLBACK.
                self._drop_connection()
            self._unavailable_if_lost(exc)
            raise
        try:
            conn.execute("COMMIT")
        except Exception as exc:
            self._drop_connection()
            self._unavailable_if_lost(exc)
            raise

    def _unavailable_if_lost(self, exc: BaseException) -> None:
        """The caller has already let go of a broken connection; this only says why, when it was lost."""
        if self.backend.lost(exc):
            raise StoreUnavailable(f"the database connection was lost: {exc}") from exc

    def optimize(self) -> None:
        """Refresh the query planner's statistics where they went stale; without them both engines guess
        join orders that read whole tables. SQLite needs asking; PostgreSQL's autovacuum would do it, but
        it can be off (it is on some servers), so tables changed by a tenth since their last analysis are
        analysed here too, the threshold autovacuum itself uses."""
        conn = self._connection()
        if self.backend.name == "sqlcipher":
            conn.execute("PRAGMA analysis_limit = 1000")
            conn.execute("PRAGMA optimize = 0x10002")
            return
        stale = conn.execute(
            "SELECT relname FROM pg_stat_user_tables WHERE relname = ANY(%s) "
            "AND n_mod_since_analyze > 50 + 0.1 * GREATEST(n_live_tup, 0)",
            (list(ANALYSED_TABLES),),
        ).fetchall()
        for (table,) in stale:
            conn.execute(f"ANALYZE {table}")

    def checkpoint(self) -> None:
        """Fold SQLite's write-ahead log back into the database after a bulk load, so the first commits
        after it do not each try to."""
        if self.backend.name == "sqlcipher":
            self._connection().execute("PRAGMA wal_checkpoint(TRUNCATE)")

    def ping(self) -> bool:
        with self.tx() as tx:
            return tx.one("SELECT 1 AS ok")["ok"] == 1

    def close(self) -> None:
        self._drop_connection()

    def migrate(self) -> int:
        """Apply pending migrations; safe to call from several processes at once. Returns the version."""
        # PostgreSQL needs an explicit lock; BEGIN IMMEDIATE already serialises writers of the SQLite file.
        lock = "SELECT pg_advisory_xact_lock(726354)" if self.backend.name == "postgres" else None
        with self.tx() as tx:
            if lock:
                tx.all(lock)
            tx.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations "
                "(version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at DOUBLE PRECISION NOT NULL)"
            )
        version = 0
        for number, name, statements in MIGRATIONS:
            with self.tx() as tx:
                if lock:
                    tx.all(lock)
                if tx.one("SELECT version FROM schema_migrations WHERE version = ?", (number,)):
                    version = number
                    continue
                for statement in statements:
                    if isinstance(statement, dict):
                        statement = statement[self.backend.name]
                    tx.execute(statement)
                tx.execute(
                    "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
                    (number, name, time.time()),
                )
                version = number
        return version
