"""Voice action rules and the record of what fired."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

from app.store.db import Tx

RULE_COLUMNS = "id, user_id, name, pattern, action, service, data, enabled, created_at"
FIRING_COLUMNS = (
    "id, rule_id, user_id, source, recording_id, stream_id, said, slots, outcome, detail, created_at"
)


def create_rule(
    tx: Tx, user_id: str, name: str, pattern: str, action: str, service: str | None, data: dict
) -> dict[str, Any]:
    row = {
        "id": uuid.uuid4().hex,
        "user_id": user_id,
        "name": name,
        "pattern": pattern,
        "action": action,
        "service": service,
        "data": json.dumps(data),
        "enabled": 1,
        "created_at": time.time(),
    }
    tx.insert("voice_rules", RULE_COLUMNS, row)
    return row


def list_rules(tx: Tx, user_id: str, enabled_only: bool = False) -> list[dict[str, Any]]:
    only = " AND enabled = 1" if enabled_only else ""
    return tx.all(
        f"SELECT {RULE_COLUMNS} FROM voice_rules WHERE user_id = ?{only} ORDER BY created_at", (user_id,)
    )


def count_rules(tx: Tx, user_id: str) -> int:
    return int(tx.one("SELECT count(*) AS n FROM voice_rules WHERE user_id = ?", (user_id,))["n"])


def get_rule(tx: Tx, rule_id: str, user_id: str) -> dict[str, Any] | None:
    return tx.one(f"SELECT {RULE_COLUMNS} FROM voice_rules WHERE id = ? AND user_id = ?", (rule_id, user_id))


def delete_rule(tx: Tx, rule_id: str) -> None:
    tx.execute("DELETE FROM voice_firings WHERE rule_id = ?", (rule_id,))
    tx.execute("DELETE FROM voice_rules WHERE id = ?", (rule_id,))


def claim_firing(
    tx: Tx,
    rule: dict[str, Any],
    source: str,
    said: str,
    slots: dict[str, str],
    recording_id: str | None = None,
    stream_id: str | None = None,
) -> str | None:
    """Record that `rule` fires on `source`; the firing's id, or None when it already fired there."""
    firing_id = uuid.uuid4().hex
    inserted = tx.execute(
        f"INSERT INTO voice_firings ({FIRING_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'firing', NULL, ?) "
        "ON CONFLICT (rule_id, source) DO NOTHING",
        (
            firing_id,
            rule["id"],
            rule["user_id"],
            source,
            recording_id,
            stream_id,
            said,
            json.dumps(slots),
            time.time(),
        ),
    )
    return firing_id if inserted == 1 else None


def record_outcome(tx: Tx, firing_id: str, outcome: str, detail: str | None) -> None:
    tx.execute("UPDATE voice_firings SET outcome = ?, detail = ? WHERE id = ?", (outcome, detail, firing_id))


def list_firings(tx: Tx, user_id: str, limit: int = 100) -> list[dict[str, Any]]:
    return tx.all(
        f"SELECT {FIRING_COLUMNS} FROM voice_firings WHERE user_id = ? ORDER BY created_at DESC LIMIT ?",
        (user_id, limit),
    )
