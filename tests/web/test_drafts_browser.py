"""Drafts in a real browser (Debian's chromium via Playwright) against `webcare serve`: a
reply half written survives closing the browser, and comes back on another login."""

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, expect, sync_playwright

from tests.browser import launch_chromium, log_in, shoot
from tests.factories import UserFactory
from webcare.accounts.models import Account, User
from webcare.channels.adapters.base import Author, InboundMessage
from webcare.conversations.actions import receive_message
from webcare.conversations.models import Conversation
from webcare.inboxes.models import Inbox

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("transactional_db")]

VIEWPORT = {"width": 1400, "height": 900}
MARLOES = Author(external_id="1001", handle="marloes_vd", name="Marloes de Vries")
DRAFT = "@marloes_vd Vervelend! De monteur is onderweg naar P2, hij is er binnen"


@dataclass(frozen=True)
class Scene:
    conversation: Conversation
    url: str


@pytest.fixture
def scene(x_inbox: Inbox, agent_anna: User, account: Account) -> Scene:
    """Made before the browser starts, whose sync API runs an event loop in which Django
    refuses database calls."""
    message, _ = receive_message(
        x_inbox,
        InboundMessage(
            external_id="x-100",
            author=MARLOES,
            text="@ParkeerCentraal de slagboom bij P2 Stationsplein gaat niet open. Wat nu?!",
            created_at=timezone.now() - timedelta(minutes=12),
            public=True,
        ),
    )
    UserFactory(username="daan", first_name="Daan", language="nl", account=account)
    conversation = message.conversation
    return Scene(conversation, f"/a/{account.pk}/c/{conversation.display_id}/")


@pytest.fixture
def browser(scene: Scene, webcare_server: str) -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        yield browser
        browser.close()


def test_a_draft_survives_closing_the_browser(
    scene: Scene, webcare_server: str, browser: Browser
) -> None:
    first = browser.new_context(viewport=VIEWPORT, locale="en-GB")
    page = first.new_page()
    log_in(page, webcare_server, "anna")
    page.goto(webcare_server + scene.url)
    page.keyboard.press("r")
    page.keyboard.type(DRAFT)
    status = page.locator("#draft-status")
    expect(status).to_contain_text(re.compile(r"Draft saved \d\d:\d\d"))
    expect(status.get_by_role("button", name="Discard draft")).to_be_visible()
    shoot(page, "09-draft-saved")
    first.close()  # the whole browser session: cookies, tab, memory

    second = browser.new_context(viewport=VIEWPORT, locale="en-GB")
    page = second.new_page()
    log_in(page, webcare_server, "anna")
    page.goto(webcare_server + scene.url)
    expect(page.locator("#reply-text")).to_have_value(DRAFT)
    expect(page.locator("#draft-status")).to_contain_text("Draft saved")
    expect(page.locator("#char-counter")).to_have_text(f"{len(DRAFT)} / 280")

    # Writing on and sending it: the draft is gone, also after a reload.
    page.keyboard.press("r")
    page.keyboard.type(" 10 minuten. ^Anna")
    page.keyboard.press("Control+Enter")
    expect(page.locator("#thread")).to_contain_text("binnen 10 minuten. ^Anna")
    expect(page.locator("#reply-text")).to_have_value("")
    page.reload()
    expect(page.locator("#reply-text")).to_have_value("")
    expect(page.locator("#draft-status")).to_have_text("")
    second.close()


def test_a_draft_can_be_discarded_and_speaks_dutch(
    scene: Scene, webcare_server: str, browser: Browser
) -> None:
    context = browser.new_context(viewport=VIEWPORT, locale="nl-NL")
    page = context.new_page()
    log_in(page, webcare_server, "daan")
    page.goto(webcare_server + scene.url)
    page.keyboard.press("r")
    page.keyboard.type("Ik kijk het even na.")
    status = page.locator("#draft-status")
    expect(status).to_contain_text("Concept opgeslagen")

    status.get_by_role("button", name="Concept weggooien").click()
    expect(page.locator("#reply-text")).to_have_value("")
    page.reload()
    expect(page.locator("#reply-text")).to_have_value("")
    context.close()
