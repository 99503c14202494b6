"""The speakers, recordings and transcript pages in headless Chromium, as a user works with them, at
desktop and phone sizes: more samples for a voice, a sample played, failed files forgotten, two speakers
merged, rename by Enter; the recordings list following a job live, renamed, tagged, filtered by speaker
and deleted; a transcript whose unnamed speakers are this meeting's "Speaker 1, 2", told apart again with
a speaker count; a signed-out Back that shows nothing."""

from __future__ import annotations

import pytest
import requests
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import Select, WebDriverWait

from bench.corpus import Turn, conversation, synthesize, write_wav
from tests.browser import FLOW_SIZES, SIZES, log_in
from tests.conftest import _make_user
from tests.helpers import SPOKEN, post_recording, upload_over_http


def _speakers(live_server, user):
    response = requests.get(f"{live_server}/api/v1/speakers", headers=user["auth"], timeout=10)
    return {s["label"]: s for s in response.json()["speakers"]}


def _row(browser, label):
    for row in browser.find_elements(By.CSS_SELECTOR, "#speaker-rows tr[data-speaker-id]"):
        if row.find_element(By.CSS_SELECTOR, ".speaker-name").get_attribute("value") == label:
            return row
    return None


@pytest.mark.parametrize("size", FLOW_SIZES)
def test_speakers_page_adds_samples_merges_and_forgets_failed_files(
    browser, live_server, store, tmp_path, size
):
    browser.set_window_size(*SIZES[size])
    user = _make_user(store, f"dora-{size}")
    samples = []
    for n, line in enumerate(
        [
            "The weather in the mountains was cold and clear this morning.",
            "We walked along the river until the sun went down behind the hills.",
            "My favourite part of the trip was the small bakery near the station.",
        ]
    ):
        path = tmp_path / f"quinn-{n}.wav"
        write_wav(synthesize("flite:rms", line), path)
        samples.append(path)
    short = tmp_path / "short.wav"
    write_wav(synthesize("flite:rms", "Hi."), short)

    wait = WebDriverWait(browser, 120, ignored_exceptions=(StaleElementReferenceException,))
    browser.get(f"{live_server}/speakers")
    log_in(browser, wait, user, "enroll-form")

    def samples_shown(label):
        row = _row(browser, label)
        return (
            row.find_elements(By.TAG_NAME, "td")[1].find_element(By.CSS_SELECTOR, ".count").text
            if row
            else None
        )

    def enroll(name, paths):
        wait.until(lambda d: d.find_element(By.ID, "enroll-button").is_enabled())
        browser.find_element(By.ID, "enroll-name").clear()
        browser.find_element(By.ID, "enroll-name").send_keys(name)
        browser.find_element(By.ID, "enroll-audio").send_keys("\n".join(str(p) for p in paths))
        browser.find_element(By.ID, "enroll-button").click()

    # A refused enrollment forgets its files: the next person is never enrolled with them.
    enroll("Quinn", [short])
    error = wait.until(ec.visibility_of_element_located((By.ID, "enroll-error")))
    assert "voice" in error.text and "Choose the samples again" in error.text
    assert browser.find_element(By.ID, "enroll-audio").get_attribute("value") == ""

    enroll("Quinn", samples[:2])
    wait.until(lambda d: samples_shown("Quinn") == "2")
    assert _speakers(live_server, user)["Quinn"]["samples"] == 2

    # The same name again adds the samples to Quinn, once the user agrees.
    enroll("quinn", samples[2:])
    wait.until(ec.alert_is_present()).accept()
    wait.until(lambda d: samples_shown("Quinn") == "3")
    assert _speakers(live_server, user)["Quinn"]["samples"] == 3

    # Quinn enrolled twice by mistake: the merge keeps one Quinn with every sample.
    enroll("Quinn Twin", samples[:2])
    wait.until(lambda d: _row(d, "Quinn Twin") is not None)
    Select(_row(browser, "Quinn Twin").find_element(By.CSS_SELECTOR, ".merge-into")).select_by_visible_text(
        "Quinn"
    )
    wait.until(ec.alert_is_present()).accept()
    wait.until(lambda d: _row(d, "Quinn Twin") is None and samples_shown("Quinn") == "5")
    listed = _speakers(live_server, user)
    assert "Quinn Twin" not in listed and listed["Quinn"]["samples"] == 5

    # Hear whose voice the profile holds: each click plays the next sample.
    _row(browser, "Quinn").find_element(By.CSS_SELECTOR, ".play-sample").click()
    player = browser.find_element(By.ID, "voice-player")
    wait.until(lambda d: (d.execute_script("return arguments[0].duration", player) or 0) > 1)
    assert player.is_displayed() and browser.execute_script("return arguments[0].error", player) is None
    assert "/samples/" in player.get_attribute("src")
    assert "sample 1 of 5 of Quinn" in browser.find_element(By.ID, "voice-playing").text
    first = player.get_attribute("src")
    _row(browser, "Quinn").find_element(By.CSS_SELECTOR, ".play-sample").click()
    wait.until(lambda d: "sample 2 of 5" in d.find_element(By.ID, "voice-playing").text)
    assert player.get_attribute("src") != first

    # Rename in place: Enter submits.
    name = _row(browser, "Quinn").find_element(By.CSS_SELECTOR, ".speaker-name")
    name.clear()
    name.send_keys("Quinn Harper" + Keys.ENTER)
    # (the box shows what was typed at once: the server's list is what says the rename took)
    wait.until(lambda d: "Quinn Harper" in _speakers(live_server, user))
    wait.until(lambda d: _row(d, "Quinn Harper") is not None and _row(d, "Quinn") is None)
    browser.save_screenshot(str(tmp_path / "speakers-page.png"))


