"""Headless Chromium for the page tests (Debian's browser and driver, never downloaded): a driver, and
logging in through the login form."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait

# The window sizes every flow is tested at: a desktop browser, and a phone held upright.
SIZES = {"desktop": (1400, 900), "phone": (390, 844)}
# The page flows run at both sizes once, in the SQLCipher pass of `make test`; the PostgreSQL pass runs
# them at desktop size (a page's layout does not depend on the store behind the API).
FLOW_SIZES = sorted(SIZES) if os.environ.get("NEMO_TEST_STORE", "sqlcipher") == "sqlcipher" else ["desktop"]


@contextmanager
def chromium(chromium_paths: tuple[str, str], profile: Path) -> Iterator[webdriver.Chrome]:
    """A headless Chromium driver with its own profile folder, quit on the way out."""
    binary, driver_path = chromium_paths
    options = webdriver.ChromeOptions()
    options.binary_location = binary
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
        f"--user-data-dir={profile}",
    ):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})  # console messages, for tests to read
    driver = webdriver.Chrome(service=Service(executable_path=driver_path), options=options)
    try:
        yield driver
    finally:
        driver.quit()


def log_in(driver, wait: WebDriverWait, user: dict, ready_id: str) -> None:
    """Fill in the login form the driver is on, then wait for the page it leads to (by an element id)."""
    driver.find_element(By.NAME, "username").send_keys(user["username"])
    driver.find_element(By.NAME, "password").send_keys(user["password"])
    driver.find_element(By.CSS_SELECTOR, "#login-form button").click()
    wait.until(ec.presence_of_element_located((By.ID, ready_id)))
