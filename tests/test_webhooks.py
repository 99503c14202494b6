"""Webhooks against a local receiver, with the real web, workers and queue: a finished upload, its
summary and a recognised speaker announced and signed; a failing receiver retried, then given up on;
a delivery sent again; addresses inside the network refused; another user's hooks out of reach."""

from __future__ import annotations

import json
import re
import time

import pytest
import requests

from app.webhooks import signing
from tests.helpers import enroll, synthesize
from tests.receiver import Receiver

FLITE_AWB = "flite:awb"


@pytest.fixture(scope="module")
def receiver():
    running = Receiver()
    yield running
    running.stop()


def add_hook(live_server, user, url: str, events: list[str]) -> requests.Response:
    return requests.post(
        f"{live_server}/api/v1/webhooks",
        json={"url": url, "events": events},
        headers=user["auth"],
        timeout=30,
    )


def deliveries(live_server, user, hook_id: str) -> list[dict]:
    response = requests.get(
        f"{live_server}/api/v1/webhooks/{hook_id}/deliveries", headers=user["auth"], timeout=30
    )
    assert response.status_code == 200, response.text
    return response.json()["deliveries"]


def event_of(hit: dict) -> dict:
    return json.loads(hit["body"])


def test_a_finished_upload_and_its_summary_are_announced_signed(live_server, bob, receiver, tmp_path):
    created = add_hook(
        live_server, bob, receiver.url("/uploads"), ["job.done", "job.failed", "summary.ready"]
    )
    assert created.status_code == 201
    hook = created.json()
    assert (
        len(hook["secret"]) == 64
        and "secret"
        not in requests.get(f"{live_server}/api/v1/webhooks", headers=bob["auth"], timeout=30).json()[
            "webhooks"
        ][0]
    )
    path = synthesize(
        "The webhook test recording mentions the new parking rules for the garage.", tmp_path / "p.wav"
    )
    with path.open("rb") as audio:
        accepted = requests.post(
            f"{live_server}/api/v1/recordings", files={"audio": audio}, headers=bob["auth"], timeout=60
        ).json()

    def about_this_job(hit: dict) -> bool:
        data = event_of(hit)["data"]
        return hit["path"] == "/uploads" and data.get("recording", {}).get("id") == accepted["recording_id"]

    done = receiver.wait_for(lambda h: about_this_job(h) and h["headers"]["X-Nemo-Event"] == "job.done")[0]
    headers = done["headers"]
    assert signing.verify(
        hook["secret"], headers["X-Nemo-Timestamp"], done["body"], headers["X-Nemo-Signature"]
    )
    assert not signing.verify(
        "another secret", headers["X-Nemo-Timestamp"], done["body"], headers["X-Nemo-Signature"]
    )
    event = event_of(done)
    assert event["event"] == "job.done" and event["id"] == headers["X-Nemo-Delivery"]
    assert event["data"]["job"]["id"] == accepted["job_id"] and event["data"]["job"]["state"] == "done"
    summary = receiver.wait_for(
        lambda h: about_this_job(h) and h["headers"]["X-Nemo-Event"] == "summary.ready"
    )[0]
    written = event_of(summary)["data"]
    assert isinstance(written["summary"], str) and written["summary"].strip()
    assert isinstance(written["action_items"], list)
    logged = {d["id"]: d for d in deliveries(live_server, bob, hook["id"])}
    assert logged[event["id"]]["state"] == "delivered" and logged[event["id"]]["attempts"] == 1
    assert logged[event["id"]]["last_status"] == 200


