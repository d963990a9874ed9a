"""The chat widget's websocket against the real ASGI application and channel layer: a
visitor's messages land in the inbox, replies reach the visitor, the conversation survives a
new connection, typing shows both ways, and with nobody online the offline form lands as an
e-mail conversation."""

from typing import Any

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.test import Client

from tests.factories import InboxFactory, TeamFactory
from tests.live.test_consumer import WAIT, joined, receive, run, session_cookie
from webcare.accounts.access import access_membership
from webcare.accounts.actions import do_set_availability
from webcare.accounts.models import Account, Availability, User
from webcare.config.asgi import application
from webcare.conversations.models import Conversation, Message
from webcare.inboxes.models import Inbox
from webcare.replies.actions import check_send_reply

pytestmark = pytest.mark.usefixtures("transactional_db", "memory_layer")

SITE = "https://www.parkeergarage.test"


@pytest.fixture
def memory_layer(settings: Any) -> None:
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}


@pytest.fixture
def chat(account: Account) -> Inbox:
    return InboxFactory(
        account=account, kind="webchat", name="Website chat", settings={"color": "#0f766e"}
    )


@pytest.fixture
def online_agent(account: Account, agent_anna: User) -> User:
    do_set_availability(access_membership(agent_anna, account.pk), Availability.ONLINE)
    return agent_anna


def visitor(chat: Inbox, token: str = "", origin: str = SITE) -> WebsocketCommunicator:
    return WebsocketCommunicator(
        application,
        f"/ws/chat/{chat.token}/?v={token}&lang=en&page={SITE}/tarieven",
        headers=[(b"origin", origin.encode())],
    )


async def hello(communicator: WebsocketCommunicator) -> dict[str, Any]:
    connected, _ = await communicator.connect(timeout=WAIT)
    assert connected
    return await receive(communicator, "hello")


def test_a_visitor_chats_an_agent_answers_and_a_new_page_load_keeps_it(
    chat: Inbox, online_agent: User
) -> None:
    async def scenario() -> None:
        first = visitor(chat)
        greeting = await hello(first)
        assert greeting["online"] is True
        assert greeting["messages"] == []
        await first.send_json_to({"type": "message", "id": "m-1", "text": "Hoe laat sluit P2?"})
        ack = await receive(first, "ack")
        assert ack["message"]["text"] == "Hoe laat sluit P2?"
        # The widget sends again after a reconnect: still one message.
        await first.send_json_to({"type": "message", "id": "m-1", "text": "Hoe laat sluit P2?"})
        await receive(first, "ack")

        conversation = await sync_to_async(Conversation.objects.get)()
        assert conversation.inbox_id == chat.pk
        assert conversation.waiting_since is not None
        latest = await sync_to_async(lambda: conversation.messages.last().pk)()
        await sync_to_async(check_send_reply)(
            online_agent, conversation, "Om 23:00, fijne avond!", expected_last_message_id=latest
        )
        pushed = await receive(first, "message")
        assert pushed["message"]["from"] == "agent"
        assert pushed["message"]["text"] == "Om 23:00, fijne avond!"
        assert pushed["message"]["name"] == "Anna"
        await first.disconnect()

        # The next page: the widget comes back with its cookie, and sees everything.
        again = visitor(chat, greeting["visitor"])
        restored = await hello(again)
        assert [m["text"] for m in restored["messages"]] == [
            "Hoe laat sluit P2?",
            "Om 23:00, fijne avond!",
        ]
        await again.disconnect()

        # A forged token is a stranger: nothing of anyone else's conversation.
        stranger = visitor(chat, greeting["visitor"][:-3] + "abc")
        assert (await hello(stranger))["messages"] == []
        await stranger.disconnect()

    run(scenario)
    assert Message.objects.filter(direction="inbound").count() == 1


