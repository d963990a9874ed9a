"""The websocket consumer against the real ASGI application, session and channel layer.

Each test runs one asyncio scenario (WebsocketCommunicator); database work inside it goes
through sync_to_async, as the server's own sync views do. Waits are generous timeouts, never
a claim about how fast something must be.
"""

import asyncio
import threading
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.testing import WebsocketCommunicator
from django.db import connections
from django.test import Client

from tests.conftest import WebhookClient, message_payload
from tests.factories import AccountFactory, UserFactory
from webcare.accounts.models import Account, User
from webcare.config.asgi import application
from webcare.conversations.actions import do_add_note, do_assign
from webcare.conversations.models import Conversation

pytestmark = pytest.mark.usefixtures("transactional_db", "memory_layer")

WAIT = 10  # seconds: generous, for a loaded machine


@pytest.fixture
def memory_layer(settings: Any) -> None:
    """A fresh in-memory channel layer per test (the setting change resets the layers)."""
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}


def run(scenario: Callable[[], Awaitable[None]]) -> None:
    async_to_sync(scenario)()


def session_cookie(user: User) -> str:
    client = Client()
    client.force_login(user)
    return client.cookies["sessionid"].value


def socket(account: Account, user: User | None, origin: str = "http://testserver"):
    headers = [(b"origin", origin.encode())]
    if user is not None:
        headers.append((b"cookie", f"sessionid={session_cookie(user)}".encode()))
    return WebsocketCommunicator(application, f"/ws/a/{account.pk}/", headers=headers)


async def receive(communicator: WebsocketCommunicator, kind: str) -> dict[str, Any]:
    """The next message of `kind`, skipping the others (presence hellos, earlier events)."""
    while True:
        message = await communicator.receive_json_from(timeout=WAIT)
        if message["type"] == kind:
            return message


async def joined(communicator: WebsocketCommunicator) -> None:
    """Connect, and wait until the socket is in its group: its own hello comes back."""
    connected, _ = await communicator.connect(timeout=WAIT)
    assert connected
    await communicator.send_json_to({"type": "presence", "state": "hello"})
    hello = await receive(communicator, "presence")
    assert hello["state"] == "hello"


def test_an_anonymous_socket_is_closed_with_4403(account: Account) -> None:
    async def scenario() -> None:
        communicator = socket(account, None)
        await communicator.connect(timeout=WAIT)
        closed = await communicator.receive_output(timeout=WAIT)
        assert closed == {"type": "websocket.close", "code": 4403}

    run(scenario)


def test_a_user_of_another_account_is_closed_with_4403(account: Account) -> None:
    outsider = UserFactory(username="otto", account=AccountFactory(name="Other brand"))
    communicator = socket(account, outsider)

    async def scenario() -> None:
        await communicator.connect(timeout=WAIT)
        closed = await communicator.receive_output(timeout=WAIT)
        assert closed == {"type": "websocket.close", "code": 4403}

    run(scenario)


def test_a_socket_from_another_site_is_refused(account: Account, agent_anna: User) -> None:
    communicator = socket(account, agent_anna, origin="https://evil.example")

    async def scenario() -> None:
        connected, _ = await communicator.connect(timeout=WAIT)
        assert not connected

    run(scenario)


def test_a_webhook_message_reaches_the_socket_without_its_text(
    account: Account, agent_anna: User, webhook: WebhookClient
) -> None:
    communicator = socket(account, agent_anna)

    async def scenario() -> None:
        await joined(communicator)
        response = await sync_to_async(webhook.post)(
            message_payload("m-1", "Mijn pas werkt niet bij P2")
        )
        assert response.status_code == 200
        event = await receive(communicator, "conversation")
        conversation = await sync_to_async(Conversation.objects.get)()
        assert event == {
            "type": "conversation",
            "conversation_id": conversation.pk,
            "display_id": conversation.display_id,
            "inbox_id": webhook.inbox.pk,
            "what": "message",
        }
        await communicator.disconnect()

    run(scenario)


def test_an_assignment_and_a_note_reach_the_socket(
    account: Account, agent_anna: User, lead_lars: User, webhook: WebhookClient
) -> None:
    webhook.post(message_payload("m-1"))
    conversation = Conversation.objects.get()
    communicator = socket(account, agent_anna)

    async def scenario() -> None:
        await joined(communicator)
        await sync_to_async(do_assign)(lead_lars, conversation, agent_anna)
        await sync_to_async(do_add_note)(lead_lars, conversation, "Klant belt zo terug")
        assigned = await receive(communicator, "conversation")
        noted = await receive(communicator, "conversation")
        assert (assigned["what"], assigned["display_id"]) == ("assigned", conversation.display_id)
        assert (noted["what"], noted["display_id"]) == ("note", conversation.display_id)
        await communicator.disconnect()

    run(scenario)


