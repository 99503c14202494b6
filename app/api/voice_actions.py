"""Voice actions: rules that act on spoken phrases, a dry run of them on a sentence, and what fired."""

from __future__ import annotations

import json
import re

from flask import jsonify
from flask_login import current_user

from app import extensions as ext
from app.api import api
from app.api.auth_views import json_body
from app.auth import login_required_api
from app.errors import ApiError
from app.store import voice_rules
from app.voice_intents import compile_pattern, match

ACTIONS = ("webhook", "home_assistant")
RULES_PER_USER = 50
NAME_MAX = 100
_SERVICE = re.compile(r"[a-z_][a-z0-9_]*\.[a-z_][a-z0-9_]*")


def public_rule(row: dict) -> dict:
    return {
        "id": row["id"],
        "name": row["name"],
        "pattern": row["pattern"],
        "action": row["action"],
        "service": row["service"],
        "data": json.loads(row["data"]),
        "enabled": bool(row["enabled"]),
        "created_at": row["created_at"],
    }


def public_firing(row: dict) -> dict:
    return {
        "id": row["id"],
        "rule_id": row["rule_id"],
        "recording_id": row["recording_id"],
        "stream_id": row["stream_id"],
        "said": row["said"],
        "slots": json.loads(row["slots"]),
        "outcome": row["outcome"],
        "detail": row["detail"],
        "created_at": row["created_at"],
    }


def _rule_fields(body: dict) -> tuple[str, str, str, str | None, dict]:
    name, pattern, action = body.get("name"), body.get("pattern"), body.get("action", "webhook")
    if not isinstance(name, str) or not name.strip() or len(name) > NAME_MAX:
        raise ApiError(400, "bad_field", f"name must be 1-{NAME_MAX} characters")
    if not isinstance(pattern, str):
        raise ApiError(400, "bad_field", "pattern must be a phrase such as 'remind me to {task}'")
    try:
        compile_pattern(pattern)
    except ValueError as exc:
        raise ApiError(400, "bad_field", f"pattern: {exc}") from exc
    if action not in ACTIONS:
        raise ApiError(400, "bad_field", f"action must be one of {', '.join(ACTIONS)}")
    service, data = body.get("service"), body.get("data", {})
    if action == "home_assistant":
        if not isinstance(service, str) or not _SERVICE.fullmatch(service):
            raise ApiError(400, "bad_field", "service must be a Home Assistant service such as light.turn_on")
    elif service is not None:
        raise ApiError(400, "bad_field", "service goes with action home_assistant only")
    if not isinstance(data, dict) or len(json.dumps(data)) > 4000:
        raise ApiError(400, "bad_field", "data must be a JSON object (at most 4,000 characters)")
    return name.strip(), pattern.strip(), action, service, data


@api.post("/voice-actions")
@login_required_api
def create_voice_action():
    name, pattern, action, service, data = _rule_fields(json_body())
    with ext.store().tx() as tx:
        tx.lock("users", current_user.id)
        if voice_rules.count_rules(tx, current_user.id) >= RULES_PER_USER:
            raise ApiError(409, "too_many", f"at most {RULES_PER_USER} voice actions per user")
        row = voice_rules.create_rule(tx, current_user.id, name, pattern, action, service, data)
    return jsonify(public_rule(row)), 201


@api.get("/voice-actions")
@login_required_api
def list_voice_actions():
    with ext.store().tx() as tx:
        rows = voice_rules.list_rules(tx, current_user.id)
    return jsonify({"voice_actions": [public_rule(r) for r in rows]})


@api.delete("/voice-actions/<rule_id>")
@login_required_api
def delete_voice_action(rule_id: str):
    with ext.store().tx() as tx:
        if voice_rules.get_rule(tx, rule_id, current_user.id) is None:
            raise ApiError(404, "not_found", "no such voice action")
        voice_rules.delete_rule(tx, rule_id)
    return "", 204


@api.get("/voice-actions/firings")
@login_required_api
def list_voice_firings():
    with ext.store().tx() as tx:
        rows = voice_rules.list_firings(tx, current_user.id)
    return jsonify({"firings": [public_firing(r) for r in rows]})


@api.post("/voice-actions/try")
@login_required_api
def try_voice_actions():
    """Which of the user's rules a sentence would fire, and with what slots; nothing is run."""
    text = json_body().get("text")
    if not isinstance(text, str) or not text.strip() or len(text) > 2000:
        raise ApiError(400, "bad_field", "text must be 1-2,000 characters")
    with ext.store().tx() as tx:
        rows = voice_rules.list_rules(tx, current_user.id, enabled_only=True)
    fired = []
    for row in rows:
        slots = match(compile_pattern(row["pattern"]), text)
        if slots is not None:
            fired.append({"rule": public_rule(row), "slots": slots})
    return jsonify({"matches": fired})
