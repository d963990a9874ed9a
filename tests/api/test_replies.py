"""Replies and retries through the API, on a sandbox X inbox and on an API inbox whose
replies go, signed, to a stand-in integrator over real HTTP."""

import time
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from django.test import Client

from tests.api.conftest import StandIn, ingest
from tests.conftest import WebhookClient
from tests.factories import AccountFactory, InboxFactory
from webcare.accounts.actions import create_token
from webcare.accounts.models import User
from webcare.channels.adapters.base import Author, InboundMessage
from webcare.conversations.actions import receive_message
from webcare.conversations.models import Conversation, Message
from webcare.inboxes.models import Inbox


@pytest.fixture
def x_conversation(x_inbox: Inbox) -> Conversation:
    tweet = InboundMessage(
        external_id="1860000000000000001",
        author=Author(external_id="42", handle="marloes_vd", name="Marloes"),
        text="@ParkeerCentraal de slagboom op P2 gaat niet open",
        created_at=datetime(2026, 11, 23, 8, 0, tzinfo=UTC),
        public=True,
    )
    message, _ = receive_message(x_inbox, tweet)
    return message.conversation


def newest_message_id(conversation: Conversation) -> int:
    return conversation.messages.order_by("-pk").values_list("pk", flat=True)[0]


def reply(
    client: Client,
    conversation: Conversation,
    text: str,
    *,
    seen: int | None = None,
    send_anyway: bool = False,
) -> Any:
    """Reply as an agent who has read the whole conversation, unless `seen` says otherwise."""
    return client.post(
        f"/api/v1/conversations/{conversation.pk}/replies",
        {
            "text": text,
            "expected_last_message_id": seen or newest_message_id(conversation),
            "send_anyway": send_anyway,
        },
        content_type="application/json",
    )


def retry(client: Client, message_id: int) -> Any:
    return client.post(f"/api/v1/messages/{message_id}/retry")


def timeline(client: Client, conversation: Conversation) -> list[dict[str, Any]]:
    return client.get(f"/api/v1/conversations/{conversation.pk}").json()["messages"]


def needs_reply_ids(client: Client) -> list[int]:
    body = client.get("/api/v1/conversations?view=needs_reply").json()
    return [item["id"] for item in body["items"]]


def test_reply_is_201_and_leaves_needs_reply(
    anna_api: Client, x_conversation: Conversation, django_capture_on_commit_callbacks: Any
) -> None:
    assert needs_reply_ids(anna_api) == [x_conversation.pk]

    with django_capture_on_commit_callbacks(execute=True):
        response = reply(anna_api, x_conversation, "Sorry! We openen hem op afstand.")

    assert response.status_code == 201
    created = response.json()
    assert created["direction"] == "outbound"
    assert created["kind"] == "message"
    assert created["public"] is True
    assert created["sender"]["username"] == "anna"
    assert created["delivery_status"] == "queued"
    assert created["in_reply_to"] == timeline(anna_api, x_conversation)[0]["id"]
    delivered = timeline(anna_api, x_conversation)[-1]
    assert delivered["id"] == created["id"]
    assert delivered["delivery_status"] == "delivered"
    assert delivered["external_id"] == f"sandbox-{created['id']}"
    assert needs_reply_ids(anna_api) == []


def test_overlong_x_reply_is_400_naming_text(
    anna_api: Client, x_conversation: Conversation
) -> None:
    response = reply(anna_api, x_conversation, "a" * 281)

    assert response.status_code == 400
    assert response.json()["field"] == "text"
    assert "1 weighted too long" in response.json()["error"]
    assert len(timeline(anna_api, x_conversation)) == 1


