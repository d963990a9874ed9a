"""Delivery test helpers: the stand-in integrator, inboxes that send to it, and a way to run
the outbox worker's step in the test until something holds."""

import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from django.conf import settings
from django.utils import timezone
from pytest_django import Settings

from tests.conftest import WebhookClient, message_payload
from tests.factories import InboxFactory
from webcare.accounts.models import Account, User
from webcare.channels import registry
from webcare.channels.adapters.api import CallbackSender
from webcare.channels.adapters.base import Author, ChannelError, InboundMessage, Lookup, SendResult
from webcare.conversations.actions import receive_message
from webcare.conversations.models import Conversation, Message
from webcare.inboxes.actions import do_update_settings
from webcare.inboxes.models import Inbox
from webcare.replies.actions import check_send_reply
from webcare.replies.delivery import deliver_next
from webcare.sandbox.standins.callback import CallbackStandIn, running_callback_standin


@pytest.fixture
def stand_in() -> Iterator[CallbackStandIn]:
    with running_callback_standin() as running:
        yield running


@pytest.fixture
def callback_inbox(api_inbox: Inbox, stand_in: CallbackStandIn) -> Inbox:
    """An API inbox whose replies go to the stand-in integrator."""
    inbox = do_update_settings(api_inbox, {"callback_url": stand_in.url})
    stand_in.secret = inbox.secret
    return inbox


@pytest.fixture
def fast_retries(settings: Settings) -> Settings:
    """Backoff in tenths of seconds, so retries happen within a test."""
    settings.WEBCARE_DELIVERY_BACKOFF_BASE = 0.2
    settings.WEBCARE_DELIVERY_BACKOFF_MAX = 1.0
    return settings


class LookupSender:
    """A platform that posts every request it gets (no dedupe by key) but can be asked
    whether it has a reply: the stand-in's `GET ?idempotency_key=`. Registered for WhatsApp
    inboxes in tests, the shape a real adapter with a lookup will have."""

    resend_is_safe = False

    def send(self, inbox: Inbox, message: Message) -> SendResult:
        return CallbackSender().send(inbox, message)

    def lookup(self, inbox: Inbox, message: Message) -> Lookup:
        url = str(inbox.setting("callback_url"))
        try:
            response = httpx.get(
                url,
                params={"idempotency_key": str(message.idempotency_key)},
                timeout=settings.WEBCARE_HTTP_TIMEOUT,
            )
        except httpx.HTTPError as exc:
            raise ChannelError(f"Could not ask {url}: {exc}", permanent=False) from exc
        if response.status_code == 404:
            return Lookup.absent()
        if response.status_code == 200:
            return Lookup.present(SendResult(external_id=response.json()["id"]))
        raise ChannelError(f"{url} answered {response.status_code}", permanent=False)


@pytest.fixture
def lookup_inbox(
    account: Account, stand_in: CallbackStandIn, monkeypatch: pytest.MonkeyPatch
) -> Inbox:
    """A WhatsApp inbox whose platform (the stand-in, deduping off) offers a lookup."""
    monkeypatch.setitem(registry.SENDERS, "whatsapp", LookupSender())
    inbox = InboxFactory(account=account, kind="whatsapp", name="WhatsApp")
    inbox = do_update_settings(inbox, {"callback_url": stand_in.url})
    stand_in.secret = inbox.secret
    stand_in.dedupe = False
    return inbox


def customer_writes(inbox: Inbox, external_id: str, **payload: Any) -> Conversation:
    """A customer message through the inbox's signed webhook; returns its conversation."""
    response = WebhookClient(inbox).post(message_payload(external_id, **payload))
    assert response.status_code == 200, response.content
    return Conversation.objects.get(messages__external_id=external_id)


def customer_on(inbox: Inbox, external_id: str, public: bool = True) -> Conversation:
    """A customer message on any inbox kind, through the action every parser feeds."""
    message, _ = receive_message(
        inbox,
        InboundMessage(
            external_id=external_id,
            author=Author(external_id=f"author-{external_id}", handle="klant", name="Klant"),
            text="De slagboom gaat niet open",
            created_at=timezone.now(),
            public=public,
        ),
    )
    return message.conversation


def queue_reply(agent: User, conversation: Conversation, text: str) -> Message:
    """An agent's reply through the real action; the test drives the worker itself."""
    newest = conversation.messages.order_by("-pk").values_list("pk", flat=True)[0]
    return check_send_reply(
        agent, conversation, text, expected_last_message_id=newest, send_anyway=True
    )


def work_until(done: Callable[[], bool], timeout: float = 60.0) -> None:
    """Run the outbox worker's step (claim, send, record) until `done()` holds.

    The timeout is generous: it is there to end a broken test, not to measure anything.
    """
    deadline = time.monotonic() + timeout
    while not done():
        if not deliver_next():
            time.sleep(0.05)
        if time.monotonic() > deadline:
            raise AssertionError(f"still not done after {timeout:.0f} s")


def reloaded(message: Message) -> Message:
    return Message.objects.get(pk=message.pk)
