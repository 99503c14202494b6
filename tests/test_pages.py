"""The speakers and recordings pages in headless Chromium, as a user works with them: more samples for a
voice, failed files forgotten, two speakers merged, rename by Enter; the recordings list following a job
live, renamed, tagged, filtered and deleted; a signed-out Back that shows nothing."""

from __future__ import annotations

import requests
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import Select, WebDriverWait

from bench.corpus import synthesize, write_wav
from tests.browser import log_in
from tests.conftest import _make_user
from tests.helpers import SPOKEN, post_recording


def _speakers(live_server, user):
    response = requests.get(f"{live_server}/api/v1/speakers", headers=user["auth"], timeout=10)
    return {s["label"]: s for s in response.json()["speakers"]}


def _row(browser, label):
    for row in browser.find_elements(By.CSS_SELECTOR, "#speaker-rows tr[data-speaker-id]"):
        if row.find_element(By.CSS_SELECTOR, ".speaker-name").get_attribute("value") == label:
            return row
    return None


def test_speakers_page_adds_samples_merges_and_forgets_failed_files(browser, live_server, store, tmp_path):
    user = _make_user(store, "dora")
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
        return row.find_elements(By.TAG_NAME, "td")[1].text if row else None

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

    # Rename in place: Enter submits.
    name = _row(browser, "Quinn").find_element(By.CSS_SELECTOR, ".speaker-name")
    name.clear()
    name.send_keys("Quinn Harper" + Keys.ENTER)
    # (the box shows what was typed at once: the server's list is what says the rename took)
    wait.until(lambda d: "Quinn Harper" in _speakers(live_server, user))
    wait.until(lambda d: _row(d, "Quinn Harper") is not None and _row(d, "Quinn") is None)
    browser.save_screenshot(str(tmp_path / "speakers-page.png"))


def test_recordings_list_follows_jobs_and_manages_recordings(
    browser, live_server, store, speech_wav, tmp_path
):
    user = _make_user(store, "emil")
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
