"""The upload and transcript pages in headless Chromium (Debian's browser and driver), at desktop and
phone sizes: log in, upload, watch, read, play, correct."""

from __future__ import annotations

import re

import pytest
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import Select, WebDriverWait

from tests.browser import FLOW_SIZES, SIZES, log_in
from tests.conftest import _make_user
from tests.helpers import SPOKEN, post_recording, word_error_rate


@pytest.mark.parametrize("size", FLOW_SIZES)
def test_upload_page_shows_progress_then_transcript(browser, live_server, store, speech_wav, size):
    browser.set_window_size(*SIZES[size])
    bob = _make_user(store, f"uploader-{size}")  # a user with no recordings: no duplicate yet
    wait = WebDriverWait(browser, 120)
    browser.get(f"{live_server}/")
    assert "/login" in browser.current_url
    log_in(browser, wait, bob, "upload-form")
    # A call's channels can be chosen as its speakers; a plain recording keeps the mix.
    channels = browser.find_element(By.ID, "channels")
    assert channels.get_attribute("value") == "mix"
    assert {o.get_attribute("value") for o in channels.find_elements(By.TAG_NAME, "option")} == {
        "mix",
        "speakers",
    }
    browser.save_screenshot(str(speech_wav.with_name(f"upload-page-{size}.png")))

    # A language is picked from the list the transcriber knows, never typed.
    language = browser.find_element(By.ID, "language")
    codes = {o.get_attribute("value") for o in language.find_elements(By.TAG_NAME, "option")}
    assert {"", "en", "de", "ja"} <= codes and "klingon" not in codes
    Select(language).select_by_value("en")
    browser.find_element(By.ID, "audio").send_keys(str(speech_wav))
    browser.find_element(By.ID, "title").send_keys("Browser upload")
    browser.find_element(By.ID, "upload-button").click()
    wait.until(ec.visibility_of_element_located((By.ID, "progress-card")))
    wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#uploads .upload .log li"))
    wait.until(ec.visibility_of_element_located((By.ID, "transcript-card")))
    segments = browser.find_elements(By.CSS_SELECTOR, "#transcript .segment .text")
    heard = " ".join(s.text for s in segments)
    assert word_error_rate(SPOKEN, heard) <= 0.25, heard
    upload = browser.find_element(By.CSS_SELECTOR, "#uploads .upload")
    assert upload.find_element(By.CSS_SELECTOR, ".state").text == "done"
    assert float(upload.find_element(By.CSS_SELECTOR, ".bar").get_attribute("value")) == 1.0

    recording_path = (
        browser.find_element(By.ID, "transcript-link").get_attribute("href").split(live_server)[1]
    )
    browser.find_element(By.ID, "transcript-link").click()
    wait.until(lambda d: d.find_element(By.ID, "recording-title").text == "Browser upload")
    assert len(browser.find_elements(By.CSS_SELECTOR, "#transcript .segment")) == len(segments)
    fidelity = browser.find_element(By.ID, "recording-fidelity").text
    assert re.search(r"Speech coverage (99\.\d|100\.0)% \(", fidelity), fidelity
    assert "dBFS" in fidelity and "SNR" in fidelity, fidelity
    browser.save_screenshot(str(speech_wav.with_name(f"transcript-page-{size}.png")))

    # The same file again: the page says it is already there and offers the existing one.
    browser.get(f"{live_server}/")
    wait.until(ec.presence_of_element_located((By.ID, "upload-form")))
    browser.find_element(By.ID, "audio").send_keys(str(speech_wav))
    browser.find_element(By.ID, "upload-button").click()
    duplicate = wait.until(ec.visibility_of_element_located((By.CSS_SELECTOR, "#uploads .duplicate")))
    assert "Browser upload" in duplicate.text
    existing = duplicate.find_element(By.CSS_SELECTOR, ".open-existing").get_attribute("href")
    assert existing.endswith(recording_path)
    browser.find_element(By.CSS_SELECTOR, "#uploads .cancel").click()
    wait.until(lambda d: d.find_element(By.CSS_SELECTOR, "#uploads .state").text == "not uploaded")

    # A file that is not audio: the page shows the server's message for that file and says "rejected"
    # (never "uploading" forever); the form can be used again.
    browser.get(f"{live_server}/")
    wait.until(ec.presence_of_element_located((By.ID, "upload-form")))
    not_audio = speech_wav.with_name("notes.wav")
    not_audio.write_text("meeting notes, not audio")
    browser.find_element(By.ID, "audio").send_keys(str(not_audio))
    browser.find_element(By.ID, "upload-button").click()
    error = wait.until(ec.visibility_of_element_located((By.CSS_SELECTOR, "#uploads .error")))
    assert "not a recognised audio format" in error.text
    assert browser.find_element(By.CSS_SELECTOR, "#uploads .state").text == "rejected"
    assert not browser.find_element(By.ID, "upload-button").get_attribute("disabled")


