"""The Instagram connector against the Instagram stand-in over real HTTP (platforms.md §2.5, §2.6).

Webhook deliveries reach the real view through Django's test client, signed by the stand-in
with its own HMAC code; replies are real HTTP calls to the stand-in.
"""

import json
import time
from collections.abc import Iterator
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.db.models import F
from django.test import Client
from django.utils import translation
from pytest_django import Settings

from tests.delivery.conftest import queue_reply, reloaded, work_until
from tests.factories import InboxFactory
from webcare.accounts.models import Account, User
from webcare.channels import registry
from webcare.channels.adapters import facebook
from webcare.channels.adapters.base import ChannelError
from webcare.channels.models import EventState, RawInboundEvent
from webcare.conversations.models import Conversation, DeliveryStatus, Direction, Message
from webcare.core.errors import ActionError
from webcare.inboxes.models import Inbox
from webcare.sandbox.standins.instagram import InstagramStandIn, running_instagram

JANE = ("6543210987654321", "jane.customer")
PIET = ("6543210987000000", "piet.klant")
IGSID = "1234567890123456"
VERIFY_TOKEN = "meatyhamhock"
HOUR = 3600


@pytest.fixture
def standin() -> Iterator[InstagramStandIn]:
    with running_instagram() as running:
        yield running


@pytest.fixture
def inbox(account: Account, standin: InstagramStandIn) -> Inbox:
    return InboxFactory(
        account=account,
        kind="instagram",
        name="Instagram Parkeergarage",
        settings={
            "app_secret": standin.app_secret,
            "verify_token": VERIFY_TOKEN,
            "ig_user_id": standin.ig_user_id,
            "access_token": standin.access_token,
            "api_base": standin.api_base,
        },
    )


def hook(inbox: Inbox) -> str:
    return f"/hooks/instagram/{inbox.token}"


def deliver(standin: InstagramStandIn, inbox: Inbox, body: bytes, signature: str | None = "sign"):
    headers = {}
    if signature == "sign":
        headers["X-Hub-Signature-256"] = standin.signature(body)
    elif signature is not None:
        headers["X-Hub-Signature-256"] = signature
    return Client().post(hook(inbox), data=body, content_type="application/json", headers=headers)


def delivered(standin: InstagramStandIn, inbox: Inbox, body: bytes) -> dict:
    response = deliver(standin, inbox, body)
    assert response.status_code == 200, response.content
    return response.json()


def customer_dms(standin: InstagramStandIn, inbox: Inbox, **kw) -> Conversation:
    event = standin.dm(IGSID, "Mijn parkeerticket is kwijt", **kw)
    delivered(standin, inbox, standin.messaging_body(event))
    return conversation_of(event["message"]["mid"])


def conversation_of(external_id: str) -> Conversation:
    return Conversation.objects.get(messages__external_id=external_id)


# Handshake and signatures ----------------------------------------------------------------------


def test_the_handshake_echoes_the_challenge_for_our_verify_token(inbox: Inbox) -> None:
    params = {"hub.mode": "subscribe", "hub.verify_token": VERIFY_TOKEN, "hub.challenge": "77"}

    response = Client().get(hook(inbox), params)

    assert (response.status_code, response.content) == (200, b"77")


def test_a_handshake_with_a_wrong_token_is_403(inbox: Inbox) -> None:
    params = {"hub.mode": "subscribe", "hub.verify_token": "wrong", "hub.challenge": "77"}

    response = Client().get(hook(inbox), params)

    assert response.status_code == 403
    assert b"77" not in response.content


@pytest.mark.parametrize("signature", [None, "sha256=forged"])
def test_a_forged_or_missing_signature_is_401_and_stores_nothing(
    inbox: Inbox, standin: InstagramStandIn, signature: str | None
) -> None:
    body = standin.comments_body(standin.comment(JANE, "Waar is mijn terugbetaling?"))

    response = deliver(standin, inbox, body, signature=signature)

    assert response.status_code == 401
    assert RawInboundEvent.objects.count() == 0
    assert Message.objects.count() == 0


# Inbound ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("flat", [False, True], ids=["changes", "field-under-entry"])
def test_a_comment_opens_a_public_conversation_for_its_media(
    inbox: Inbox, standin: InstagramStandIn, flat: bool
) -> None:
    value = standin.comment(JANE, "Where is my refund? äöå")

    result = delivered(standin, inbox, standin.comments_body(value, flat=flat))

    assert (result["stored"], result["messages"]) == (1, 1)
    message = Message.objects.get(external_id=value["id"])
    assert message.public and message.direction == Direction.INBOUND
    assert message.text == "Where is my refund? äöå"
    assert message.sender_identity.handle == JANE[1]
    assert message.conversation.external_thread_id == f"media:{value['media']['id']}"
    assert RawInboundEvent.objects.get().dedupe_key == f"comment:{value['id']}"


