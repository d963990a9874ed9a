"""Live updates and presence in two real browsers (Debian's chromium via Playwright).

Anna and Lars work the same inbox in two browser contexts against one `webcare serve`. Lars
sees Anna typing; a customer's message, posted to the server's webhook, appears in Lars's list
and open conversation without a reload, while Anna's half-written reply stays where it was.
"""

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest
from django.utils import timezone
from playwright.sync_api import Browser, Page, expect, sync_playwright

from tests.browser import launch_chromium, shoot
from tests.conftest import WebhookClient, message_payload
from webcare.accounts.models import Account, User
from webcare.channels.adapters.api import SIGNATURE_HEADER, sign
from webcare.conversations.models import Conversation
from webcare.inboxes.models import Inbox

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("transactional_db")]

VIEWPORT = {"width": 1400, "height": 900}
WAIT_MS = 20_000  # generous: two browsers and a server share a small machine
DRAFT = "Hoi Marloes, ik kijk even met de centrale mee. Wat is je kenteken"


@dataclass(frozen=True)
class Scene:
    account_id: int
    conversation: Conversation
    inbox_token: str
    inbox_secret: str


@pytest.fixture
def scene(account: Account, api_inbox: Inbox, agent_anna: User, lead_lars: User) -> Scene:
    """Two customers waiting; made before the browser starts (its event loop bars the ORM)."""
    hook = WebhookClient(api_inbox)
    hook.post(
        message_payload(
            "web-1",
            "De slagboom bij P2 gaat niet open en er staat een rij achter me.",
            "marloes",
            author={"id": "marloes", "handle": "marloes_vd", "name": "Marloes de Vries"},
            public=False,
        )
    )
    hook.post(
        message_payload(
            "web-2",
            "Wat kost parkeren op zondag bij P3?",
            "henk",
            author={"id": "henk", "handle": "henkjansen58", "name": "Henk Jansen"},
            public=False,
        )
    )
    conversation = Conversation.objects.get(contact__name="Marloes de Vries")
    return Scene(account.pk, conversation, api_inbox.token, api_inbox.secret)


@pytest.fixture
def browser(scene: Scene, webcare_server: str) -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        yield browser
        browser.close()


def open_as(browser: Browser, server: str, username: str, path: str) -> Page:
    page = browser.new_context(viewport=VIEWPORT, locale="en-GB").new_page()
    page.set_default_timeout(WAIT_MS)
    page.goto(f"{server}/login/")
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill("secret-pass-1")
    page.locator("#id_password").press("Enter")
    page.wait_for_url(re.compile(r"/a/\d+/conversations/"))
    page.goto(f"{server}{path}")
    return page


def post_webhook(server: str, scene: Scene, payload: dict[str, object]) -> None:
    """The customer's message as the platform sends it (now): signed, to the server's webhook."""
    body = json.dumps({**payload, "created_at": timezone.now().isoformat()}).encode()
    response = httpx.post(
        f"{server}/hooks/api/{scene.inbox_token}",
        content=body,
        headers={
            "Content-Type": "application/json",
            SIGNATURE_HEADER: sign(scene.inbox_secret, body),
        },
    )
    assert response.status_code == 200, response.text


def test_lars_sees_anna_typing_and_a_new_message_arrives_without_a_reload(
    scene: Scene, webcare_server: str, browser: Browser
) -> None:
    conversation = scene.conversation
    path = f"/a/{scene.account_id}/c/{conversation.display_id}/"
    anna = open_as(browser, webcare_server, "anna", path)
    lars = open_as(browser, webcare_server, "lars", path)
    lars.evaluate("window.notReloaded = true")
    presence = lars.locator("[data-presence]")
    row = lars.locator(f"#row-{conversation.pk}")

    # Both tabs must load and open their sockets first; on a loaded CI machine that alone
    # can take more than the default five seconds.
    expect(presence).to_have_text("Anna is viewing", timeout=20_000)
    anna.locator("#reply-text").click()
    anna.keyboard.type(DRAFT)
    expect(presence).to_have_text("Anna is typing…")
    expect(row.locator(".row-presence")).to_contain_text("Anna")
    expect(anna.locator("[data-presence]")).to_have_text("Lars is viewing")
    shoot(lars, "10-typing")

    post_webhook(
        webcare_server,
        scene,
        message_payload(
            "web-3",
            "Mijn kenteken is 34-KLP-7, ik sta er nog steeds.",
            "marloes",
            author={"id": "marloes", "handle": "marloes_vd", "name": "Marloes de Vries"},
            public=False,
        ),
    )
    post_webhook(
        webcare_server,
        scene,
        message_payload(
            "web-4",
            "Is er een laadpaal in P2 Stationsplein?",
            "sarah",
            author={"id": "sarah", "handle": "sarah_ev", "name": "Sarah Mitchell"},
            public=False,
        ),
    )

    expect(lars.locator("#thread")).to_contain_text("Mijn kenteken is 34-KLP-7")
    expect(row).to_contain_text("Mijn kenteken is 34-KLP-7")
    expect(lars.locator("[data-row]", has_text="Sarah Mitchell")).to_have_count(1)
    expect(lars.locator('.sidebar [data-count="needs_reply"]')).to_have_text("3")
    expect(anna.locator("#thread")).to_contain_text("Mijn kenteken is 34-KLP-7")
    assert lars.evaluate("window.notReloaded") is True
    shoot(lars, "11-live-list")

    draft = anna.locator("#reply-text")
    expect(draft).to_have_value(DRAFT)
    expect(draft).to_be_focused()
    caret = anna.evaluate("document.getElementById('reply-text').selectionStart")
    assert caret == len(DRAFT)
    lars.keyboard.press("a")
    lars.keyboard.press("m")
    expect(anna.locator(".conv-sub .assignee")).to_have_text("Assigned to Lars")
    expect(anna.locator("#thread .activity").last).to_contain_text("Lars assigned this to Lars")
    expect(anna.locator(f"#row-{conversation.pk} .assignee")).to_have_text("Lars")
    anna.keyboard.type("?")
    expect(draft).to_have_value(DRAFT + "?")
    shoot(anna, "12-draft-kept")

    anna.context.close()
    expect(presence).to_have_count(1)
    expect(presence).to_be_hidden()
    lars.context.close()