@pytest.mark.parametrize("size", FLOW_SIZES)
def test_recordings_list_follows_jobs_and_manages_recordings(
    browser, live_server, store, speech_wav, tmp_path, size
):
    browser.set_window_size(*SIZES[size])
    user = _make_user(store, f"emil-{size}")
    wait = WebDriverWait(browser, 180, ignored_exceptions=(StaleElementReferenceException,))
    browser.get(f"{live_server}/recordings")
    log_in(browser, wait, user, "recording-table")
    wait.until(lambda d: "No recordings yet" in d.find_element(By.ID, "recording-rows").text)

    accepted = post_recording(live_server, user, speech_wav, title="Standup notes")
    assert accepted.status_code == 202, accepted.text
    recording_id = accepted.json()["recording_id"]
    browser.refresh()
    row_css = f'tr[data-recording-id="{recording_id}"]'
    seen = set()

    def ready(d):
        seen.add(d.find_element(By.CSS_SELECTOR, f"{row_css} .status").text)
        return "ready" in seen

    wait.until(ready)  # without a reload: the job's events bring it
    assert any(s != "ready" for s in seen), seen

    row = browser.find_element(By.CSS_SELECTOR, row_css)
    row.find_element(By.CSS_SELECTOR, ".rename").click()
    title = browser.find_element(By.CSS_SELECTOR, f"{row_css} .title-input")
    title.send_keys(Keys.CONTROL + "a")
    title.send_keys("Monday standup" + Keys.ENTER)
    wait.until(lambda d: d.find_element(By.CSS_SELECTOR, f"{row_css} .title").text == "Monday standup")
    tags = browser.find_element(By.CSS_SELECTOR, f"{row_css} .tags")
    tags.send_keys(Keys.CONTROL + "a")
    tags.send_keys("team, weekly" + Keys.TAB)
    wait.until(lambda d: "Tags saved" in d.find_element(By.ID, "list-status-line").text)
    stored = requests.get(f"{live_server}/api/v1/recordings/{recording_id}", headers=user["auth"], timeout=10)
    assert stored.json()["title"] == "Monday standup" and stored.json()["tags"] == ["team", "weekly"]
    assert SPOKEN.split()[0].lower() in " ".join(s["text"] for s in stored.json()["segments"]).lower()

    browser.find_element(By.ID, "list-find").send_keys("zebra")
    wait.until(lambda d: "No recording matches" in d.find_element(By.ID, "recording-rows").text)
    browser.find_element(By.ID, "list-find").clear()
    browser.find_element(By.ID, "list-find").send_keys("weekly")
    wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, row_css))
    browser.save_screenshot(str(tmp_path / "recordings-page.png"))

    browser.find_element(By.CSS_SELECTOR, f"{row_css} .delete").click()
    wait.until(ec.alert_is_present()).accept()
    wait.until(lambda d: not d.find_elements(By.CSS_SELECTOR, row_css))
    gone = requests.get(f"{live_server}/api/v1/recordings/{recording_id}", headers=user["auth"], timeout=10)
    assert gone.status_code == 404

    # Signed out, Back shows the sign-in page, not the list.
    browser.find_element(By.CSS_SELECTOR, "form.logout button").click()
    wait.until(ec.url_contains("/login"))
    browser.back()
    wait.until(lambda d: d.find_elements(By.ID, "login-form"))
    assert not browser.find_elements(By.ID, "recording-table")


def _processed(live_server, user, path, **fields) -> str:
    """Uploads and follows the job to its end (`upload_over_http`); the recording's id once it is done."""
    accepted, state = upload_over_http(live_server, user, path, **fields)
    assert state == "done", state
    return accepted.json()["recording_id"]


