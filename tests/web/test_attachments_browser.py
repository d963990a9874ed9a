"""A customer's photo shows in the thread, in a real browser, served by the view that checks
the agent's access; a PDF stays a link to a download. Screenshot in test-artifacts/."""

import struct
import zlib
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, expect, sync_playwright
from pytest_django import Settings

from tests.browser import launch_chromium, log_in, shoot
from tests.web.test_browser import VIEWPORT
from tests.web.test_views import conversation_url, customer_post
from webcare.accounts.models import Account
from webcare.channels.adapters.base import InboundAttachment
from webcare.conversations.models import Message
from webcare.inboxes.models import Inbox

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("transactional_db", "agent_anna")]


def png(width: int, height: int, rgb: tuple[int, int, int]) -> bytes:
    """A real PNG of one colour (no imaging library needed for a test picture)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    row = b"\x00" + bytes(rgb) * width
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(row * height))
        + chunk(b"IEND", b"")
    )


@pytest.fixture
def message(x_inbox: Inbox, settings: Settings, tmp_path: Path, webcare_server: str) -> Message:
    # The server's files live in its data folder (conftest.webcare_server); store them there.
    settings.MEDIA_ROOT = tmp_path / "server" / "media"
    return customer_post(
        x_inbox,
        "dm-photo",
        "De slagboom bij P2 is kapot, zie foto. Bon zit erbij.",
        3,
        public=False,
        attachments=(
            InboundAttachment("slagboom.png", "image/png", png(320, 200, (200, 40, 40))),
            InboundAttachment("bon.pdf", "application/pdf", b"%PDF-1.4 parkeerbon"),
        ),
    )


@pytest.fixture
def page(message: Message) -> Iterator[Page]:
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        context = browser.new_context(viewport=VIEWPORT, locale="en-GB")
        yield context.new_page()
        context.close()
        browser.close()


def test_a_photo_shows_in_the_thread_and_a_pdf_is_a_link(
    account: Account, message: Message, webcare_server: str, page: Page
) -> None:
    log_in(page, webcare_server, "anna")
    page.goto(webcare_server + conversation_url(account, message.conversation))

    photo = page.get_by_role("img", name="Photo sent by the customer: slagboom.png")
    expect(photo).to_be_visible()
    # Loaded, not a broken-image icon: the browser decoded the PNG the view served.
    page.wait_for_function(
        "img => img.complete && img.naturalWidth === 320", arg=photo.element_handle()
    )
    pdf = page.get_by_role("link", name="bon.pdf")
    expect(pdf).to_be_visible()
    assert pdf.locator("img").count() == 0
    shoot(page, "49-photo-in-thread")


def test_the_photo_is_not_served_to_someone_logged_out(
    message: Message, webcare_server: str
) -> None:
    """The image URL is the access-checked view, not a public file: logged out, it redirects
    to the login page instead of serving the picture."""
    attachment = message.attachments.get(mime_type="image/png")
    response = httpx.get(f"{webcare_server}/attachments/{attachment.pk}/")
    assert response.status_code == 302
    assert "/login/" in response.headers["location"]