@pytest.mark.parametrize("size", FLOW_SIZES)
def test_transcript_page_plays_from_a_segment_and_takes_corrections(
    browser, live_server, store, tmp_path, size
):
    import requests

    browser.set_window_size(*SIZES[size])
    bob = _make_user(store, f"reader-{size}")

    from bench.corpus import Turn, conversation

    path = tmp_path / "page.wav"
    conversation(
        [
            Turn("flite:kal", "The quarterly review is moved to Thursday afternoon."),
            Turn("flite:slt", "Then I will book the large meeting room for two hours."),
            Turn("flite:kal", "Please also invite the new product manager."),
        ],
        path,
    )
    with path.open("rb") as handle:
        accepted = requests.post(
            f"{live_server}/api/v1/recordings",
            files={"audio": handle},
            data={"speakers": "2"},
            headers=bob["auth"],
            timeout=60,
        ).json()
    # The page re-renders after each correction: elements found before may go stale while we wait.
    wait = WebDriverWait(browser, 120, ignored_exceptions=(StaleElementReferenceException,))
    wait.until(
        lambda d: (
            requests.get(
                f"{live_server}/api/v1/jobs/{accepted['job_id']}", headers=bob["auth"], timeout=5
            ).json()["state"]
            == "done"
        )
    )

    browser.get(f"{live_server}/login")
    log_in(browser, wait, bob, "upload-form")
    browser.get(f"{live_server}/recordings/{accepted['recording_id']}")
    rows = wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#transcript .segment"))
    speakers = {r.find_element(By.CSS_SELECTOR, ".speaker").get_attribute("value") for r in rows}
    assert len(speakers) == 2 and all(s.startswith("Speaker ") for s in speakers)

    # One colour per speaker, on every line of theirs; each line's words are timed spans.
    colour = {}
    for r in rows:
        classes = set(r.get_attribute("class").split())
        colour.setdefault(r.find_element(By.CSS_SELECTOR, ".speaker").get_attribute("value"), set()).update(
            c for c in classes if c.startswith("speaker-c")
        )
    assert all(len(c) == 1 for c in colour.values()) and len(set.union(*colour.values())) == 2, colour
    assert rows[0].find_elements(By.CSS_SELECTOR, ".word")

    # Playback: seeking marks the word being said; speed; keys (N jumps to the next speaker's turn).
    wait.until(lambda d: d.execute_script("return document.getElementById('player').readyState") >= 1)
    word = rows[1].find_elements(By.CSS_SELECTOR, ".word")[1]
    word.click()
    position = browser.execute_script("return document.getElementById('player').currentTime")
    assert abs(position - float(word.get_attribute("data-start"))) < 0.05
    wait.until(lambda d: "now" in word.get_attribute("class").split())
    assert "playing" in rows[1].get_attribute("class").split()
    Select(browser.find_element(By.ID, "speed")).select_by_value("1.5")
    assert browser.execute_script("return document.getElementById('player').playbackRate") == 1.5
    browser.execute_script("document.getElementById('player').currentTime = 0; document.activeElement.blur()")
    browser.find_element(By.TAG_NAME, "body").send_keys("n")
    position = browser.execute_script("return document.getElementById('player').currentTime")
    assert abs(position - float(rows[1].get_attribute("data-start"))) < 0.05
    browser.find_element(By.TAG_NAME, "body").send_keys(Keys.ARROW_LEFT)
    assert browser.execute_script("return document.getElementById('player').currentTime") == 0
    browser.save_screenshot(str(tmp_path / "recording-page.png"))

    # Clicking a segment's time seeks the player there.
    last = rows[-1]
    start = float(last.get_attribute("data-start"))
    wait.until(lambda d: d.execute_script("return document.getElementById('player').readyState") >= 1)
    last.find_element(By.CSS_SELECTOR, ".time").click()
    position = browser.execute_script("return document.getElementById('player').currentTime")
    assert abs(position - start) < 0.5

    # Correct the text of the first line; the API then serves the correction.
    text = rows[0].find_element(By.CSS_SELECTOR, ".text")
    browser.execute_script("arguments[0].textContent = 'The quarterly review is on Thursday.'", text)
    browser.execute_script("arguments[0].dispatchEvent(new Event('blur'))", text)
    wait.until(lambda d: rows[0].find_element(By.CSS_SELECTOR, ".hint").text == "saved")

    # Name a speaker in the speakers panel: every line of theirs follows.
    first_speaker = rows[0].find_element(By.CSS_SELECTOR, ".speaker").get_attribute("value")
    entry = next(
        li
        for li in browser.find_elements(By.CSS_SELECTOR, "#speaker-list li")
        if li.find_element(By.CSS_SELECTOR, "input").get_attribute("value") == first_speaker
    )
    name_input = entry.find_element(By.CSS_SELECTOR, "input")
    name_input.clear()
    name_input.send_keys("Kal")
    entry.find_element(By.CSS_SELECTOR, "button").click()
    wait.until(
        lambda d: (
            "Kal"
            in {
                r.find_element(By.CSS_SELECTOR, ".speaker").get_attribute("value")
                for r in d.find_elements(By.CSS_SELECTOR, "#transcript .segment")
            }
        )
    )
    recording = requests.get(
        f"{live_server}/api/v1/recordings/{accepted['recording_id']}", headers=bob["auth"], timeout=5
    ).json()
    assert recording["segments"][0]["text"] == "The quarterly review is on Thursday."
    assert recording["segments"][0]["speaker"] == "Kal" and recording["segments"][0]["edited"]
    kal_lines = [s for s in recording["segments"] if s["speaker"] == "Kal"]
    assert len(kal_lines) >= 2 and "product manager" in kal_lines[-1]["text"].lower()

    # The line picker: the other speaker's label, typed in any case, is that speaker (never a second
    # one of the same name); a new name is a new speaker once the user confirms.
    def speaker_labels():
        listed = requests.get(f"{live_server}/api/v1/speakers", headers=bob["auth"], timeout=5).json()
        return sorted(s["label"] for s in listed["speakers"])

    before = speaker_labels()
    other = next(s["speaker"] for s in recording["segments"] if s["speaker"] != "Kal")
    line_id = recording["segments"][-1]["id"]

    def pick(value):
        # Typed over the selected old value, as a person does (clear() would blur the box and commit).
        box = browser.find_element(By.CSS_SELECTOR, f'[data-segment-id="{line_id}"] .speaker')
        box.send_keys(Keys.CONTROL + "a")
        box.send_keys(value + Keys.TAB)

    def speaker_of_line():
        segments = requests.get(
            f"{live_server}/api/v1/recordings/{accepted['recording_id']}", headers=bob["auth"], timeout=5
        ).json()["segments"]
        return next(s["speaker"] for s in segments if s["id"] == line_id)

    pick(other.lower())
    wait.until(lambda d: speaker_of_line() == other)
    # The page shows the line under the name this recording gives that speaker once it has reloaded.
    here = {s["label"]: s["label_in_recording"] for s in recording["speakers"]}
    wait.until(
        lambda d: (
            d.find_element(By.CSS_SELECTOR, f'[data-segment-id="{line_id}"] .speaker').get_attribute("value")
            == here[other]
        )
    )
    assert speaker_labels() == before
    pick("Zed")
    wait.until(ec.alert_is_present()).accept()
    wait.until(lambda d: speaker_of_line() == "Zed")
    assert speaker_labels() == sorted([*before, "Zed"])

    browser.get(f"{live_server}/speakers")
    wait.until(
        lambda d: (
            "Kal"
            in [i.get_attribute("value") for i in d.find_elements(By.CSS_SELECTOR, "#speaker-rows input")]
        )
    )


