"""Needs reply, most urgent first, in a real browser: the seeded morning is triaged by the
server's own worker, the angriest public complaint comes first with its reasons as badges, and
"Longest waiting first" is one click away. Screenshots go to test-artifacts/screenshots/."""

import re
import time
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from tests.browser import launch_chromium, log_in, shoot
from tests.web.test_browser import VIEWPORT, seed
from webcare.accounts.models import Account, User
from webcare.conversations.models import Message
from webcare.inboxes.models import Inbox

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("transactional_db")]


@pytest.fixture
def seeded(
    account: Account, x_inbox: Inbox, api_inbox: Inbox, lead_lars: User, agent_anna: User
) -> Account:
    seed(account, x_inbox, api_inbox, lead_lars)
    return account


@pytest.fixture
def page(seeded: Account, webcare_server: str) -> Iterator[Page]:
    """The server's embedded worker triages what `seed` stored; wait for it first."""
    deadline = time.monotonic() + 60
    while Message.objects.filter(direction="inbound", triaged_at__isnull=True).exists():
        assert time.monotonic() < deadline, "the worker did not triage the seeded messages"
        time.sleep(0.3)
    with sync_playwright() as playwright:
        browser: Browser = launch_chromium(playwright)
        context = browser.new_context(viewport=VIEWPORT, locale="en-GB")
        yield context.new_page()
        context.close()
        browser.close()


def test_the_most_urgent_customer_comes_first_with_the_reasons(
    seeded: Account, webcare_server: str, page: Page
) -> None:
    log_in(page, webcare_server, "anna")

    rows = page.locator("[data-row]")
    expect(page.get_by_role("link", name="Most urgent")).to_have_attribute("aria-current", "true")
    expect(rows.first).to_contain_text("Complaint")
    shoot(page, "40-needs-reply-most-urgent")
    urgent_first = rows.locator(".row-name").all_inner_texts()

    page.get_by_role("link", name="Longest waiting").click()
    expect(page).to_have_url(re.compile(r"sort=oldest"))
    expect(page.get_by_role("link", name="Longest waiting")).to_have_attribute(
        "aria-current", "true"
    )
    oldest_first = rows.locator(".row-name").all_inner_texts()
    shoot(page, "41-needs-reply-longest-waiting")

    assert sorted(oldest_first) == sorted(urgent_first)
    assert oldest_first != urgent_first