def test_a_change_made_in_a_worker_thread_reaches_the_socket(
    account: Account, agent_anna: User, lead_lars: User, webhook: WebhookClient
) -> None:
    """The embedded worker runs in threads of its own, outside the server's event loop; its
    broadcasts must still reach the in-memory layer's sockets (on that loop), promptly."""
    webhook.post(message_payload("m-1"))
    conversation = Conversation.objects.get()
    communicator = socket(account, agent_anna)

    def as_the_worker() -> None:
        try:
            do_add_note(lead_lars, conversation, "Bezorging mislukt, opnieuw geprobeerd")
        finally:
            connections.close_all()

    async def scenario() -> None:
        await joined(communicator)
        # Not awaited: nothing else may wake the loop, as in a quiet server.
        worker = threading.Thread(target=as_the_worker)
        worker.start()
        event = await receive(communicator, "conversation")
        assert (event["what"], event["display_id"]) == ("note", conversation.display_id)
        await communicator.disconnect()
        await asyncio.to_thread(worker.join)

    run(scenario)


def test_presence_carries_the_name_the_server_knows(
    account: Account, agent_anna: User, lead_lars: User
) -> None:
    anna = socket(account, agent_anna)
    lars = socket(account, lead_lars)

    async def scenario() -> None:
        await joined(anna)
        await joined(lars)
        await anna.send_json_to(
            {
                "type": "presence",
                "conversation": 7,
                "state": "typing",
                "name": "Someone else",
                "user_id": lead_lars.pk,
            }
        )
        typing = await receive(lars, "presence")
        assert typing["state"] == "typing"
        assert typing["conversation"] == 7
        assert (typing["user_id"], typing["name"]) == (agent_anna.pk, "Anna")
        await anna.disconnect()
        await lars.disconnect()

    run(scenario)


def test_a_closed_socket_leaves_the_conversation_it_viewed(
    account: Account, agent_anna: User, lead_lars: User
) -> None:
    anna = socket(account, agent_anna)
    lars = socket(account, lead_lars)

    async def scenario() -> None:
        await joined(anna)
        await joined(lars)
        await anna.send_json_to({"type": "presence", "conversation": 3, "state": "viewing"})
        viewing = await receive(lars, "presence")
        assert (viewing["state"], viewing["name"]) == ("viewing", "Anna")
        await anna.disconnect()
        left = await receive(lars, "presence")
        assert (left["state"], left["conversation"], left["socket"]) == (
            "left",
            3,
            viewing["socket"],
        )
        await lars.disconnect()

    run(scenario)


def test_malformed_presence_is_dropped(account: Account, agent_anna: User, lead_lars: User) -> None:
    anna = socket(account, agent_anna)
    lars = socket(account, lead_lars)

    async def scenario() -> None:
        await joined(anna)
        await joined(lars)
        await anna.send_json_to({"type": "presence", "conversation": "7", "state": "typing"})
        await anna.send_json_to({"type": "presence", "conversation": 7, "state": "shouting"})
        await anna.send_json_to({"type": "presence", "conversation": 7, "state": "viewing"})
        # Relayed in order: the first presence lars gets is the well-formed one.
        first = await receive(lars, "presence")
        assert (first["state"], first["conversation"]) == ("viewing", 7)
        await anna.disconnect()
        await lars.disconnect()

    run(scenario)


def test_a_broadcast_that_fails_does_not_fail_the_write(
    settings: Any,
    account: Account,
    lead_lars: User,
    webhook: WebhookClient,
    caplog: pytest.LogCaptureFixture,
) -> None:
    webhook.post(message_payload("m-1"))
    conversation = Conversation.objects.get()
    # Nothing listens on port 1: every send to this "Redis" fails at once.
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": ["redis://127.0.0.1:1/0"]},
        }
    }
    note = do_add_note(lead_lars, conversation, "Monteur is onderweg")
    assert note.pk is not None
    assert conversation.messages.filter(pk=note.pk).exists()
    assert "live.broadcast_failed" in caplog.messages