def test_typing_shows_both_ways(account: Account, chat: Inbox, online_agent: User) -> None:
    async def scenario() -> None:
        guest = visitor(chat)
        await hello(guest)
        await guest.send_json_to({"type": "message", "id": "m-1", "text": "Hallo?"})
        await receive(guest, "ack")
        conversation = await sync_to_async(Conversation.objects.get)()

        cookie = await sync_to_async(session_cookie)(online_agent)
        agent = WebsocketCommunicator(
            application,
            f"/ws/a/{account.pk}/",
            headers=[
                (b"origin", b"http://testserver"),
                (b"cookie", f"sessionid={cookie}".encode()),
            ],
        )
        await joined(agent)
        await guest.send_json_to({"type": "typing"})
        seen = await receive(agent, "presence")
        assert (seen["state"], seen["conversation"], seen["visitor"]) == (
            "typing",
            conversation.display_id,
            True,
        )

        await agent.send_json_to(
            {"type": "presence", "conversation": conversation.display_id, "state": "typing"}
        )
        typing = await receive(guest, "typing")
        assert typing["name"] == "Anna"
        await agent.disconnect()
        await guest.disconnect()

    run(scenario)


def test_with_nobody_online_the_offline_message_lands_as_an_email_conversation(
    account: Account, chat: Inbox, agent_anna: User
) -> None:
    email_inbox = InboxFactory(
        account=account, kind="email", name="E-mail", settings={"address": "support@p.test"}
    )

    async def scenario() -> None:
        guest = visitor(chat)
        greeting = await hello(guest)
        assert greeting["online"] is False
        assert "Nobody is online" in greeting["status"]
        await guest.send_json_to(
            {"type": "offline", "name": "Henk", "email": "geen-adres", "text": "Bel me terug"}
        )
        error = await receive(guest, "error")
        assert error["field"] == "email"
        await guest.send_json_to(
            {"type": "offline", "name": "Henk", "email": "henk@example.nl", "text": "Bel me terug"}
        )
        done = await receive(guest, "offline_ok")
        assert done["email"] == "henk@example.nl"
        await guest.disconnect()

    run(scenario)
    message = Message.objects.get()
    assert message.inbox == email_inbox
    assert message.mail_headers["via"] == "chat"
    assert message.sender_identity.external_id == "henk@example.nl"
    assert message.conversation.contact.name == "Henk"
    assert message.conversation.waiting_since is not None


def test_a_team_without_online_members_counts_as_nobody(
    account: Account, chat: Inbox, online_agent: User, lead_lars: User
) -> None:
    team = TeamFactory(account=account)
    team.members.add(lead_lars)
    Inbox.objects.filter(pk=chat.pk).update(team=team)

    async def scenario() -> None:
        assert (await hello(visitor(chat)))["online"] is False

    run(scenario)


def test_outside_opening_hours_the_widget_says_when_the_team_is_back(
    chat: Inbox, online_agent: User
) -> None:
    # Open one minute a week, on Sunday: closed now (almost surely), back on a Sunday.
    Inbox.objects.filter(pk=chat.pk).update(
        opening_hours={"sun": [["03:00", "03:01"]]}, holiday_country=""
    )
    config = Client().get(f"/chat/{chat.token}/config?lang=en")
    assert config["Access-Control-Allow-Origin"] == "*"
    body = config.json()
    assert body["online"] is False
    assert "back Sunday" in body["status"]
    assert body["color"] == "#0f766e"
    assert body["strings"]["open"] == "Chat with us"


def test_a_site_not_allowed_to_embed_the_chat_is_closed_with_4403(chat: Inbox) -> None:
    Inbox.objects.filter(pk=chat.pk).update(settings={**chat.settings, "allowed_origins": SITE})

    async def scenario() -> None:
        other = visitor(chat, origin="https://evil.example")
        await other.connect(timeout=WAIT)
        closed = await other.receive_output(timeout=WAIT)
        assert closed == {"type": "websocket.close", "code": 4403}
        allowed = visitor(chat)
        assert (await hello(allowed))["type"] == "hello"
        await allowed.disconnect()

    run(scenario)
