"""The upload page in headless Chromium (Debian's browser and driver): log in, upload, watch, read."""

from __future__ import annotations

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait

from tests.helpers import SPOKEN, word_error_rate


@pytest.fixture()
def browser(chromium_paths, tmp_path):
    chromium, driver_path = chromium_paths
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={tmp_path / 'profile'}",
    ):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(executable_path=driver_path), options=options)
    yield driver
    driver.quit()


def test_upload_page_shows_progress_then_transcript(browser, live_server, bob, speech_wav):
    wait = WebDriverWait(browser, 120)
    browser.get(f"{live_server}/")
    assert "/login" in browser.current_url
    browser.find_element(By.NAME, "username").send_keys(bob["username"])
    browser.find_element(By.NAME, "password").send_keys(bob["password"])
    browser.find_element(By.CSS_SELECTOR, "#login-form button").click()
    wait.until(ec.presence_of_element_located((By.ID, "upload-form")))

    browser.find_element(By.ID, "audio").send_keys(str(speech_wav))
    browser.find_element(By.ID, "title").send_keys("Browser upload")
    browser.find_element(By.ID, "upload-button").click()
    wait.until(ec.visibility_of_element_located((By.ID, "progress-card")))
    wait.until(lambda d: d.find_element(By.ID, "job-log").find_elements(By.TAG_NAME, "li"))
    wait.until(ec.visibility_of_element_located((By.ID, "transcript-card")))
    segments = browser.find_elements(By.CSS_SELECTOR, "#transcript .segment .text")
    heard = " ".join(s.text for s in segments)
    assert word_error_rate(SPOKEN, heard) <= 0.25, heard
    assert browser.find_element(By.ID, "job-state").text == "done"
    assert float(browser.find_element(By.ID, "job-progress").get_attribute("value")) == 1.0

    browser.find_element(By.ID, "transcript-link").click()
    wait.until(lambda d: d.find_element(By.ID, "recording-title").text == "Browser upload")
    assert len(browser.find_elements(By.CSS_SELECTOR, "#transcript .segment")) == len(segments)

    # A file that is not audio: the page shows the server's message.
    browser.get(f"{live_server}/")
    wait.until(ec.presence_of_element_located((By.ID, "upload-form")))
    not_audio = speech_wav.with_name("notes.wav")
    not_audio.write_text("meeting notes, not audio")
    browser.find_element(By.ID, "audio").send_keys(str(not_audio))
    browser.find_element(By.ID, "upload-button").click()
    error = wait.until(ec.visibility_of_element_located((By.ID, "job-error")))
    assert "not a recognised audio format" in error.text