def _post_recording(live_server: str, user: dict, path, title: str) -> dict:
    accepted = post_recording(live_server, user, path, title=title)
    assert accepted.status_code == 202, accepted.text
    return accepted.json()


def test_the_recording_page_follows_its_job_and_never_says_no_speech_early(
    browser, live_server, bob, tmp_path
):
    """Opened while the recording is processed: the page shows the stage, never "no speech", and the
    transcript arrives without a reload (issue 15's first broken case)."""
    import requests

    from tests.helpers import synthesize

    said = "Please send the delivery schedule to the warehouse team by Thursday morning."
    wav = synthesize(said, tmp_path / "lighthouse.wav")
    wait = WebDriverWait(browser, 180)
    browser.get(f"{live_server}/login")
    log_in(browser, wait, bob, "upload-form")
    accepted = _post_recording(live_server, bob, wav, "Lighthouse")
    browser.get(f"{live_server}/recordings/{accepted['recording_id']}")
    wait.until(lambda d: d.find_element(By.ID, "recording-title").text == "Lighthouse")
    browser.execute_script("window.notReloaded = true;")
    seen: list[str] = []

    def transcribed(driver) -> bool:
        seen.append(driver.find_element(By.ID, "transcript").text)
        return bool(driver.find_elements(By.CSS_SELECTOR, "#transcript .segment .text"))

    wait.until(transcribed)
    assert browser.execute_script("return window.notReloaded === true;")  # the events brought it
    assert not any("No speech" in text for text in seen), seen
    heard = " ".join(e.text for e in browser.find_elements(By.CSS_SELECTOR, "#transcript .segment .text"))
    assert word_error_rate(said, heard) <= 0.25, heard

    # A cancelled recording says so, with the reason, instead of "no speech".
    cancelled = _post_recording(live_server, bob, wav.with_name("lighthouse.wav"), "Cancelled lighthouse")
    stop = requests.delete(
        f"{live_server}/api/v1/jobs/{cancelled['job_id']}", headers=bob["auth"], timeout=30
    )
    assert stop.status_code == 200, stop.text
    browser.get(f"{live_server}/recordings/{cancelled['recording_id']}")
    wait.until(lambda d: "cancelled" in d.find_element(By.ID, "transcript").text)
    assert "cancelled by the user" in browser.find_element(By.ID, "transcript").text
    assert "No speech" not in browser.find_element(By.ID, "transcript").text
    assert browser.find_element(By.ID, "recording-meta").text.endswith("cancelled")
    browser.save_screenshot(str(tmp_path / "cancelled-recording.png"))