def test_an_enrolled_voice_is_announced_when_recognised(client_module, live_server, bob, receiver, tmp_path):
    created = add_hook(live_server, bob, receiver.url("/speakers"), ["speaker.recognised"])
    assert created.status_code == 201
    enroll(client_module, bob["auth"], "Alan", FLITE_AWB, tmp_path)
    from bench.corpus import synthesize as speak
    from bench.corpus import write_wav

    path = tmp_path / "alan-talks.wav"
    write_wav(speak(FLITE_AWB, "The delivery trucks arrive at the north gate every morning at seven."), path)
    with path.open("rb") as audio:
        accepted = requests.post(
            f"{live_server}/api/v1/recordings", files={"audio": audio}, headers=bob["auth"], timeout=60
        ).json()
    hit = receiver.wait_for(
        lambda h: (
            h["path"] == "/speakers" and event_of(h)["data"]["recording"]["id"] == accepted["recording_id"]
        )
    )[0]
    assert hit["headers"]["X-Nemo-Event"] == "speaker.recognised"
    assert event_of(hit)["data"]["speaker"]["name"] == "Alan"


@pytest.fixture(scope="module")
def client_module(app):
    return app.test_client()


def test_a_failing_receiver_is_retried_and_a_delivery_can_be_sent_again(live_server, bob, receiver):
    # Only pings reach it: bob has no voice rules, and his other jobs finish meanwhile.
    hook = add_hook(live_server, bob, receiver.url("/flaky"), ["voice.action"]).json()
    receiver.fail["/flaky"] = 2
    ping = requests.post(f"{live_server}/api/v1/webhooks/{hook['id']}/ping", headers=bob["auth"], timeout=30)
    assert ping.status_code == 202
    first = ping.json()["id"]
    deadline = time.monotonic() + 120
    while sum(1 for h in receiver.got if h["path"] == "/flaky") < 3:
        assert time.monotonic() < deadline, "the failed attempts were not retried"
        time.sleep(0.3)
    tries = [h for h in receiver.got if h["path"] == "/flaky"]
    assert {h["headers"]["X-Nemo-Delivery"] for h in tries} == {first} and len(
        {h["body"] for h in tries}
    ) == 1
    deadline = time.monotonic() + 60
    while (logged := {d["id"]: d for d in deliveries(live_server, bob, hook["id"])})[first][
        "state"
    ] != "delivered":
        assert time.monotonic() < deadline, logged[first]
        time.sleep(0.5)
    assert logged[first]["attempts"] == 3 and logged[first]["last_status"] == 200

    again = requests.post(
        f"{live_server}/api/v1/webhooks/{hook['id']}/deliveries/{first}/replay",
        headers=bob["auth"],
        timeout=30,
    )
    assert again.status_code == 202 and again.json()["id"] != first
    replayed = receiver.wait_for(
        lambda h: h["headers"].get("X-Nemo-Delivery") == again.json()["id"], timeout=60
    )[0]
    assert event_of(replayed)["data"]["replay_of"] == first and event_of(replayed)["event"] == "ping"


def test_a_receiver_that_never_answers_well_is_given_up_on(live_server, bob, receiver):
    hook = add_hook(live_server, bob, receiver.url("/down"), ["voice.action"]).json()
    receiver.fail["/down"] = 1000
    sent = requests.post(
        f"{live_server}/api/v1/webhooks/{hook['id']}/ping", headers=bob["auth"], timeout=30
    ).json()
    deadline = time.monotonic() + 120
    while (state := {d["id"]: d for d in deliveries(live_server, bob, hook["id"])}[sent["id"]])[
        "state"
    ] != "failed":
        assert time.monotonic() < deadline, state
        time.sleep(0.5)
    # The first attempt and one per wait in NEMO_WEBHOOK_RETRY_SECONDS (three in the tests).
    assert state["attempts"] == 4 and state["last_status"] == 500
    assert sum(1 for h in receiver.got if h["path"] == "/down") == 4


