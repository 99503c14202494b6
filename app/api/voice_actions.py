"""Voice actions: rules that act on spoken phrases, a dry run of them on a sentence, and what fired."""

from __future__ import annotations

import json

from flask import jsonify
from flask_login import current_user

from app import extensions as ext
from app.api import api
from app.auth import login_required_api
from app.contract import operation
from app.errors import ApiError
from app.schemas.voice_actions import FiringList, Rule, RuleBody, RuleList, TryBody, TryResult
from app.store import voice_rules
from app.voice_intents import compile_pattern, match

RULES_PER_USER = 50
TAGS = ("voice actions",)


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


@api.post("/voice-actions")
@login_required_api
@operation("Create a voice action", tags=TAGS, body=RuleBody, responses={201: Rule})
def create_voice_action(body: RuleBody):
    """It fires on new segments of uploads and live streams that say the pattern."""
    with ext.store().tx() as tx:
        tx.lock("users", current_user.id)
        if voice_rules.count_rules(tx, current_user.id) >= RULES_PER_USER:
            raise ApiError(409, "too_many", f"at most {RULES_PER_USER} voice actions per user")
        row = voice_rules.create_rule(
            tx, current_user.id, body.name, body.pattern, body.action, body.service, body.data
        )
    return jsonify(public_rule(row)), 201


@api.get("/voice-actions")
@login_required_api
@operation("Your voice actions", tags=TAGS, responses={200: RuleList})
def list_voice_actions():
    with ext.store().tx() as tx:
        rows = voice_rules.list_rules(tx, current_user.id)
    return jsonify({"voice_actions": [public_rule(r) for r in rows]})


@api.delete("/voice-actions/<rule_id>")
@login_required_api
@operation("Delete a voice action", tags=TAGS, responses={204: None})
def delete_voice_action(rule_id: str):
    with ext.store().tx() as tx:
        if voice_rules.get_rule(tx, rule_id, current_user.id) is None:
            raise ApiError(404, "not_found", "no such voice action")
        voice_rules.delete_rule(tx, rule_id)
    return "", 204


@api.get("/voice-actions/firings")
@login_required_api
@operation("What your voice actions did", tags=TAGS, responses={200: FiringList})
def list_voice_firings():
    with ext.store().tx() as tx:
        rows = voice_rules.list_firings(tx, current_user.id)
    return jsonify({"firings": [public_firing(r) for r in rows]})


@api.post("/voice-actions/try")
@login_required_api
@operation("Try a sentence on your voice actions", tags=TAGS, body=TryBody, responses={200: TryResult})
def try_voice_actions(body: TryBody):
    """Which of the user's rules a sentence would fire, and with what slots; nothing is run."""
    text = body.text
    with ext.store().tx() as tx:
        rows = voice_rules.list_rules(tx, current_user.id, enabled_only=True)
    fired = []
    for row in rows:
        slots = match(compile_pattern(row["pattern"]), text)
        if slots is not None:
            fired.append({"rule": public_rule(row), "slots": slots})
    return jsonify({"matches": fired})
