"""Messaging windows are known before a reply is queued, and the composer says where one is."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone, translation
from playwright.sync_api import expect, sync_playwright

from tests.browser import launch_chromium, log_in, shoot
from tests.conftest import logged_in
from tests.delivery.conftest import queue_reply
from tests.factories import InboxFactory
from webcare.accounts.models import Account, User
from webcare.channels.adapters.base import Author, InboundMessage
from webcare.channels.windows import reply_window
from webcare.conversations.actions import receive_message
from webcare.conversations.models import Conversation, Direction
from webcare.core.errors import ActionError
from webcare.inboxes.models import Inbox


def inbox_of(account: Account, kind: str, **settings: object) -> Inbox:
    return InboxFactory(account=account, kind=kind, name=kind, settings=settings)


def customer_wrote(inbox: Inbox, hours_ago: float, *, public: bool = False) -> Conversation:
    message, _ = receive_message(
        inbox,
        InboundMessage(
            external_id=f"m-{inbox.kind}-{hours_ago}-{public}",
            author=Author(external_id="cust", handle="klant", name="Klant"),
            text="Is mijn abonnement al verlengd?",
            created_at=timezone.now() - timedelta(hours=hours_ago),
            public=public,
        ),
    )
    return message.conversation


@pytest.mark.parametrize(
    ("kind", "hours_ago", "state"),
    [
        ("whatsapp", 23, "open"),
        ("whatsapp", 25, "closed"),
        ("facebook", 23, "open"),
        ("facebook", 72, "human_agent"),
        ("facebook", 24 * 8, "closed"),
        ("instagram", 24 * 6, "human_agent"),
        ("instagram", 24 * 8, "closed"),
    ],
)
def test_the_window_follows_the_platforms_rules(
    account: Account, kind: str, hours_ago: float, state: str
) -> None:
    conversation = customer_wrote(inbox_of(account, kind), hours_ago)

    window = reply_window(conversation, public=False)

    assert window is not None and window.state == state


def test_public_replies_sandboxes_and_other_channels_have_no_window(account: Account) -> None:
    comment = customer_wrote(inbox_of(account, "facebook"), 24 * 30, public=True)
    sandboxed = customer_wrote(inbox_of(account, "whatsapp", sandbox=True), 48)
    dm_on_x = customer_wrote(inbox_of(account, "x"), 24 * 30)

    assert reply_window(comment, public=True) is None
    assert reply_window(sandboxed, public=False) is None
    assert reply_window(dm_on_x, public=False) is None


def test_a_reply_outside_the_window_is_refused_before_it_is_queued(
    agent_anna: User, account: Account
) -> None:
    conversation = customer_wrote(inbox_of(account, "whatsapp"), 30)

    with (
        translation.override("en"),
        pytest.raises(ActionError, match="approved template") as refused,
    ):
        queue_reply(agent_anna, conversation, "Uw abonnement is verlengd.")

    assert refused.value.status == 409
    assert not conversation.messages.filter(direction=Direction.OUTBOUND).exists()


@pytest.mark.parametrize(
    ("language", "hours_ago", "expected"),
    [
        ("en", 2, "The platform takes a private reply until"),
        ("en", 72, "goes with the Human Agent tag"),
        ("en", 24 * 9, "no longer takes a private message"),
        ("nl", 24 * 9, "neemt Facebook geen privébericht meer aan"),
    ],
)
def test_the_composer_says_where_the_window_stands(
    agent_anna: User, account: Account, language: str, hours_ago: float, expected: str
) -> None:
    agent_anna.language = language
    agent_anna.save()
    conversation = customer_wrote(inbox_of(account, "facebook"), hours_ago)
    url = reverse("web:conversation", args=[account.pk, conversation.display_id])

    html = logged_in(agent_anna).get(url).content.decode()

    assert expected in html


@pytest.mark.browser
@pytest.mark.usefixtures("transactional_db")
def test_the_window_in_the_composer_in_the_browser(
    agent_anna: User, account: Account, webcare_server: str
) -> None:
    conversation = customer_wrote(inbox_of(account, "facebook"), 72)
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        page = browser.new_page(viewport={"width": 1280, "height": 800})
        log_in(page, webcare_server, "anna")
        page.goto(f"{webcare_server}/a/{account.pk}/c/{conversation.display_id}/")
        expect(page.locator(".composer-window")).to_contain_text("Human Agent")
        shoot(page, "reply-window")
        browser.close()