@pytest.mark.parametrize("size", FLOW_SIZES)
def test_a_meetings_speakers_are_its_own_speaker_1_and_2_and_can_be_told_apart_again(
    browser, live_server, store, speech_wav, tmp_path, size
):
    """The user already has an unnamed speaker from an earlier recording ("Speaker 1" across their
    recordings). A new two-person meeting calls its own speakers "Speaker 1, 2"; typing this meeting's
    "Speaker 1" on a line picks this meeting's first speaker, not the earlier recording's "Speaker 1";
    each links to the recordings they speak in; telling the speakers apart again with a count of one
    leaves one."""
    browser.set_window_size(*SIZES[size])
    user = _make_user(store, f"fern-{size}")
    _processed(live_server, user, speech_wav, title="Earlier call")
    path = tmp_path / "meeting.wav"
    conversation(
        [
            Turn("flite:slt", "Good morning, shall we go through the launch plan for next week?"),
            Turn("flite:awb", "Yes, the printed posters arrive on Wednesday afternoon."),
            Turn("flite:slt", "Then we can put them up in the shops on Thursday."),
            Turn("flite:awb", "I will ask the designers for the final colours today."),
        ],
        path,
        seed=5,
    )
    recording_id = _processed(live_server, user, path, title="Launch plan", speakers="2")
    api = requests.get(f"{live_server}/api/v1/recordings/{recording_id}", headers=user["auth"], timeout=10)
    speakers = api.json()["speakers"]
    assert [s["label_in_recording"] for s in speakers] == ["Speaker 1", "Speaker 2"], speakers
    assert "Speaker 1" not in [s["label"] for s in speakers], speakers  # the earlier call's speaker is

    wait = WebDriverWait(browser, 240, ignored_exceptions=(StaleElementReferenceException,))
    browser.get(f"{live_server}/recordings/{recording_id}")
    log_in(browser, wait, user, "transcript")
    wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#transcript .segment"))

    def lines():
        return [
            (
                row.get_attribute("data-segment-id"),
                row.find_element(By.CSS_SELECTOR, ".speaker").get_attribute("value"),
            )
            for row in browser.find_elements(By.CSS_SELECTOR, "#transcript .segment")
        ]

    assert lines()[0][1] == "Speaker 1" and {label for _id, label in lines()} == {"Speaker 1", "Speaker 2"}
    panel = [
        e.get_attribute("value")
        for e in browser.find_elements(By.CSS_SELECTOR, "#speaker-list .speaker-name")
    ]
    assert panel == ["Speaker 1", "Speaker 2"]

    # "speaker 1" typed on Speaker 2's first line: this meeting's Speaker 1 says it now (not the earlier
    # call's speaker, who is "Speaker 1" across the user's recordings).
    segment_id = next(line for line, label in lines() if label == "Speaker 2")
    box = browser.find_element(By.CSS_SELECTOR, f'[data-segment-id="{segment_id}"] .speaker')
    box.send_keys(Keys.CONTROL + "a")
    box.send_keys("speaker 1" + Keys.TAB)
    wait.until(lambda d: dict(lines()).get(segment_id) == "Speaker 1")
    stored = requests.get(f"{live_server}/api/v1/recordings/{recording_id}", headers=user["auth"], timeout=10)
    moved = next(s for s in stored.json()["segments"] if s["id"] == segment_id)
    assert moved["speaker_id"] == speakers[0]["id"] and moved["speaker"] == speakers[0]["label"]
    assert {
        s["id"]
        for s in requests.get(f"{live_server}/api/v1/speakers", headers=user["auth"], timeout=10).json()[
            "speakers"
        ]
    } >= {speakers[0]["id"], speakers[1]["id"]}

    # Each unnamed speaker links to the recordings they speak in, under the label search knows.
    link = browser.find_elements(By.CSS_SELECTOR, "#speaker-list li a")[1]
    assert speakers[1]["label"] in link.text
    link.click()
    wait.until(
        lambda d: (
            Select(d.find_element(By.ID, "list-speaker")).first_selected_option.get_attribute("value")
            == speakers[1]["id"]
        )
    )
    wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, f'tr[data-recording-id="{recording_id}"]'))
    assert len(browser.find_elements(By.CSS_SELECTOR, "#recording-rows tr[data-recording-id]")) == 1
    Select(browser.find_element(By.ID, "list-speaker")).select_by_value("")
    wait.until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#recording-rows tr[data-recording-id]")) == 2)
    browser.save_screenshot(str(tmp_path / "recordings-by-speaker.png"))

    # Told apart again as one person: one speaker is left, and the page says so when the job ends.
    browser.get(f"{live_server}/recordings/{recording_id}")
    wait.until(lambda d: d.find_element(By.ID, "rediarize-button").is_enabled())
    browser.find_element(By.ID, "rediarize-count").send_keys("1")
    browser.find_element(By.ID, "rediarize-button").click()
    wait.until(lambda d: "told apart." in d.find_element(By.ID, "rediarize-status").text)
    after = requests.get(
        f"{live_server}/api/v1/recordings/{recording_id}", headers=user["auth"], timeout=10
    ).json()
    # The corrected line keeps its speaker (a person's choice outlives diarization); the rest are one.
    unlocked = {s["speaker_id"] for s in after["segments"] if s["id"] != segment_id}
    assert len(unlocked) == 1, after["speakers"]
    browser.save_screenshot(str(tmp_path / "recording-rediarized.png"))