def test_a_reply_hangs_under_its_comment_and_ours_is_the_brands(
    inbox: Inbox, standin: InstagramStandIn
) -> None:
    question = standin.comment(JANE, "Open op zondag?")
    media = question["media"]["id"]
    reply = standin.comment(PIET, "Ja!", media_id=media, parent_id=question["id"])
    ours = standin.comment(
        (standin.ig_user_id, standin.username), "Ja, 8-20 uur", media_id=media
    ) | {"parent_id": question["id"]}
    elsewhere = standin.comment(PIET, "Andere foto")

    delivered(standin, inbox, standin.comments_body(question, reply, ours, elsewhere))

    conversation = conversation_of(question["id"])
    threaded = Message.objects.get(external_id=reply["id"])
    assert threaded.conversation_id == conversation.pk
    assert threaded.in_reply_to.external_id == question["id"]
    brand = Message.objects.get(external_id=ours["id"])
    assert brand.direction == Direction.OUTBOUND and brand.conversation_id == conversation.pk
    assert conversation_of(elsewhere["id"]).pk != conversation.pk


def test_a_dm_and_the_accounts_echo_form_one_private_conversation(
    inbox: Inbox, standin: InstagramStandIn
) -> None:
    question = standin.dm(IGSID, "Kan ik online betalen?")
    echo = standin.echo(IGSID, "Ja, met iDEAL.")

    result = delivered(standin, inbox, standin.messaging_body(question, echo))

    assert (result["stored"], result["messages"]) == (2, 2)
    conversation = conversation_of(question["message"]["mid"])
    assert conversation.kind == "direct_message"
    rows = list(conversation.messages.order_by("pk").values_list("text", "direction", "public"))
    assert rows == [
        ("Kan ik online betalen?", Direction.INBOUND, False),
        ("Ja, met iDEAL.", Direction.OUTBOUND, False),
    ]
    assert conversation.messages.get(direction=Direction.INBOUND).sender_identity.external_id == (
        IGSID
    )


def test_a_redelivery_is_stored_once(inbox: Inbox, standin: InstagramStandIn) -> None:
    body = standin.messaging_body(standin.dm(IGSID, "Hallo?"))

    first = delivered(standin, inbox, body)
    again = delivered(standin, inbox, body)

    assert (first["stored"], again["duplicates"]) == (1, 1)
    assert Message.objects.count() == 1


def test_another_accounts_entry_is_kept_but_makes_no_message(
    inbox: Inbox, standin: InstagramStandIn
) -> None:
    body = standin.comments_body(standin.comment(JANE, "Hallo"), ig_user_id="17840000000000000")

    result = delivered(standin, inbox, body)

    assert (result["stored"], result["messages"]) == (1, 0)
    event = RawInboundEvent.objects.get()
    assert event.state == EventState.PROCESSED
    assert json.loads(event.payload)["kind"] == "other"
    assert Message.objects.count() == 0


# Replies ---------------------------------------------------------------------------------------


def test_a_comment_reply_is_exactly_the_documented_request(
    agent_anna: User, inbox: Inbox, standin: InstagramStandIn
) -> None:
    value = standin.comment(JANE, "Open op zondag?")
    delivered(standin, inbox, standin.comments_body(value))

    reply = queue_reply(agent_anna, conversation_of(value["id"]), "Ja, van 8 tot 20 uur.")
    work_until(lambda: reloaded(reply).delivery_status != DeliveryStatus.QUEUED)

    (call,) = standin.calls()
    assert call.path == f"/v23.0/{value['id']}/replies"
    assert call.query == {"message": "Ja, van 8 tot 20 uur.", "access_token": standin.access_token}
    assert call.body is None
    sent = reloaded(reply)
    assert sent.delivery_status == DeliveryStatus.DELIVERED
    assert sent.external_id == standin.sent[0]["id"]


def test_a_dm_inside_24_hours_is_exactly_the_documented_request(
    agent_anna: User, inbox: Inbox, standin: InstagramStandIn
) -> None:
    conversation = customer_dms(standin, inbox, at=time.time() - 23 * HOUR)

    reply = queue_reply(agent_anna, conversation, "Stuur ons uw kenteken.")
    work_until(lambda: reloaded(reply).delivery_status != DeliveryStatus.QUEUED)

    (call,) = standin.calls()
    assert call.path == f"/v23.0/{standin.ig_user_id}/messages"
    assert call.query == {"access_token": standin.access_token}
    assert call.body == {"recipient": {"id": IGSID}, "message": {"text": "Stuur ons uw kenteken."}}
    sent = reloaded(reply)
    assert sent.delivery_status == DeliveryStatus.DELIVERED
    assert sent.external_id == standin.sent[0]["id"]


