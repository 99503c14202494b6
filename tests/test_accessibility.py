"""Every signed-in page, at desktop (1400x900) and phone (390x844) sizes, in headless Chromium: no serious or
critical axe-core violation, no console error, nothing wider than the screen on a phone, the menu folded
behind its button there; a screenshot of each kept under build/screenshots for a person to look at."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import requests
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from tests.accessibility import blocking_violations, console_errors
from tests.browser import SIZES, log_in
from tests.conftest import _make_user
from tests.helpers import post_recording

SCREENSHOTS = Path(__file__).resolve().parent.parent / "build" / "screenshots"


@pytest.fixture(scope="module")
def gwen_with_a_recording(store, live_server, speech_wav):
    user = _make_user(store, "gwen", "admin")  # an admin sees every page, the Admin page too
    accepted = post_recording(live_server, user, speech_wav, title="Accessibility check")
    assert accepted.status_code == 202, accepted.text
    job_url = f"{live_server}/api/v1/jobs/{accepted.json()['job_id']}"
    wait = WebDriverWait(None, 180)
    wait.until(lambda _: requests.get(job_url, headers=user["auth"], timeout=5).json()["state"] == "done")
    return user, accepted.json()["recording_id"]


@pytest.mark.parametrize("size", sorted(SIZES))
def test_every_page_is_accessible_and_fits(browser, live_server, gwen_with_a_recording, size):
    user, recording_id = gwen_with_a_recording
    width, height = SIZES[size]
    browser.set_window_size(width, height)
    wait = WebDriverWait(browser, 60, ignored_exceptions=(StaleElementReferenceException,))
    browser.get(f"{live_server}/login")
    problems = {"login": blocking_violations(browser)}
    log_in(browser, wait, user, "upload-form")
    pages = {
        "upload": ("/", "upload-form"),
        "recordings": ("/recordings", "recording-table"),
        "recording": (f"/recordings/{recording_id}", "transcript"),
        "speakers": ("/speakers", "enroll-form"),
        "search": ("/search", "search-form"),
        "assistant": ("/chat", "chat-form"),
        "emotions": ("/emotions", "main"),
        "webhooks": ("/webhooks", "main"),
        "account": ("/account", "my-tokens"),
        "admin": ("/admin", "new-user"),
    }
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    console_errors(browser)
    overflow = {}
    for name, (path, ready) in pages.items():
        browser.get(f"{live_server}{path}")
        wait.until(lambda d, ready=ready: d.find_elements(By.ID, ready))
        if name == "recording":
            wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#transcript .segment"))
        if name == "recordings":
            wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#recording-rows tr[data-recording-id]"))
        problems[name] = blocking_violations(browser)
        wide = browser.execute_script("return document.documentElement.scrollWidth")
        if wide > width:
            overflow[name] = wide
        browser.save_screenshot(str(SCREENSHOTS / f"{name}-{size}.png"))
    failures = {name: found for name, found in problems.items() if found}
    assert not failures, json.dumps(failures, indent=1)
    assert console_errors(browser) == []
    if size == "phone":
        assert overflow == {}, overflow  # no page scrolls sideways on a phone
        browser.get(f"{live_server}/search")
        nav = wait.until(lambda d: d.find_element(By.ID, "site-nav"))
        assert not nav.is_displayed()  # folded behind its button
        browser.find_element(By.ID, "menu-toggle").click()
        assert nav.is_displayed()
        assert nav.find_element(By.CSS_SELECTOR, '[aria-current="page"]').text == "Search"
        # Transcript lines stack: the words get the screen's width, not a third of it.
        browser.get(f"{live_server}/recordings/{recording_id}")
        text = wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#transcript .segment .text"))[0]
        assert text.size["width"] > 0.7 * width
