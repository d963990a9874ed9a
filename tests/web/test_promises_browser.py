"""Needs-reply accounting and response-time promises in a real browser: the countdowns and
alarms in the list, resolving with a reason from the keyboard, the Escalated view, the
handover page and the notifications. Screenshots go to test-artifacts/screenshots/."""

import re
from collections.abc import Iterator

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, Page, expect, sync_playwright

from tests.browser import launch_chromium, log_in, shoot
from tests.web.test_browser import VIEWPORT, seed
from webcare.accounts.models import Account, User
from webcare.conversations.escalation import sweep
from webcare.conversations.models import Conversation
from webcare.inboxes.models import Inbox
from webcare.replies.actions import check_send_reply

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("transactional_db")]


@pytest.fixture
def overdue(
    account: Account, x_inbox: Inbox, api_inbox: Inbox, lead_lars: User, agent_anna: User
) -> dict[str, Conversation]:
    """The seeded morning with a 30-minute promise on X: two customers are late, one close,
    and the newest was answered first, so the older late ones count as skipped."""
    x_inbox.first_response_minutes = x_inbox.next_response_minutes = 30
    x_inbox.warn_before_minutes = 10
    x_inbox.save()
    busy = seed(account, x_inbox, api_inbox, lead_lars)
    newest = (
        Conversation.objects.filter(inbox=x_inbox, waiting_since__isnull=False)
        .order_by("-waiting_since")
        .first()
    )
    seen = newest.messages.order_by("-pk").first()
    check_send_reply(
        agent_anna, newest, "Yes, 4 chargers on level -1. ^Anna", expected_last_message_id=seen.pk
    )
    sweep(timezone.now())
    tom = Conversation.objects.get(contact__name="Tom Bakker")
    return {"busy": busy, "tom": tom}


@pytest.fixture
def page(overdue: dict[str, Conversation], webcare_server: str) -> Iterator[Page]:
    with sync_playwright() as playwright:
        browser: Browser = launch_chromium(playwright)
        context = browser.new_context(viewport=VIEWPORT, locale="en-GB")
        yield context.new_page()
        context.close()
        browser.close()


def test_promises_alarms_and_the_handover(
    overdue: dict[str, Conversation], webcare_server: str, page: Page
) -> None:
    busy, tom = overdue["busy"], overdue["tom"]
    log_in(page, webcare_server, "lars")

    busy_row = page.locator(f"#row-{busy.pk}")
    expect(busy_row.locator("time.due")).to_have_class(re.compile("due--late"))
    expect(busy_row.locator("time.due")).to_contain_text("overdue")
    expect(busy_row).to_contain_text("Escalated")
    expect(page.locator(f"#row-{tom.pk}")).to_contain_text("Skipped")
    expect(page.locator('.sidebar [data-count="escalated"]')).to_have_text("2")
    # Lars leads: two escalations, two skipped alarms, and the warning about Fatima, whom
    # nobody holds (6 minutes left).
    expect(page.locator('.sidebar [data-count="notifications"]')).to_have_text("5")
    shoot(page, "30-promises-in-the-list")

    page.locator(f"#row-{tom.pk}").click()
    expect(page.locator(".conv-promises")).to_contain_text("Escalated to the team leads")
    expect(page.locator("#thread .reply-state.is-waiting")).to_have_count(1)
    page.keyboard.press("e")
    menu = page.locator("#resolve-menu .menu-list")
    expect(menu).to_be_visible()
    expect(menu).to_contain_text("A customer message is still waiting")
    shoot(page, "31-resolve-asks-why")
    menu.get_by_role("button", name="Answered elsewhere (phone, e-mail, DM)").click()
    expect(page.locator("#thread .reply-state.is-settled")).to_contain_text(
        "No reply needed: Answered elsewhere"
    )
    expect(page.locator("#thread .activity").last).to_contain_text(
        "Lars resolved this conversation; 1 message needed no reply"
    )
    expect(page.locator('.sidebar [data-count="escalated"]')).to_have_text("1")

    page.locator('.sidebar [data-view="escalated"]').click()
    page.wait_for_url(re.compile(r"view=escalated"))
    expect(page.locator("[data-row]")).to_have_count(1)
    expect(page.locator(f"#row-{busy.pk}")).to_be_visible()

    page.goto(f"{webcare_server}/a/{busy.account_id}/handover/")
    expect(page.locator("h1")).to_contain_text("Handover")
    expect(page.locator("#handover")).to_contain_text("Storing bij P2 gemeld")
    shoot(page, "32-handover")

    page.goto(f"{webcare_server}/a/{busy.account_id}/notifications/")
    expect(page.locator(".notification-list")).to_contain_text("missed its response target")
    shoot(page, "33-notifications")
