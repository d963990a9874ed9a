"""The WhatsApp connector against the WhatsApp stand-in over real HTTP (platforms.md §3).

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

from tests.channels.connected import WHATSAPP_VERIFY_TOKEN as VERIFY_TOKEN
from tests.channels.connected import whatsapp_inbox
from tests.delivery.conftest import queue_reply, reloaded, work_until
from webcare.accounts.models import Account, User
from webcare.channels.adapters import meta, whatsapp
from webcare.channels.models import EventState, RawInboundEvent
from webcare.conversations.actions import do_change_status
from webcare.conversations.models import (
    Conversation,
    DeliveryStatus,
    Direction,
    Message,
    ReplyState,
    Status,
)
from webcare.core.errors import ActionError
from webcare.inboxes.models import Inbox
from webcare.sandbox.standins.whatsapp import WhatsAppStandIn, running_whatsapp

CUSTOMER = "16505551234"


@pytest.fixture
def standin() -> Iterator[WhatsAppStandIn]:
    with running_whatsapp() as running:
        yield running


@pytest.fixture
def inbox(account: Account, standin: WhatsAppStandIn) -> Inbox:
    return whatsapp_inbox(account, standin)


def hook(inbox: Inbox) -> str:
    return f"/hooks/whatsapp/{inbox.token}"


def deliver(standin: WhatsAppStandIn, inbox: Inbox, body: bytes, signature: str | None = "sign"):
    headers = {}
    if signature == "sign":
        headers["X-Hub-Signature-256"] = standin.signature(body)
    elif signature is not None:
        headers["X-Hub-Signature-256"] = signature
    return Client().post(hook(inbox), data=body, content_type="application/json", headers=headers)


def customer_writes(
    standin: WhatsAppStandIn, inbox: Inbox, text: str = "Does it come in another color?", **kw
) -> Conversation:
    message = standin.text(CUSTOMER, text, **kw)
    response = deliver(standin, inbox, standin.messages_body(message))
    assert response.status_code == 200, response.content
    return Conversation.objects.get(messages__external_id=message["id"])


def post_statuses(standin: WhatsAppStandIn, inbox: Inbox, *statuses: dict) -> dict:
    response = deliver(standin, inbox, standin.statuses_body(*statuses))
    assert response.status_code == 200, response.content
    return response.json()


# Handshake and signatures ----------------------------------------------------------------------


def test_the_signature_matches_the_documented_test_vectors() -> None:
    assert meta.sign("test_app_secret", b'{"object":"page","entry":[]}') == (
        "sha256=5da47c9c7409e70d7a1851f0cfd9bc27786bd99587a9bf1dd5b51e23a2de03cf"
    )
    escaped = b'{"m": "\\u00e4\\u00f6\\u00e5"}'
    assert meta.sign("test_app_secret", escaped) == (
        "sha256=98266707bff7e4f81a2e6a726381f28ebe055c3fc38558815cff6c2d0f1a3423"
    )


def test_the_handshake_echoes_the_challenge_for_our_verify_token(inbox: Inbox) -> None:
    params = {"hub.mode": "subscribe", "hub.verify_token": VERIFY_TOKEN, "hub.challenge": "1158"}

    response = Client().get(hook(inbox), params)

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    assert response.content == b"1158"


@pytest.mark.parametrize(
    "params",
    [
        {"hub.mode": "subscribe", "hub.verify_token": "wrong", "hub.challenge": "1158"},
        {"hub.mode": "unsubscribe", "hub.verify_token": VERIFY_TOKEN, "hub.challenge": "1158"},
        {"hub.challenge": "1158"},
    ],
)
def test_a_handshake_without_our_token_is_403(inbox: Inbox, params: dict[str, str]) -> None:
    response = Client().get(hook(inbox), params)

    assert response.status_code == 403
    assert b"1158" not in response.content


def test_an_unknown_hook_is_404(db: None) -> None:
    assert Client().get("/hooks/whatsapp/nope", {"hub.mode": "subscribe"}).status_code == 404


@pytest.mark.parametrize(
    "signature", [None, "sha256=forged", "sha256=", "sha1=0123456789abcdef0123456789abcdef01234567"]
)
def test_a_forged_or_missing_signature_is_401_and_stores_nothing(
    inbox: Inbox, standin: WhatsAppStandIn, signature: str | None
) -> None:
    body = standin.messages_body(standin.text(CUSTOMER, "Hallo"))

    response = deliver(standin, inbox, body, signature=signature)

    assert response.status_code == 401
    assert "X-Hub-Signature-256" in response.json()["error"]
    assert RawInboundEvent.objects.count() == 0
    assert Message.objects.count() == 0


def test_a_body_signed_with_another_app_secret_is_refused(
    inbox: Inbox, standin: WhatsAppStandIn
) -> None:
    body = standin.messages_body(standin.text(CUSTOMER, "Hallo"))
    standin.app_secret = "someone-elses-secret"

    assert deliver(standin, inbox, body).status_code == 401
    assert RawInboundEvent.objects.count() == 0


def test_a_delivery_that_is_not_json_is_400_naming_the_body(
    inbox: Inbox, standin: WhatsAppStandIn
) -> None:
    response = deliver(standin, inbox, b"not json")

    assert response.status_code == 400
    assert response.json()["field"] == "body"
    assert RawInboundEvent.objects.count() == 0


# Inbound ---------------------------------------------------------------------------------------


def test_a_text_and_an_image_thread_into_one_private_conversation_per_customer(
    inbox: Inbox, standin: WhatsAppStandIn
) -> None:
    text = standin.text(CUSTOMER, "Mijn kaart wordt geweigerd", name="Sheena Nelson")
    image = standin.image(CUSTOMER, "Kapotte slagboom")
    other = standin.text("31612345678", "Is P2 open?", name="Bas")

    response = deliver(standin, inbox, standin.messages_body(text, image, other))

    assert response.status_code == 200
    assert response.json()["stored"] == 3
    sheena = Conversation.objects.get(messages__external_id=text["id"])
    assert sheena.kind == "direct_message"
    rows = list(sheena.messages.order_by("pk").values_list("external_id", "text", "public"))
    assert rows == [
        (text["id"], "Mijn kaart wordt geweigerd", False),
        (image["id"], "[image] Kapotte slagboom", False),
    ]
    first = sheena.messages.get(external_id=text["id"])
    assert first.direction == Direction.INBOUND
    assert int(first.created_at.timestamp()) == int(text["timestamp"])
    identity = first.sender_identity
    assert (identity.external_id, identity.display_name) == (CUSTOMER, "Sheena Nelson")
    stored = json.loads(RawInboundEvent.objects.get(dedupe_key=f"msg:{image['id']}").payload)
    assert stored["message"]["image"]["id"] == image["image"]["id"]
    bas = Conversation.objects.get(messages__external_id=other["id"])
    assert bas.pk != sheena.pk and bas.messages.count() == 1
    assert Conversation.objects.count() == 2


def test_a_redelivery_is_stored_once(inbox: Inbox, standin: WhatsAppStandIn) -> None:
    body = standin.messages_body(standin.text(CUSTOMER, "Hallo?"))

    first = deliver(standin, inbox, body)
    again = deliver(standin, inbox, body)

    assert (first.json()["stored"], first.json()["duplicates"]) == (1, 0)
    assert (again.json()["stored"], again.json()["duplicates"]) == (0, 1)
    assert RawInboundEvent.objects.count() == 1
    assert Message.objects.count() == 1


def test_a_message_for_another_business_number_is_kept_but_makes_none(
    inbox: Inbox, standin: WhatsAppStandIn
) -> None:
    body = standin.messages_body(standin.text(CUSTOMER, "Hallo"), phone_number_id="999000999")

    response = deliver(standin, inbox, body)

    assert response.status_code == 200
    event = RawInboundEvent.objects.get()
    assert event.state == EventState.PROCESSED
    assert json.loads(event.payload)["kind"] == "other"
    assert Message.objects.count() == 0


def test_a_customer_quoting_our_reply_threads_under_it(
    agent_anna: User, inbox: Inbox, standin: WhatsAppStandIn
) -> None:
    conversation = customer_writes(standin, inbox)
    reply = queue_reply(agent_anna, conversation, "Ja, ook in blauw.")
    work_until(lambda: reloaded(reply).delivery_status == DeliveryStatus.SENT)

    answer = standin.text(CUSTOMER, "Top, dank!", quoting=reloaded(reply).external_id)
    deliver(standin, inbox, standin.messages_body(answer))

    message = Message.objects.get(external_id=answer["id"])
    assert message.conversation_id == conversation.pk
    assert message.in_reply_to_id == reply.pk


@pytest.mark.parametrize(
    ("message", "text"),
    [
        (
            {"type": "location", "location": {"name": "P2", "latitude": 52.1, "longitude": 5.1}},
            "[location] P2 (52.1, 5.1)",
        ),
        (
            {"type": "document", "document": {"filename": "bon.pdf", "id": "77"}},
            "[document] bon.pdf",
        ),
        ({"type": "contacts", "contacts": [{"name": {"formatted_name": "Jan"}}]}, "[contacts] Jan"),
        ({"type": "sticker", "sticker": {"id": "88"}}, "[sticker]"),
    ],
)
def test_other_message_types_read_as_text(message: dict, text: str) -> None:
    assert whatsapp.message_text(message) == text


# Replies ---------------------------------------------------------------------------------------


def test_a_reply_is_exactly_the_documented_request_and_ends_sent(
    agent_anna: User, inbox: Inbox, standin: WhatsAppStandIn
) -> None:
    conversation = customer_writes(standin, inbox)
    question = conversation.messages.get()

    reply = queue_reply(agent_anna, conversation, "Hi Sheena, yes — it also comes in blue.")
    work_until(lambda: reloaded(reply).delivery_status != DeliveryStatus.QUEUED)

    (call,) = standin.calls()
    assert call.path == f"/v23.0/{standin.phone_number_id}/messages"
    assert call.headers["Authorization"] == f"Bearer {standin.access_token}"
    assert call.body == {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": CUSTOMER,
        "type": "text",
        "text": {"body": "Hi Sheena, yes — it also comes in blue.", "preview_url": False},
        "context": {"message_id": question.external_id},
    }
    assert call.status == 200
    sent = reloaded(reply)
    assert sent.delivery_status == DeliveryStatus.SENT
    assert sent.external_id == standin.sent[0]["id"]


def test_status_webhooks_move_the_reply_to_delivered_and_read(
    agent_anna: User, inbox: Inbox, standin: WhatsAppStandIn
) -> None:
    reply = queue_reply(agent_anna, customer_writes(standin, inbox), "Komt eraan")
    work_until(lambda: reloaded(reply).delivery_status == DeliveryStatus.SENT)
    sent, delivered, read = standin.status_sequence(reloaded(reply).external_id)

    assert post_statuses(standin, inbox, sent)["statuses_applied"] == 0
    assert reloaded(reply).delivery_status == DeliveryStatus.SENT
    assert post_statuses(standin, inbox, delivered)["statuses_applied"] == 1
    assert reloaded(reply).delivery_status == DeliveryStatus.DELIVERED
    assert post_statuses(standin, inbox, read)["statuses_applied"] == 1
    assert reloaded(reply).delivery_status == DeliveryStatus.READ
    assert RawInboundEvent.objects.filter(dedupe_key__startswith="status:").count() == 3
    assert Message.objects.count() == 2


def test_statuses_out_of_order_never_go_backwards_and_apply_once(
    agent_anna: User, inbox: Inbox, standin: WhatsAppStandIn
) -> None:
    reply = queue_reply(agent_anna, customer_writes(standin, inbox), "Komt eraan")
    work_until(lambda: reloaded(reply).delivery_status == DeliveryStatus.SENT)
    sent, delivered, read = standin.status_sequence(reloaded(reply).external_id)

    post_statuses(standin, inbox, read, delivered)
    again = post_statuses(standin, inbox, read, delivered)
    late = post_statuses(standin, inbox, sent)

    assert reloaded(reply).delivery_status == DeliveryStatus.READ
    assert (again["duplicates"], again["statuses_applied"]) == (2, 0)
    assert late["statuses_applied"] == 0


def test_a_status_for_a_message_we_do_not_know_is_kept_and_ignored(
    inbox: Inbox, standin: WhatsAppStandIn
) -> None:
    response = post_statuses(standin, inbox, standin.status("wamid.unknown", "delivered"))

    assert (response["stored"], response["statuses_applied"]) == (1, 0)
    event = RawInboundEvent.objects.get()
    assert event.dedupe_key == "status:wamid.unknown:delivered"
    assert event.state == EventState.PROCESSED
    assert Message.objects.count() == 0


def test_a_failed_status_shows_why_and_the_customer_waits_again(
    agent_anna: User, inbox: Inbox, standin: WhatsAppStandIn
) -> None:
    conversation = customer_writes(standin, inbox)
    reply = queue_reply(agent_anna, conversation, "Komt eraan")
    work_until(lambda: reloaded(reply).delivery_status == DeliveryStatus.SENT)
    do_change_status(agent_anna, Conversation.objects.get(pk=conversation.pk), Status.RESOLVED)
    wamid = reloaded(reply).external_id

    post_statuses(standin, inbox, standin.status(wamid, "sent"))
    post_statuses(standin, inbox, standin.status(wamid, "failed", error_code=131047))
    # A late delivered for the same message changes nothing: failed is final.
    post_statuses(standin, inbox, standin.status(wamid, "delivered"))

    failed = reloaded(reply)
    assert failed.delivery_status == DeliveryStatus.FAILED
    assert failed.delivery_error == whatsapp.OUTSIDE_WINDOW
    conversation.refresh_from_db()
    assert conversation.status == Status.OPEN
    assert conversation.waiting_since is not None
    assert conversation.messages.get(direction=Direction.INBOUND).reply_state == (
        ReplyState.WAITING
    )


def test_another_failure_shows_whatsapps_title_and_code(
    agent_anna: User, inbox: Inbox, standin: WhatsAppStandIn
) -> None:
    reply = queue_reply(agent_anna, customer_writes(standin, inbox), "Komt eraan")
    work_until(lambda: reloaded(reply).delivery_status == DeliveryStatus.SENT)

    post_statuses(
        standin, inbox, standin.status(reloaded(reply).external_id, "failed", error_code=131026)
    )

    error = reloaded(reply).delivery_error
    assert "Message undeliverable" in error and "131026" in error


def test_a_reply_outside_the_24_hour_window_is_refused_before_whatsapp_sees_it(
    agent_anna: User, inbox: Inbox, standin: WhatsAppStandIn
) -> None:
    conversation = customer_writes(standin, inbox, at=time.time() - 25 * 3600)

    with translation.override("en"), pytest.raises(ActionError, match="approved template"):
        queue_reply(agent_anna, conversation, "Sorry voor de late reactie")

    assert standin.requests == []


def test_a_reply_whose_window_closes_while_queued_fails_with_the_reason(
    agent_anna: User, inbox: Inbox, standin: WhatsAppStandIn
) -> None:
    conversation = customer_writes(standin, inbox, at=time.time() - 23 * 3600)
    reply = queue_reply(agent_anna, conversation, "Sorry voor de late reactie")
    # The window closes while the reply waits in the outbox: the sender checks again.
    Message.objects.filter(conversation=conversation, direction=Direction.INBOUND).update(
        created_at=F("created_at") - timedelta(days=8)
    )

    work_until(lambda: reloaded(reply).delivery_status == DeliveryStatus.FAILED)

    assert reloaded(reply).delivery_error == whatsapp.OUTSIDE_WINDOW
    assert "template" in whatsapp.OUTSIDE_WINDOW
    assert standin.requests == []


def test_whatsapps_own_131047_reads_the_same(
    agent_anna: User, inbox: Inbox, standin: WhatsAppStandIn
) -> None:
    conversation = customer_writes(standin, inbox)
    # WhatsApp's clock says the window closed, ours that it is still open.
    standin.last_inbound[CUSTOMER] -= 25 * 3600

    reply = queue_reply(agent_anna, conversation, "Nog even dit")
    work_until(lambda: reloaded(reply).delivery_status == DeliveryStatus.FAILED)

    assert reloaded(reply).delivery_error == whatsapp.OUTSIDE_WINDOW
    assert [c.status for c in standin.calls()] == [400]


def test_after_a_429_no_request_reaches_whatsapp_before_the_reset(
    agent_anna: User, inbox: Inbox, standin: WhatsAppStandIn, settings: Settings
) -> None:
    # Backoff alone would retry within a second; only the usage header says to wait longer.
    settings.WEBCARE_DELIVERY_BACKOFF_BASE = 0.2
    settings.WEBCARE_DELIVERY_BACKOFF_MAX = 0.5
    # Meta gives whole minutes; a fraction keeps the test short on the same path.
    standin.fail_next(429, regain_minutes=2 / 60)
    reply = queue_reply(agent_anna, customer_writes(standin, inbox), "Komt eraan")

    work_until(lambda: reloaded(reply).delivery_status == DeliveryStatus.SENT)

    calls = standin.calls()
    assert [c.status for c in calls] == [429, 200]
    assert calls[1].at >= calls[0].at + 2


def test_a_500_leaves_the_reply_for_a_person_and_never_sends_it_twice(
    agent_anna: User, inbox: Inbox, standin: WhatsAppStandIn, settings: Settings
) -> None:
    settings.WEBCARE_DELIVERY_BACKOFF_BASE = 0.2
    settings.WEBCARE_DELIVERY_BACKOFF_MAX = 1.0
    standin.fail_next(500)
    reply = queue_reply(agent_anna, customer_writes(standin, inbox), "Komt eraan")

    work_until(lambda: reloaded(reply).delivery_status == DeliveryStatus.UNCERTAIN)

    assert [c.status for c in standin.calls()] == [500]
    assert standin.sent == []


def test_a_rejected_access_token_fails_in_metas_words(
    agent_anna: User, inbox: Inbox, standin: WhatsAppStandIn
) -> None:
    conversation = customer_writes(standin, inbox)
    inbox.settings["access_token"] = "expired"
    inbox.save()

    reply = queue_reply(agent_anna, conversation, "Komt eraan")
    work_until(lambda: reloaded(reply).delivery_status == DeliveryStatus.FAILED)

    error = reloaded(reply).delivery_error
    assert "Invalid OAuth access token" in error and "code 190" in error


def test_a_reply_over_4096_characters_is_refused_before_whatsapp_sees_it(
    agent_anna: User, inbox: Inbox, standin: WhatsAppStandIn
) -> None:
    conversation = customer_writes(standin, inbox)

    with pytest.raises(ActionError, match=r"1 characters too long for WhatsApp \(maximum 4096\)"):
        queue_reply(agent_anna, conversation, "a" * 4097)

    assert standin.requests == []
    assert not conversation.messages.filter(direction=Direction.OUTBOUND).exists()


# Setting up ------------------------------------------------------------------------------------


def test_inbox_add_whatsapp_prints_the_webhook_url(db: None) -> None:
    out = StringIO()
    call_command(
        "inbox",
        "add",
        "whatsapp",
        "WhatsApp Klantenservice",
        "--account",
        "Parkeergarage Centraal",
        "--set",
        "app_secret=as",
        "--set",
        f"verify_token={VERIFY_TOKEN}",
        "--set",
        "phone_number_id=106540352242922",
        "--set",
        "access_token=at",
        "--set",
        "api_base=http://127.0.0.1:9/v23.0",
        stdout=out,
    )

    printed = json.loads(out.getvalue())
    inbox = Inbox.objects.get()
    assert printed["webhook_url"].endswith(f"/hooks/whatsapp/{inbox.token}")
    # Credentials are stored encrypted; the connector reads them back as they were given.
    assert {key: inbox.setting(key) for key in inbox.settings} == {
        "app_secret": "as",
        "verify_token": VERIFY_TOKEN,
        "phone_number_id": "106540352242922",
        "access_token": "at",
        "api_base": "http://127.0.0.1:9/v23.0",
    }
    assert inbox.settings["access_token"] != "at"
