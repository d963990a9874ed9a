"""The Facebook Page connector against the Facebook stand-in over real HTTP (platforms.md §2).

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
from webcare.sandbox.standins.facebook import FacebookStandIn, running_facebook

JANE = ("6123456789012345", "Jane Customer")
PIET = ("6123456789099999", "Piet Klant")
PSID = "24023406110580537"
VERIFY_TOKEN = "meatyhamhock"
HOUR = 3600


@pytest.fixture
def standin() -> Iterator[FacebookStandIn]:
    with running_facebook() as running:
        yield running


@pytest.fixture
def inbox(account: Account, standin: FacebookStandIn) -> Inbox:
    return InboxFactory(
        account=account,
        kind="facebook",
        name="Facebook Parkeergarage",
        settings={
            "app_secret": standin.app_secret,
            "verify_token": VERIFY_TOKEN,
            "page_id": standin.page_id,
            "access_token": standin.access_token,
            "api_base": standin.api_base,
        },
    )


def hook(inbox: Inbox) -> str:
    return f"/hooks/facebook/{inbox.token}"


def deliver(standin: FacebookStandIn, inbox: Inbox, body: bytes, signature: str | None = "sign"):
    headers = {}
    if signature == "sign":
        headers["X-Hub-Signature-256"] = standin.signature(body)
    elif signature is not None:
        headers["X-Hub-Signature-256"] = signature
    return Client().post(hook(inbox), data=body, content_type="application/json", headers=headers)


def delivered(standin: FacebookStandIn, inbox: Inbox, body: bytes) -> dict:
    response = deliver(standin, inbox, body)
    assert response.status_code == 200, response.content
    return response.json()


def comments(standin: FacebookStandIn, inbox: Inbox, *values: dict) -> dict:
    return delivered(standin, inbox, standin.feed_body(*values))


def messenger(standin: FacebookStandIn, inbox: Inbox, *events: dict) -> dict:
    return delivered(standin, inbox, standin.messaging_body(*events))


def customer_messages(standin: FacebookStandIn, inbox: Inbox, **kw) -> Conversation:
    event = standin.messenger_text(PSID, "Mijn kaart wordt geweigerd bij de uitgang", **kw)
    messenger(standin, inbox, event)
    return Conversation.objects.get(messages__external_id=event["message"]["mid"])


def conversation_of(external_id: str) -> Conversation:
    return Conversation.objects.get(messages__external_id=external_id)


# Handshake and signatures ----------------------------------------------------------------------


def test_the_handshake_echoes_the_challenge_for_our_verify_token(inbox: Inbox) -> None:
    params = {"hub.mode": "subscribe", "hub.verify_token": VERIFY_TOKEN, "hub.challenge": "1158"}

    response = Client().get(hook(inbox), params)

    assert response.status_code == 200
    assert response.content == b"1158"


@pytest.mark.parametrize(
    "params",
    [
        {"hub.mode": "subscribe", "hub.verify_token": "wrong", "hub.challenge": "1158"},
        {"hub.challenge": "1158"},
    ],
)
def test_a_handshake_without_our_token_is_403(inbox: Inbox, params: dict[str, str]) -> None:
    response = Client().get(hook(inbox), params)

    assert response.status_code == 403
    assert b"1158" not in response.content


def test_a_whatsapp_token_is_not_a_facebook_hook(account: Account) -> None:
    other = InboxFactory(account=account, kind="whatsapp", name="WhatsApp")

    assert Client().get(hook(other), {"hub.mode": "subscribe"}).status_code == 404


@pytest.mark.parametrize(
    "signature", [None, "sha256=forged", "sha1=0123456789abcdef0123456789abcdef01234567"]
)
def test_a_forged_or_missing_signature_is_401_and_stores_nothing(
    inbox: Inbox, standin: FacebookStandIn, signature: str | None
) -> None:
    body = standin.feed_body(standin.comment(JANE, "Waar blijft mijn bestelling?"))

    response = deliver(standin, inbox, body, signature=signature)

    assert response.status_code == 401
    assert "X-Hub-Signature-256" in response.json()["error"]
    assert RawInboundEvent.objects.count() == 0
    assert Message.objects.count() == 0


def test_a_delivery_that_is_not_json_is_400_naming_the_body(
    inbox: Inbox, standin: FacebookStandIn
) -> None:
    response = deliver(standin, inbox, b"not json")

    assert response.status_code == 400
    assert response.json()["field"] == "body"
    assert RawInboundEvent.objects.count() == 0


# Inbound: the feed -----------------------------------------------------------------------------


def test_a_comment_opens_a_public_conversation_for_its_post(
    inbox: Inbox, standin: FacebookStandIn
) -> None:
    value = standin.comment(JANE, "My order still hasn't shipped?? äöå")

    result = comments(standin, inbox, value)

    assert (result["stored"], result["messages"]) == (1, 1)
    message = Message.objects.get(external_id=value["comment_id"])
    assert message.public and message.direction == Direction.INBOUND
    assert message.text == "My order still hasn't shipped?? äöå"
    assert int(message.created_at.timestamp()) == value["created_time"]
    assert message.sender_identity.external_id == JANE[0]
    assert message.sender_identity.display_name == JANE[1]
    assert message.conversation.external_thread_id == value["post_id"]
    assert message.conversation.kind == "public_thread"
    event = RawInboundEvent.objects.get()
    assert event.dedupe_key == f"comment:{value['comment_id']}:add"
    assert event.source == "facebook"


def test_comments_on_one_post_form_one_conversation_and_a_reply_hangs_under_its_comment(
    inbox: Inbox, standin: FacebookStandIn
) -> None:
    first = standin.comment(JANE, "Is P2 open?")
    post = first["post_id"]
    second = standin.comment(PIET, "En P3?", post_id=post)
    reply = standin.comment(
        PIET, "@Jane ja, sinds gisteren", post_id=post, parent_id=first["comment_id"]
    )
    elsewhere = standin.comment(PIET, "Andere post")

    comments(standin, inbox, first, second, reply, elsewhere)

    conversation = conversation_of(first["comment_id"])
    assert list(conversation.messages.order_by("pk").values_list("external_id", flat=True)) == [
        first["comment_id"],
        second["comment_id"],
        reply["comment_id"],
    ]
    threaded = Message.objects.get(external_id=reply["comment_id"])
    assert threaded.in_reply_to.external_id == first["comment_id"]
    assert conversation_of(elsewhere["comment_id"]).pk != conversation.pk


def test_the_pages_own_comment_is_its_reply_in_the_same_conversation(
    inbox: Inbox, standin: FacebookStandIn
) -> None:
    question = standin.comment(JANE, "Is P2 open?")
    ours = standin.comment(
        (standin.page_id, standin.page_name),
        "Ja, van 7 tot 23 uur.",
        post_id=question["post_id"],
        parent_id=question["comment_id"],
    )

    comments(standin, inbox, question, ours)

    answer = Message.objects.get(external_id=ours["comment_id"])
    assert answer.direction == Direction.OUTBOUND
    assert answer.delivery_status == DeliveryStatus.DELIVERED
    assert answer.conversation_id == conversation_of(question["comment_id"]).pk
    assert answer.in_reply_to.external_id == question["comment_id"]


def test_a_visitor_post_opens_a_conversation_its_comments_join(
    inbox: Inbox, standin: FacebookStandIn
) -> None:
    post = standin.visitor_post(PIET, "Slagboom P2 kapot, al 20 minuten wachten")
    comment = standin.comment(JANE, "Hier ook!", post_id=post["post_id"])

    comments(standin, inbox, post)
    comments(standin, inbox, comment)

    message = Message.objects.get(external_id=post["post_id"])
    assert message.public and message.text == "Slagboom P2 kapot, al 20 minuten wachten"
    assert message.sender_identity.external_id == PIET[0]
    assert RawInboundEvent.objects.filter(dedupe_key=f"post:{post['post_id']}:add").exists()
    joined = Message.objects.get(external_id=comment["comment_id"])
    assert joined.conversation_id == message.conversation_id
    assert joined.in_reply_to_id == message.pk


def test_a_redelivery_is_stored_once(inbox: Inbox, standin: FacebookStandIn) -> None:
    body = standin.feed_body(standin.comment(JANE, "Hallo?"))

    first = delivered(standin, inbox, body)
    again = delivered(standin, inbox, body)

    assert (first["stored"], first["duplicates"]) == (1, 0)
    assert (again["stored"], again["duplicates"]) == (0, 1)
    assert RawInboundEvent.objects.count() == 1
    assert Message.objects.count() == 1


def test_another_pages_entry_is_kept_but_makes_no_message(
    inbox: Inbox, standin: FacebookStandIn
) -> None:
    body = standin.feed_body(standin.comment(JANE, "Hallo"), page_id="999000999")

    result = delivered(standin, inbox, body)

    assert (result["stored"], result["messages"]) == (1, 0)
    event = RawInboundEvent.objects.get()
    assert event.state == EventState.PROCESSED
    assert event.dedupe_key.startswith("other:")
    assert json.loads(event.payload)["kind"] == "other"
    assert Message.objects.count() == 0


def test_an_edit_is_kept_under_its_own_key_and_changes_nothing(
    inbox: Inbox, standin: FacebookStandIn
) -> None:
    added = standin.comment(JANE, "Waar is mijn bestelling")
    edited = added | {"verb": "edited", "message": "Waar is mijn bestelling??"}
    reaction = {"from": {"id": JANE[0]}, "item": "reaction", "verb": "add", "post_id": "1_2"}

    comments(standin, inbox, added)
    result = comments(standin, inbox, edited, reaction)

    assert (result["stored"], result["messages"]) == (2, 0)
    assert RawInboundEvent.objects.filter(
        dedupe_key=f"comment:{added['comment_id']}:edited"
    ).exists()
    assert Message.objects.get().text == "Waar is mijn bestelling"


# Inbound: Messenger ----------------------------------------------------------------------------


def test_a_messenger_message_and_the_pages_echo_form_one_private_conversation(
    inbox: Inbox, standin: FacebookStandIn
) -> None:
    question = standin.messenger_text(PSID, "Kan ik een abonnement opzeggen?")
    echo = standin.echo(PSID, "Ja, via Mijn account.")

    result = messenger(standin, inbox, question, echo)

    assert (result["stored"], result["messages"]) == (2, 2)
    conversation = conversation_of(question["message"]["mid"])
    assert conversation.kind == "direct_message"
    assert conversation.external_thread_id == f"dm:{PSID}"
    rows = list(conversation.messages.order_by("pk").values_list("text", "direction", "public"))
    assert rows == [
        ("Kan ik een abonnement opzeggen?", Direction.INBOUND, False),
        ("Ja, via Mijn account.", Direction.OUTBOUND, False),
    ]
    incoming = conversation.messages.get(direction=Direction.INBOUND)
    assert incoming.sender_identity.external_id == PSID
    assert incoming.created_at.timestamp() == pytest.approx(question["timestamp"] / 1000)
    assert RawInboundEvent.objects.filter(dedupe_key=f"mid:{question['message']['mid']}").exists()


def test_an_echo_of_the_page_writing_first_starts_the_customers_conversation(
    agent_anna: User, inbox: Inbox, standin: FacebookStandIn
) -> None:
    echo = standin.echo(PSID, "Uw abonnement is verlengd.")
    messenger(standin, inbox, echo)
    answer = standin.messenger_text(PSID, "Dank!")
    messenger(standin, inbox, answer)

    conversation = conversation_of(echo["message"]["mid"])
    assert conversation.pk == conversation_of(answer["message"]["mid"]).pk
    assert conversation.contact.identities.get().external_id == PSID


def test_a_messenger_delivery_receipt_is_kept_and_makes_no_message(
    inbox: Inbox, standin: FacebookStandIn
) -> None:
    receipt = {
        "sender": {"id": PSID},
        "recipient": {"id": standin.page_id},
        "timestamp": int(time.time() * 1000),
        "delivery": {"mids": ["m_1"], "watermark": int(time.time() * 1000)},
    }

    result = messenger(standin, inbox, receipt)

    assert (result["stored"], result["messages"]) == (1, 0)
    assert RawInboundEvent.objects.get().dedupe_key.startswith("other:")


# Replies ---------------------------------------------------------------------------------------


def test_a_public_reply_is_exactly_the_documented_comment_request(
    agent_anna: User, inbox: Inbox, standin: FacebookStandIn
) -> None:
    value = standin.comment(JANE, "Is P2 open?")
    comments(standin, inbox, value)

    reply = queue_reply(agent_anna, conversation_of(value["comment_id"]), "Ja, tot 23 uur.")
    work_until(lambda: reloaded(reply).delivery_status != DeliveryStatus.QUEUED)

    (call,) = standin.calls()
    assert call.path == f"/v23.0/{value['comment_id']}/comments"
    assert call.query == {"access_token": standin.access_token}
    assert call.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert call.body == {"message": "Ja, tot 23 uur."}
    assert call.status == 200
    sent = reloaded(reply)
    assert sent.delivery_status == DeliveryStatus.DELIVERED
    assert sent.external_id == standin.sent[0]["id"]

    # Its webhook comes back as the Page's own comment: the same message, not a second one.
    ours = standin.comment(
        (standin.page_id, standin.page_name), "Ja, tot 23 uur.", post_id=value["post_id"]
    )
    ours["comment_id"] = sent.external_id
    comments(standin, inbox, ours)
    assert Message.objects.filter(direction=Direction.OUTBOUND).count() == 1


def test_a_public_reply_under_a_visitor_post_comments_on_the_post(
    agent_anna: User, inbox: Inbox, standin: FacebookStandIn
) -> None:
    post = standin.visitor_post(PIET, "Slagboom kapot")
    comments(standin, inbox, post)

    reply = queue_reply(agent_anna, conversation_of(post["post_id"]), "We sturen iemand.")
    work_until(lambda: reloaded(reply).delivery_status == DeliveryStatus.DELIVERED)

    assert [c.path for c in standin.calls()] == [f"/v23.0/{post['post_id']}/comments"]


def test_a_messenger_reply_inside_24_hours_is_a_response(
    agent_anna: User, inbox: Inbox, standin: FacebookStandIn
) -> None:
    conversation = customer_messages(standin, inbox, at=time.time() - 23 * HOUR)

    reply = queue_reply(agent_anna, conversation, "Dat kan via Mijn account.")
    work_until(lambda: reloaded(reply).delivery_status != DeliveryStatus.QUEUED)

    (call,) = standin.calls()
    assert call.path == f"/v23.0/{standin.page_id}/messages"
    assert call.query == {"access_token": standin.access_token}
    assert call.body == {
        "recipient": {"id": PSID},
        "messaging_type": "RESPONSE",
        "message": {"text": "Dat kan via Mijn account."},
    }
    sent = reloaded(reply)
    assert sent.delivery_status == DeliveryStatus.DELIVERED
    assert sent.external_id == standin.sent[0]["id"]

    # The echo of our own message is the same message.
    messenger(standin, inbox, standin.echo(PSID, "Dat kan via Mijn account.", mid=sent.external_id))
    assert Message.objects.filter(direction=Direction.OUTBOUND).count() == 1


def test_between_24_hours_and_7_days_a_messenger_reply_carries_the_human_agent_tag(
    agent_anna: User, inbox: Inbox, standin: FacebookStandIn
) -> None:
    conversation = customer_messages(standin, inbox, at=time.time() - 30 * HOUR)

    reply = queue_reply(agent_anna, conversation, "Sorry voor de late reactie.")
    work_until(lambda: reloaded(reply).delivery_status != DeliveryStatus.QUEUED)

    (call,) = standin.calls()
    assert call.body == {
        "recipient": {"id": PSID},
        "messaging_type": "MESSAGE_TAG",
        "tag": "HUMAN_AGENT",
        "message": {"text": "Sorry voor de late reactie."},
    }
    assert call.status == 200
    assert reloaded(reply).delivery_status == DeliveryStatus.DELIVERED


def test_after_7_days_a_messenger_reply_is_refused_before_facebook_sees_it(
    agent_anna: User, inbox: Inbox, standin: FacebookStandIn
) -> None:
    conversation = customer_messages(standin, inbox, at=time.time() - 8 * 24 * HOUR)

    with translation.override("en"), pytest.raises(ActionError, match="more than 7 days ago"):
        queue_reply(agent_anna, conversation, "Nog een vraag?")

    assert standin.requests == []


def test_a_messenger_reply_whose_window_closes_while_queued_fails_with_the_reason(
    agent_anna: User, inbox: Inbox, standin: FacebookStandIn
) -> None:
    conversation = customer_messages(standin, inbox, at=time.time() - 2 * HOUR)
    reply = queue_reply(agent_anna, conversation, "Nog een vraag?")
    # The window closes while the reply waits in the outbox: the sender checks again.
    Message.objects.filter(conversation=conversation, direction=Direction.INBOUND).update(
        created_at=F("created_at") - timedelta(days=8)
    )

    work_until(lambda: reloaded(reply).delivery_status == DeliveryStatus.FAILED)

    error = reloaded(reply).delivery_error
    assert error == facebook.window_closed("Facebook")
    assert "7 days" in error and "Wait until the customer writes again" in error
    assert standin.requests == []


def test_facebooks_own_window_refusal_reads_clearly(
    agent_anna: User, inbox: Inbox, standin: FacebookStandIn
) -> None:
    conversation = customer_messages(standin, inbox)
    # Facebook's clock says the window closed, ours that it is still open.
    standin.last_inbound[PSID] -= 25 * HOUR

    reply = queue_reply(agent_anna, conversation, "Nog even dit")
    work_until(lambda: reloaded(reply).delivery_status == DeliveryStatus.FAILED)

    assert reloaded(reply).delivery_error == facebook.window_refused("Facebook")
    assert [c.status for c in standin.calls()] == [400]


def test_after_a_429_no_request_reaches_facebook_before_the_reset(
    agent_anna: User, inbox: Inbox, standin: FacebookStandIn, settings: Settings
) -> None:
    settings.WEBCARE_DELIVERY_BACKOFF_BASE = 0.2
    settings.WEBCARE_DELIVERY_BACKOFF_MAX = 0.5
    standin.fail_next(429, regain_minutes=2 / 60)
    reply = queue_reply(agent_anna, customer_messages(standin, inbox), "Komt eraan")

    work_until(lambda: reloaded(reply).delivery_status == DeliveryStatus.DELIVERED)

    calls = standin.calls()
    assert [c.status for c in calls] == [429, 200]
    assert calls[1].at >= calls[0].at + 2


def test_a_500_leaves_the_reply_for_a_person_and_never_sends_it_twice(
    agent_anna: User, inbox: Inbox, standin: FacebookStandIn, settings: Settings
) -> None:
    settings.WEBCARE_DELIVERY_BACKOFF_BASE = 0.2
    settings.WEBCARE_DELIVERY_BACKOFF_MAX = 1.0
    standin.fail_next(500)
    value = standin.comment(JANE, "Is P2 open?")
    comments(standin, inbox, value)
    reply = queue_reply(agent_anna, conversation_of(value["comment_id"]), "Ja")

    work_until(lambda: reloaded(reply).delivery_status == DeliveryStatus.UNCERTAIN)

    assert [c.status for c in standin.calls()] == [500]
    assert standin.sent == []


def test_a_rejected_access_token_fails_in_metas_words(
    agent_anna: User, inbox: Inbox, standin: FacebookStandIn
) -> None:
    conversation = customer_messages(standin, inbox)
    inbox.settings["access_token"] = "expired"
    inbox.save()

    reply = queue_reply(agent_anna, conversation, "Komt eraan")
    work_until(lambda: reloaded(reply).delivery_status == DeliveryStatus.FAILED)

    error = reloaded(reply).delivery_error
    assert "Invalid OAuth access token" in error and "code 190" in error


def test_a_messenger_reply_of_2000_characters_is_refused_before_facebook_sees_it(
    agent_anna: User, inbox: Inbox, standin: FacebookStandIn
) -> None:
    """Messenger takes "less than 2000 characters": 2000 is one too many."""
    conversation = customer_messages(standin, inbox)

    with pytest.raises(ActionError, match=r"1 characters too long for Facebook \(maximum 1999\)"):
        queue_reply(agent_anna, conversation, "a" * 2000)

    assert standin.requests == []


# Setting up ------------------------------------------------------------------------------------


def test_inbox_add_facebook_prints_the_webhook_url(db: None) -> None:
    out = StringIO()
    given = {
        "app_secret": "as",
        "verify_token": VERIFY_TOKEN,
        "page_id": "448242228374517",
        "access_token": "at",
        "api_base": "http://127.0.0.1:9/v23.0",
    }
    pairs = [arg for key, value in given.items() for arg in ("--set", f"{key}={value}")]
    call_command(
        "inbox",
        "add",
        "facebook",
        "Facebook Parkeergarage",
        "--account",
        "Parkeergarage Centraal",
        *pairs,
        stdout=out,
    )

    printed = json.loads(out.getvalue())
    inbox = Inbox.objects.get()
    assert printed["webhook_url"].endswith(f"/hooks/facebook/{inbox.token}")
    assert {key: inbox.setting(key) for key in inbox.settings} == given
    assert inbox.settings["access_token"] != "at"


def test_the_connection_check_names_the_page(inbox: Inbox, standin: FacebookStandIn) -> None:
    result = registry.check_connection(inbox)

    assert result == f"Connected to Facebook page {standin.page_name} (page {standin.page_id})."
    (call,) = standin.calls("GET")
    assert call.path == f"/v23.0/{standin.page_id}"
    assert call.query == {"fields": "name", "access_token": standin.access_token}


def test_the_connection_check_fails_on_a_wrong_token(
    inbox: Inbox, standin: FacebookStandIn
) -> None:
    inbox.settings["access_token"] = "wrong"
    inbox.save()

    with pytest.raises(ChannelError, match="code 190"):
        registry.check_connection(inbox)