def test_addresses_inside_the_network_and_bad_fields_are_refused(live_server, bob, receiver):
    before = requests.get(f"{live_server}/api/v1/webhooks", headers=bob["auth"], timeout=30).json()[
        "webhooks"
    ]
    for url in (
        "http://169.254.169.254/latest/meta-data/",
        "http://10.0.0.5/hook",
        f"http://127.0.0.2:{receiver.port}/x",
        f"http://[::1]:{receiver.port}/x",
        "ftp://example.org/hook",
        "http://127.0.0.1:99999/x",
    ):
        refused = add_hook(live_server, bob, url, ["job.done"])
        assert refused.status_code == 400 and refused.json()["error"]["code"] == "unsafe_url", url
    for events in ([], ["job.exploded"], "job.done", [1]):
        refused = add_hook(live_server, bob, receiver.url("/x"), events)
        assert refused.status_code == 400 and refused.json()["error"]["code"] == "bad_field", events
    after = requests.get(f"{live_server}/api/v1/webhooks", headers=bob["auth"], timeout=30).json()["webhooks"]
    assert after == before


def test_another_users_webhooks_are_out_of_reach(live_server, alice, bob, receiver):
    hook = add_hook(live_server, bob, receiver.url("/bobs"), ["job.done"]).json()
    base = f"{live_server}/api/v1/webhooks/{hook['id']}"
    assert requests.get(f"{base}/deliveries", headers=alice["auth"], timeout=30).status_code == 404
    assert requests.post(f"{base}/ping", headers=alice["auth"], timeout=30).status_code == 404
    assert requests.post(f"{base}/deliveries/x/replay", headers=alice["auth"], timeout=30).status_code == 404
    assert requests.delete(base, headers=alice["auth"], timeout=30).status_code == 404
    assert hook["id"] not in {
        h["id"]
        for h in requests.get(f"{live_server}/api/v1/webhooks", headers=alice["auth"], timeout=30).json()[
            "webhooks"
        ]
    }
    assert requests.delete(base, headers=bob["auth"], timeout=30).status_code == 204
    assert requests.get(f"{base}/deliveries", headers=bob["auth"], timeout=30).status_code == 404


def test_the_webhooks_page_adds_pings_and_resends(browser, live_server, bob, receiver, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    from tests.browser import log_in

    wait = WebDriverWait(browser, 60)
    browser.get(f"{live_server}/account")
    log_in(browser, wait, bob, "webhooks-link")
    browser.find_element(By.ID, "webhooks-link").click()
    wait.until(ec.presence_of_element_located((By.ID, "hook-form")))
    browser.find_element(By.ID, "hook-url").send_keys(receiver.url("/page"))
    browser.find_element(By.ID, "hook-description").send_keys("from the page")
    # Only pings reach this one (bob's other jobs finish meanwhile): job events off, voice actions on.
    for event in ("job.done", "job.failed", "voice.action"):
        browser.find_element(By.CSS_SELECTOR, f"#hook-form input[value='{event}']").click()
    browser.find_element(By.ID, "hook-button").click()
    secret = wait.until(ec.visibility_of_element_located((By.ID, "hook-secret")))
    assert re.search(r"[0-9a-f]{64}", secret.text)
    card = f"//div[@class='hook'][h3='{receiver.url('/page')}']"
    wait.until(ec.presence_of_element_located((By.XPATH, card)))
    browser.find_element(By.XPATH, f"{card}//button[text()='Send a ping']").click()
    wait.until(lambda d: "delivered (HTTP 200)" in d.find_element(By.XPATH, card).text)
    assert [event_of(h)["event"] for h in receiver.got if h["path"] == "/page"] == ["ping"]
    browser.find_element(By.XPATH, f"{card}//button[text()='Send again']").click()
    wait.until(lambda d: d.find_element(By.XPATH, card).text.count("delivered (HTTP 200)") == 2)
    assert len([h for h in receiver.got if h["path"] == "/page"]) == 2
    browser.save_screenshot(str(tmp_path / "webhooks-page.png"))
    browser.set_window_size(390, 844)
    browser.save_screenshot(str(tmp_path / "webhooks-page-phone.png"))