def test_280_characters_fit_on_x(
    anna_api: Client, x_conversation: Conversation, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = reply(anna_api, x_conversation, "a" * 280)

    assert response.status_code == 201


def test_empty_reply_is_400_naming_text(anna_api: Client, x_conversation: Conversation) -> None:
    response = reply(anna_api, x_conversation, "  ")

    assert response.status_code == 400
    assert response.json() == {"error": "Write a reply before sending.", "field": "text"}


def test_api_inbox_reply_reaches_the_integrator_signed(
    anna_api: Client,
    callback_inbox: Inbox,
    stand_in: StandIn,
    django_capture_on_commit_callbacks: Any,
) -> None:
    conversation = ingest(WebhookClient(callback_inbox), "site-77", author_id="bezoeker-9")

    with django_capture_on_commit_callbacks(execute=True):
        response = reply(anna_api, conversation, "Fijn dat u het meldt!")

    assert response.status_code == 201
    (received,) = stand_in.received
    assert received.signature_valid
    assert received.path == "/webcare/replies"
    key = str(Message.objects.get(pk=response.json()["id"]).idempotency_key)
    assert received.headers["Idempotency-Key"] == key
    assert received.json() == {
        "id": f"webcare-{response.json()['id']}",
        "idempotency_key": key,
        "conversation_id": conversation.display_id,
        "in_reply_to": "site-77",
        "recipient": {"id": "bezoeker-9", "handle": "user_bezoeker-9"},
        "text": "Fijn dat u het meldt!",
        "public": True,
        "created_at": received.json()["created_at"],
    }
    delivered = timeline(anna_api, conversation)[-1]
    assert delivered["delivery_status"] == "delivered"
    assert delivered["external_id"] == "partner-1"


def test_integrator_500_fails_the_reply_and_retry_delivers_it(
    anna_api: Client,
    callback_inbox: Inbox,
    stand_in: StandIn,
    django_capture_on_commit_callbacks: Any,
    settings: Any,
) -> None:
    # One attempt only: the retries with backoff are tests/delivery's subject.
    settings.WEBCARE_DELIVERY_MAX_ATTEMPTS = 1
    conversation = ingest(WebhookClient(callback_inbox), "site-78")
    stand_in.status = 500

    with django_capture_on_commit_callbacks(execute=True):
        sent = reply(anna_api, conversation, "We kijken ernaar.").json()

    failed = timeline(anna_api, conversation)[-1]
    assert failed["delivery_status"] == "failed"
    assert failed["delivery_error"] == (
        f"{stand_in.url} answered 500 Internal Server Error. Gave up after 1 attempt."
    )
    assert needs_reply_ids(anna_api) == [conversation.pk]

    stand_in.status = 200
    with django_capture_on_commit_callbacks(execute=True):
        retried = retry(anna_api, sent["id"])

    assert retried.status_code == 200
    assert retried.json()["delivery_status"] == "queued"
    assert retried.json()["delivery_error"] == ""
    delivered = timeline(anna_api, conversation)[-1]
    assert delivered["id"] == sent["id"]
    assert delivered["delivery_status"] == "delivered"
    assert [r.json()["id"] for r in stand_in.received] == [f"webcare-{sent['id']}"] * 2
    assert all(r.signature_valid for r in stand_in.received)
    assert needs_reply_ids(anna_api) == []


def test_retry_of_a_delivered_reply_is_409(
    anna_api: Client, x_conversation: Conversation, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        sent = reply(anna_api, x_conversation, "Opgelost!").json()

    response = retry(anna_api, sent["id"])

    assert response.status_code == 409
    assert response.json() == {"error": "Only a failed reply can be sent again.", "field": None}


def test_retry_of_another_accounts_message_is_404(anna_api: Client) -> None:
    inbox = InboxFactory(account=AccountFactory(name="Fietsenstalling Oost"), kind="api")
    foreign = ingest(WebhookClient(inbox), "x1")

    response = retry(anna_api, foreign.messages.get().pk)

    assert response.status_code == 404
    assert response.json()["error"] == "No such message"


@pytest.mark.usefixtures("transactional_db")
def test_reply_over_real_http_is_delivered_and_answers_the_customer(
    webcare_server: str, agent_anna: User, x_conversation: Conversation
) -> None:
    headers = {"Authorization": f"Bearer {create_token(agent_anna)}"}

    response = httpx.post(
        f"{webcare_server}/api/v1/conversations/{x_conversation.pk}/replies",
        json={
            "text": "Hij staat weer open.",
            "expected_last_message_id": newest_message_id(x_conversation),
        },
        headers=headers,
        timeout=10,
    )

    # Delivery runs at commit, inline or in one of the server's sender threads (whichever
    # claims the reply first), so the answer may still say "sending": follow the timeline.
    assert response.status_code == 201
    reply_id = response.json()["id"]
    status = response.json()["delivery_status"]
    deadline = time.monotonic() + 10
    while status in ("queued", "sending") and time.monotonic() < deadline:
        time.sleep(0.1)
        timeline = httpx.get(
            f"{webcare_server}/api/v1/conversations/{x_conversation.pk}",
            headers=headers,
            timeout=10,
        ).json()["messages"]
        status = next(m["delivery_status"] for m in timeline if m["id"] == reply_id)
    assert status == "delivered"
    listed = httpx.get(
        f"{webcare_server}/api/v1/conversations?view=all", headers=headers, timeout=10
    ).json()
    assert [(i["id"], i["waiting_since"]) for i in listed["items"]] == [(x_conversation.pk, None)]
