"""The one way tests start a browser: Debian's chromium, headless, flags as CI needs them."""

import re
from pathlib import Path

from playwright.sync_api import Browser, Page, Playwright, expect

CHROMIUM = "/usr/bin/chromium"
SCREENSHOTS = Path(__file__).resolve().parents[1] / "test-artifacts" / "screenshots"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
# How long `expect` waits for a page to get there: generous, because on a 2-core machine a
# browser, a server and a second test worker share the cores. It ends a broken test; it
# measures nothing (speed is measured by `make bench`).
expect.set_options(timeout=15_000)


def launch_chromium(playwright: Playwright) -> Browser:
    return playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)


def log_in(page: Page, server: str, username: str) -> None:
    """Log in through the form, as a person would; the test users share one password."""
    page.goto(f"{server}/login/")
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill("secret-pass-1")
    page.locator("#id_password").press("Enter")
    page.wait_for_url(re.compile(r"/a/\d+/conversations/"))


def shoot(page: Page, name: str) -> None:
    """A full-page screenshot in test-artifacts/screenshots/, for a person to look at."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
