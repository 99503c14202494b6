"""Voice actions: a user's rules matched in what was just said, in a finished recording or a live
stream's chunk, and each match's action run once: a `voice.action` webhook event, or a Home Assistant
service call (`NEMO_HOME_ASSISTANT_URL`, token `NEMO_HOME_ASSISTANT_TOKEN`). What fired, with what it
said and how the action went, is kept (`GET /api/v1/voice-actions/firings`)."""

from __future__ import annotations

import json
import logging
from typing import Any

import requests
from celery import shared_task
from flask import current_app

import celeryconfig
from app.serializers import public_segment
from app.store import live, recordings, voice_rules
from app.voice_intents import compile_pattern, fill, match
from app.webhooks import events as webhook_events
from app.webhooks.urls import UnsafeUrl, parse_networks, post_checked

log = logging.getLogger(__name__)


def _home_assistant(rule: dict[str, Any], slots: dict[str, str]) -> tuple[str, str]:
    config = current_app.extensions["nemo.config"]
    if not config.HOME_ASSISTANT_URL or not config.HOME_ASSISTANT_TOKEN:
        return "failed", "Home Assistant is not configured (NEMO_HOME_ASSISTANT_URL and _TOKEN)"
    domain, _, service = rule["service"].partition(".")
    url = f"{config.HOME_ASSISTANT_URL.rstrip('/')}/api/services/{domain}/{service}"
    try:
        response = post_checked(
            url,
            parse_networks(config.WEBHOOK_ALLOWED_NETWORKS),
            config.WEBHOOK_TIMEOUT_SECONDS,
            json=fill(json.loads(rule["data"]), slots),
            headers={"Authorization": f"Bearer {config.HOME_ASSISTANT_TOKEN}"},
        )
    except (UnsafeUrl, requests.RequestException) as exc:
        return "failed", f"{type(exc).__name__}: {exc}"[:500]
    if 200 <= response.status_code < 300:
        return "done", f"{rule['service']}: HTTP {response.status_code}"
    return "failed", f"{rule['service']}: HTTP {response.status_code}"


def _fire(
    rule: dict[str, Any], source: str, said: dict[str, Any], slots: dict[str, str], **where: str
) -> None:
    """Run `rule`'s action for one match, unless it already fired on `source`."""
    store = current_app.extensions["nemo.store"]
    with store.tx() as tx:
        firing_id = voice_rules.claim_firing(tx, rule, source, said["text"], slots, **where)
        if firing_id is None:
            return
        deliveries: list[str] = []
        if rule["action"] == "webhook":
            event = {"rule": {"id": rule["id"], "name": rule["name"]}, "said": said, "slots": slots, **where}
            deliveries = webhook_events.announce(
                tx, rule["user_id"], "voice.action", {"firing_id": firing_id, **event}
            )
            if deliveries:
                voice_rules.record_outcome(tx, firing_id, "done", f"{len(deliveries)} webhook deliveries")
            else:
                voice_rules.record_outcome(tx, firing_id, "failed", "no webhook asks for voice.action events")
    webhook_events.send(deliveries)
    if rule["action"] == "home_assistant":
        outcome, detail = _home_assistant(rule, slots)
        with store.tx() as tx:
            voice_rules.record_outcome(tx, firing_id, outcome, detail)
    log.info("voice action %s fired on %s", rule["id"], source)


def _rules(user_id: str) -> list[tuple[dict[str, Any], Any]]:
    with current_app.extensions["nemo.store"].tx(readonly=True) as tx:
        rows = voice_rules.list_rules(tx, user_id, enabled_only=True)
    return [(rule, compile_pattern(rule["pattern"])) for rule in rows]


@shared_task(name=celeryconfig.VOICE_RECORDING_TASK, ignore_result=True)
def run_on_recording(recording_id: str) -> None:
    """Every rule of the recording's owner against each of its segments (once the transcript is final)."""
    with current_app.extensions["nemo.store"].tx(readonly=True) as tx:
        recording = recordings.get_recording(tx, recording_id)
        rows = recordings.list_segments(tx, recording_id) if recording else []
        from_live = live.made_recording(tx, recording_id) if recording else False
    if recording is None or from_live:
        return  # a live stream's rules ran on its chunks as they came
    rules = _rules(recording["user_id"])
    for row in rows if rules else []:
        segment = public_segment(row)
        for rule, intent in rules:
            slots = match(intent, segment["text"])
            if slots is not None:
                said = {k: segment[k] for k in ("id", "start", "end", "speaker", "text")}
                source = f"recording:{recording_id}:{segment['start']:.2f}"
                _fire(rule, source, said, slots, recording_id=recording_id)


@shared_task(name=celeryconfig.VOICE_LIVE_TASK, ignore_result=True)
def run_on_live_chunk(stream_id: str, seq: int) -> None:
    """Every rule against a live chunk's words, read with the chunk before (a phrase may straddle two);
    only a match that ends in this chunk fires, so the chunk after does not fire it again."""
    with current_app.extensions["nemo.store"].tx(readonly=True) as tx:
        stream = live.get_stream(tx, stream_id)
        chunk = live.get_chunk(tx, stream_id, seq)
        before = live.get_chunk(tx, stream_id, seq - 1) if seq > 0 else None
    if stream is None or chunk is None or not chunk["text"]:
        return
    earlier = (before or {}).get("text") or ""
    for rule, intent in _rules(stream["user_id"]):
        slots = match(intent, chunk["text"])
        if slots is None and earlier:
            both = match(intent, f"{earlier} {chunk['text']}")
            slots = both if both is not None and match(intent, earlier) is None else None
        if slots is not None:
            said = {"seq": seq, "text": f"{earlier} {chunk['text']}".strip()}
            _fire(rule, f"live:{stream_id}:{seq}", said, slots, stream_id=stream_id)
