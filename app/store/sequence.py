"""The memory's change sequence: every vector added and every removal takes the next numbers of it, inside
its own transaction (see `app.store.memory`). Full-text scoring reads it too, as the size of the memory
its term weights were computed for."""

from __future__ import annotations

from app.store.db import Tx


def take_sequence(tx: Tx, count: int) -> int:
    """Reserve `count` consecutive numbers and return the first; the row stays locked until commit."""
    row = tx.one(
        "UPDATE memory_sequence SET value = value + ? WHERE name = 'vectors' RETURNING value", (count,)
    )
    return int(row["value"]) - count + 1


def current_sequence(tx: Tx) -> int:
    return int(tx.one("SELECT value FROM memory_sequence WHERE name = 'vectors'")["value"])
