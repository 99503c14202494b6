"""The store on the backend under test (NEMO_TEST_STORE): migrations, transactions, encryption at rest."""

from __future__ import annotations

import os
import sqlite3

import pytest

from app.store import StoreUnavailable, audit, users
from app.store.migrations import LATEST_VERSION


def test_migrations_are_versioned_and_idempotent(store):
    assert store.migrate() == LATEST_VERSION
    assert store.migrate() == LATEST_VERSION
    with store.tx() as tx:
        versions = [r["version"] for r in tx.all("SELECT version FROM schema_migrations ORDER BY version")]
    assert versions == list(range(1, LATEST_VERSION + 1))


def test_transaction_rolls_back_everything(store):
    with pytest.raises(RuntimeError), store.tx() as tx:
        users.create_user(tx, "rollback-user", "long enough password")
        raise RuntimeError("boom")
    with store.tx() as tx:
        assert users.get_user_by_name(tx, "rollback-user") is None


@pytest.mark.skipif(
    os.environ.get("NEMO_TEST_STORE") != "postgres", reason="cuts a PostgreSQL connection (the postgres run)"
)
def test_a_connection_cut_mid_transaction_is_unavailable_writes_nothing_and_reconnects(store):
    import psycopg

    base = os.environ.get("NEMO_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
    with pytest.raises(StoreUnavailable), store.tx() as tx:
        users.create_user(tx, "cut-user", "long enough password")
        mine = tx.one("SELECT pg_backend_pid() AS pid")["pid"]
        with psycopg.connect(base, autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(%s)", (mine,))
        tx.one("SELECT 1 AS one")  # the server ended this connection: not a 500-worthy surprise
    # Nothing of the cut transaction landed, and the next one gets a fresh connection.
    with store.tx() as tx:
        assert users.get_user_by_name(tx, "cut-user") is None


def test_passwords_are_hashed_and_checked(store):
    with store.tx() as tx:
        row = users.create_user(tx, "hashcheck", "correct horse battery")
        stored = tx.one("SELECT password_hash FROM users WHERE id = ?", (row["id"],))["password_hash"]
        assert stored.startswith("$argon2") and "correct horse" not in stored
        assert users.check_password(tx, "hashcheck", "correct horse battery")["id"] == row["id"]
        assert users.check_password(tx, "hashcheck", "wrong password") is None
        assert users.check_password(tx, "nobody", "correct horse battery") is None
        with pytest.raises(users.UserError):
            users.create_user(tx, "hashcheck", "another password")
        with pytest.raises(users.UserError):
            users.create_user(tx, "shortpw", "short")


def test_tokens_are_stored_hashed(store):
    with store.tx() as tx:
        row = users.create_user(tx, "tokenuser", "long enough password")
        token, _ = users.create_token(tx, row["id"], "cli")
        hashes = [
            r["token_hash"]
            for r in tx.all("SELECT token_hash FROM api_tokens WHERE user_id = ?", (row["id"],))
        ]
        assert token not in hashes and users.hash_token(token) in hashes
        assert users.user_for_token(tx, token)["id"] == row["id"]
        assert users.user_for_token(tx, token + "x") is None


def test_audit_rejects_unknown_actions(store):
    with store.tx() as tx, pytest.raises(ValueError):
        audit.record(tx, "made_up", None)


def test_sqlcipher_file_is_encrypted(tmp_path):
    """Whatever backend the suite runs on, the default file backend must be unreadable without its key."""
    import os

    from app.store.backends import SqlcipherBackend
    from app.store.db import Store

    path = tmp_path / "nemo.db"
    key = os.urandom(32).hex()
    own = Store(SqlcipherBackend(path, key))
    own.migrate()
    with own.tx() as tx:
        users.create_user(tx, "secretive", "long enough password")
    own.close()
    raw = path.read_bytes()
    assert b"SQLite format 3" not in raw[:100] and b"secretive" not in raw
    with pytest.raises(sqlite3.DatabaseError, match="not a database"):
        sqlite3.connect(path).execute("SELECT count(*) FROM users").fetchall()
    wrong = Store(SqlcipherBackend(path, os.urandom(32).hex()))
    with pytest.raises(Exception, match="not a database"):
        wrong.ping()
    with Store(SqlcipherBackend(path, key)).tx() as tx:
        assert users.get_user_by_name(tx, "secretive") is not None
