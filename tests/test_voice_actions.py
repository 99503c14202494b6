"""Voice actions end to end: rules a user defines, fired by spoken audio in an upload and in a live
stream, calling a webhook and a (stand-in) Home Assistant, each once, with what fired recorded."""

from __future__ import annotations

import json
import time

import pytest
import requests

from bench.corpus import utterance_wav
from tests.conftest import _make_user
from tests.helpers import synthesize, upload_over_http
from tests.receiver import Receiver
from tests.test_live import post_chunk

LIGHT_CALL = "/api/services/light/turn_on"


@pytest.fixture(scope="module")
def home_assistant(environment):
    stand_in = Receiver(int(environment["NEMO_HOME_ASSISTANT_URL"].rsplit(":", 1)[1]))
    yield stand_in
    stand_in.stop()


@pytest.fixture(scope="module")
def hooks():
    receiver = Receiver()
    yield receiver
    receiver.stop()


@pytest.fixture(scope="module")
def vera(store, live_server, hooks):
    """A user of her own (her rules fire on her recordings only) with a webhook and two rules."""
    user = _make_user(store, f"vera-{time.monotonic_ns()}")
    api = f"{live_server}/api/v1"
    hook = requests.post(
        f"{api}/webhooks",
        json={"url": hooks.url("/voice"), "events": ["voice.action"]},
        headers=user["auth"],
        timeout=30,
    )
    assert hook.status_code == 201
    rules = [
        {"name": "Reminders", "pattern": "remind me to {task}", "action": "webhook"},
        {
            "name": "Lights",
            "pattern": "turn on the {room} light",
            "action": "home_assistant",
            "service": "light.turn_on",
            "data": {"entity_id": "light.{room}"},
        },
    ]
    for rule in rules:
        assert (
            requests.post(f"{api}/voice-actions", json=rule, headers=user["auth"], timeout=30).status_code
            == 201
        )
    return user


def light_calls(home_assistant: Receiver, room: str) -> list[dict]:
    return [
        h
        for h in home_assistant.got
        if h["path"] == LIGHT_CALL and json.loads(h["body"]) == {"entity_id": f"light.{room}"}
    ]


def test_bad_rules_are_refused_and_a_dry_run_shows_what_would_fire(live_server, vera):
    api = f"{live_server}/api/v1"
    for bad in (
        {"name": "x", "pattern": "{room}", "action": "webhook"},
        {"name": "x", "pattern": "call {who", "action": "webhook"},
        {"name": "x", "pattern": "call mum", "action": "email"},
        {"name": "x", "pattern": "call mum", "action": "home_assistant"},
        {"name": "x", "pattern": "call mum", "action": "home_assistant", "service": "lights on"},
        {"name": "x", "pattern": "call mum", "action": "webhook", "service": "light.turn_on"},
        {"name": "", "pattern": "call mum"},
    ):
        refused = requests.post(f"{api}/voice-actions", json=bad, headers=vera["auth"], timeout=30)
        assert refused.status_code == 400, bad
    assert (
        len(requests.get(f"{api}/voice-actions", headers=vera["auth"], timeout=30).json()["voice_actions"])
        == 2
    )
    tried = requests.post(
        f"{api}/voice-actions/try",
        json={"text": "Could you turn on the porch light?"},
        headers=vera["auth"],
        timeout=30,
    ).json()["matches"]
    assert [(m["rule"]["name"], m["slots"]) for m in tried] == [("Lights", {"room": "porch"})]


def test_commands_spoken_in_an_upload_fire_once(app, live_server, vera, hooks, home_assistant, tmp_path):
    path = synthesize(
        "Remind me to call the plumber tomorrow. Then turn on the kitchen light.", tmp_path / "cmd.wav"
    )
    accepted, state = upload_over_http(live_server, vera, path)
    assert state == "done"
    recording_id = accepted.json()["recording_id"]
    event = json.loads(hooks.wait_for(lambda h: h["path"] == "/voice", timeout=120)[0]["body"])
    assert event["event"] == "voice.action" and event["data"]["rule"]["name"] == "Reminders"
    assert event["data"]["slots"]["task"].startswith("call the plumber"), event
    assert event["data"]["recording_id"] == recording_id
    call = home_assistant.wait_for(lambda h: h["path"] == LIGHT_CALL, timeout=120)
    assert light_calls(home_assistant, "kitchen") == call
    assert call[0]["headers"]["Authorization"] == "Bearer test-home-assistant-token"
    firings = requests.get(
        f"{live_server}/api/v1/voice-actions/firings", headers=vera["auth"], timeout=30
    ).json()
    assert sorted(f["outcome"] for f in firings["firings"]) == ["done", "done"]

    # The rules run again over the same recording (a redelivered task): nothing fires twice.
    import tasks.voice_actions

    with app.app_context():
        tasks.voice_actions.run_on_recording(recording_id)
    time.sleep(2)
    assert len(light_calls(home_assistant, "kitchen")) == 1
    assert len([h for h in hooks.got if h["path"] == "/voice"]) == 1


def test_a_command_in_a_live_stream_fires_as_it_is_heard(live_server, vera, home_assistant):
    api = f"{live_server}/api/v1"
    stream_id = requests.post(
        f"{api}/streams", json={"title": "Glasses"}, headers=vera["auth"], timeout=30
    ).json()["stream_id"]
    assert post_chunk(live_server, vera, stream_id, 0, utterance_wav("flite:slt", "Good morning.", 2.0)).ok
    assert post_chunk(
        live_server, vera, stream_id, 1, utterance_wav("flite:kal", "Turn on the bedroom light.", 3.0)
    ).ok
    # While the stream is still open.
    home_assistant.wait_for(lambda h: h in light_calls(home_assistant, "bedroom"), timeout=120)
    closed = requests.post(f"{api}/streams/{stream_id}/close", headers=vera["auth"], timeout=60).json()
    deadline = time.monotonic() + 180
    while (
        requests.get(f"{api}/jobs/{closed['job_id']}", headers=vera["auth"], timeout=30).json()["state"]
        != "done"
    ):
        assert time.monotonic() < deadline
        time.sleep(0.5)
    time.sleep(3)
    # The recording the stream became is not acted on again.
    assert len(light_calls(home_assistant, "bedroom")) == 1
    firings = requests.get(f"{api}/voice-actions/firings", headers=vera["auth"], timeout=30).json()["firings"]
    live_firings = [f for f in firings if f["stream_id"] == stream_id]
    assert [(f["slots"], f["outcome"]) for f in live_firings] == [({"room": "bedroom"}, "done")]