def test_between_24_hours_and_7_days_a_dm_carries_the_human_agent_tag(
    agent_anna: User, inbox: Inbox, standin: InstagramStandIn
) -> None:
    conversation = customer_dms(standin, inbox, at=time.time() - 3 * 24 * HOUR)

    reply = queue_reply(agent_anna, conversation, "Sorry voor de late reactie.")
    work_until(lambda: reloaded(reply).delivery_status != DeliveryStatus.QUEUED)

    (call,) = standin.calls()
    assert call.body == {
        "recipient": {"id": IGSID},
        "messaging_type": "MESSAGE_TAG",
        "tag": "HUMAN_AGENT",
        "message": {"text": "Sorry voor de late reactie."},
    }
    assert (call.status, reloaded(reply).delivery_status) == (200, DeliveryStatus.DELIVERED)


def test_after_7_days_a_dm_is_refused_before_instagram_sees_it(
    agent_anna: User, inbox: Inbox, standin: InstagramStandIn
) -> None:
    conversation = customer_dms(standin, inbox, at=time.time() - 8 * 24 * HOUR)

    with translation.override("en"), pytest.raises(ActionError, match="Instagram no longer"):
        queue_reply(agent_anna, conversation, "Nog een vraag?")

    assert standin.requests == []


def test_a_dm_whose_window_closes_while_queued_fails_with_the_reason(
    agent_anna: User, inbox: Inbox, standin: InstagramStandIn
) -> None:
    conversation = customer_dms(standin, inbox, at=time.time() - 2 * HOUR)
    reply = queue_reply(agent_anna, conversation, "Nog een vraag?")
    # The window closes while the reply waits in the outbox: the sender checks again.
    Message.objects.filter(conversation=conversation, direction=Direction.INBOUND).update(
        created_at=F("created_at") - timedelta(days=8)
    )

    work_until(lambda: reloaded(reply).delivery_status == DeliveryStatus.FAILED)

    assert reloaded(reply).delivery_error == facebook.window_closed("Instagram")
    assert standin.requests == []


def test_a_dm_of_1001_bytes_is_refused_before_instagram_sees_it(
    agent_anna: User, inbox: Inbox, standin: InstagramStandIn
) -> None:
    conversation = customer_dms(standin, inbox)

    with pytest.raises(ActionError, match=r"1 bytes too long for Instagram \(maximum 1000\)"):
        # 999 ASCII bytes and one two-byte character: 1000 characters, 1001 bytes.
        queue_reply(agent_anna, conversation, "a" * 999 + "é")

    assert standin.requests == []
    assert not conversation.messages.filter(direction=Direction.OUTBOUND).exists()


def test_after_a_429_no_request_reaches_instagram_before_the_reset(
    agent_anna: User, inbox: Inbox, standin: InstagramStandIn, settings: Settings
) -> None:
    settings.WEBCARE_DELIVERY_BACKOFF_BASE = 0.2
    settings.WEBCARE_DELIVERY_BACKOFF_MAX = 0.5
    standin.fail_next(429, regain_minutes=2 / 60)
    reply = queue_reply(agent_anna, customer_dms(standin, inbox), "Komt eraan")

    work_until(lambda: reloaded(reply).delivery_status == DeliveryStatus.DELIVERED)

    calls = standin.calls()
    assert [c.status for c in calls] == [429, 200]
    assert calls[1].at >= calls[0].at + 2


# Setting up ------------------------------------------------------------------------------------


def test_inbox_add_instagram_prints_the_webhook_url(db: None) -> None:
    out = StringIO()
    given = {
        "app_secret": "as",
        "verify_token": VERIFY_TOKEN,
        "ig_user_id": "17841405793187218",
        "access_token": "at",
        "api_base": "http://127.0.0.1:9/v23.0",
    }
    pairs = [arg for key, value in given.items() for arg in ("--set", f"{key}={value}")]
    call_command(
        "inbox",
        "add",
        "instagram",
        "Instagram Parkeergarage",
        "--account",
        "Parkeergarage Centraal",
        *pairs,
        stdout=out,
    )

    printed = json.loads(out.getvalue())
    inbox = Inbox.objects.get()
    assert printed["webhook_url"].endswith(f"/hooks/instagram/{inbox.token}")
    assert {key: inbox.setting(key) for key in inbox.settings} == given
    assert inbox.settings["access_token"] != "at"


def test_the_connection_check_names_the_account(inbox: Inbox, standin: InstagramStandIn) -> None:
    result = registry.check_connection(inbox)

    assert (
        result == f"Connected to Instagram as @{standin.username} (account {standin.ig_user_id})."
    )
    (call,) = standin.calls("GET")
    assert call.query == {"fields": "username", "access_token": standin.access_token}


def test_the_connection_check_fails_on_a_wrong_token(
    inbox: Inbox, standin: InstagramStandIn
) -> None:
    inbox.settings["access_token"] = "wrong"
    inbox.save()

    with pytest.raises(ChannelError, match="code 190"):
        registry.check_connection(inbox)
