"""The X connector against the X stand-in over real HTTP (../shared/docs/platforms.md §1).

Webhook deliveries reach the real view through Django's test client, signed by the stand-in
with its own HMAC code; polling and replies are real HTTP calls to the stand-in.
"""

import json
import threading
import time
from collections.abc import Iterator
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from tests.channels import connected
from tests.delivery.conftest import queue_reply, reloaded, work_until
from webcare.accounts.models import Account, User
from webcare.channels import registry
from webcare.channels.adapters import x
from webcare.channels.models import ConnectorState, RawInboundEvent
from webcare.channels.x_polling import MENTIONS_CAP, poll_mentions
from webcare.conversations.models import Conversation, DeliveryStatus, Direction, Message
from webcare.core.errors import ActionError
from webcare.core.worker import poll_forever
from webcare.inboxes.models import Inbox
from webcare.replies import outbox
from webcare.sandbox.standins.x import XStandIn, running_x


@pytest.fixture
def standin() -> Iterator[XStandIn]:
    with running_x() as running:
        yield running


@pytest.fixture
def inbox(account: Account, standin: XStandIn) -> Inbox:
    return connected.x_inbox(account, standin)


def hook(inbox: Inbox) -> str:
    return f"/hooks/x/{inbox.token}"


def deliver(standin: XStandIn, inbox: Inbox, body: bytes, signature: str | None = "sign"):
    headers = {}
    if signature == "sign":
        headers["x-twitter-webhooks-signature"] = standin.signature(body)
    elif signature is not None:
        headers["x-twitter-webhooks-signature"] = signature
    return Client().post(hook(inbox), data=body, content_type="application/json", headers=headers)


# Signatures ------------------------------------------------------------------------------------


def test_crc_and_signature_match_the_documented_test_vectors() -> None:
    assert x.crc_response("test_consumer_secret", "challenge_string") == {
        "response_token": "sha256=583uAmerwtjpykYEAEm+CEIRm6dOywK4QKRr0ha/Pd4="
    }
    body = b'{"for_user_id":"2244994945","tweet_create_events":[]}'
    assert x.sign("test_consumer_secret", body) == (
        "sha256=Lss4bxd6weR99So6MmhnJFpNn8h7oFFhZH5um9Z5oF4="
    )


@pytest.mark.usefixtures("transactional_db")
def test_the_crc_challenge_is_answered_as_x_checks_it(
    inbox: Inbox, standin: XStandIn, live_server
) -> None:
    assert standin.crc_check(live_server.url + hook(inbox))


def test_a_crc_without_token_is_400_and_an_unknown_hook_404(inbox: Inbox) -> None:
    assert Client().get(hook(inbox)).status_code == 400
    assert Client().get("/hooks/x/nope", {"crc_token": "a"}).status_code == 404


@pytest.mark.parametrize("signature", [None, "sha256=forged", "sha256="])
def test_a_forged_or_missing_signature_is_401_and_stores_nothing(
    inbox: Inbox, standin: XStandIn, signature: str | None
) -> None:
    post = standin.mention("111", "@ParkeerCentraal slagboom dicht")
    response = deliver(standin, inbox, standin.activity_body(post), signature=signature)

    assert response.status_code == 401
    assert "x-twitter-webhooks-signature" in response.json()["error"]
    assert RawInboundEvent.objects.count() == 0
    assert Message.objects.count() == 0


def test_a_body_signed_with_another_secret_is_refused(inbox: Inbox, standin: XStandIn) -> None:
    post = standin.mention("111", "@ParkeerCentraal hallo")
    body = standin.activity_body(post)
    standin.consumer_secret = "someone-elses-secret"

    assert deliver(standin, inbox, body).status_code == 401
    assert Message.objects.count() == 0


# Inbound by webhook ----------------------------------------------------------------------------


def test_an_activity_mention_is_stored_once_however_often_it_is_delivered(
    inbox: Inbox, standin: XStandIn
) -> None:
    standin.user("111", "boze_bas", "Bas", followers=12000)
    post = standin.mention("111", "@ParkeerCentraal de slagboom van P2 gaat niet open!")
    body = standin.activity_body(post)

    first = deliver(standin, inbox, body)
    again = deliver(standin, inbox, body)

    assert first.json() == {"stored": 1, "duplicates": 0, "failed": []}
    assert again.json() == {"stored": 0, "duplicates": 1, "failed": []}
    message = Message.objects.get()
    assert message.external_id == post["id"]
    assert message.text == post["text"]
    assert message.public and message.direction == Direction.INBOUND
    identity = message.conversation.contact.identities.get()
    assert (identity.handle, identity.external_id) == ("boze_bas", "111")
    assert identity.follower_count == 12000


def test_account_activity_tweets_thread_under_the_brands_reply(
    inbox: Inbox, standin: XStandIn
) -> None:
    first = standin.mention("111", "@ParkeerCentraal kaart geweigerd bij uitrit")
    deliver(standin, inbox, standin.account_activity_body(first))
    # The brand answers from X's own app; its post arrives by webhook, with the follow-up.
    own = standin.brand_reply("@klant111 Welke garage?", in_reply_to=first["id"])
    follow_up = standin.mention("111", "@ParkeerCentraal Centraal, P2", in_reply_to=own["id"])

    deliver(standin, inbox, standin.account_activity_body(own, follow_up))

    conversation = Conversation.objects.get()
    texts = list(
        conversation.messages.order_by("created_at", "pk").values_list("direction", "text")
    )
    assert texts == [
        (Direction.INBOUND, first["text"]),
        (Direction.OUTBOUND, "@klant111 Welke garage?"),
        (Direction.INBOUND, "@ParkeerCentraal Centraal, P2"),
    ]


def test_a_dm_opens_a_private_conversation_and_the_brands_echo_is_its_reply(
    inbox: Inbox, standin: XStandIn
) -> None:
    customer = standin.dm_from("222", "Mijn kenteken is 12-ABC-3, kunt u kijken?")
    deliver(standin, inbox, standin.dm_body(customer))
    echo = {
        "type": "message_create",
        "id": "1999",
        "created_timestamp": str(int(time.time() * 1000) + 1000),
        "message_create": {
            "target": {"recipient_id": "222"},
            "sender_id": standin.user_id,
            "message_data": {"text": "We kijken het na."},
        },
    }
    deliver(standin, inbox, standin.dm_body(echo))

    conversation = Conversation.objects.get()
    assert conversation.kind == "direct_message"
    rows = list(conversation.messages.order_by("created_at").values_list("direction", "public"))
    assert rows == [(Direction.INBOUND, False), (Direction.OUTBOUND, False)]
    assert (
        conversation.messages.get(direction=Direction.INBOUND).external_id == f"dm:{customer['id']}"
    )


def test_events_that_are_not_messages_are_kept_but_make_none(
    inbox: Inbox, standin: XStandIn
) -> None:
    body = json.dumps({"for_user_id": standin.user_id, "favorite_events": [{"id": "f1"}]}).encode()

    response = deliver(standin, inbox, body)

    assert response.status_code == 200
    event = RawInboundEvent.objects.get()
    assert event.state == "processed" and json.loads(event.payload)["kind"] == "other"
    assert Message.objects.count() == 0


def test_a_delivery_that_is_not_json_is_400_naming_the_body(
    inbox: Inbox, standin: XStandIn
) -> None:
    response = deliver(standin, inbox, b"not json")

    assert response.status_code == 400
    assert response.json()["field"] == "body"


# Inbound by polling ----------------------------------------------------------------------------


def test_polling_reads_new_mentions_and_resumes_after_the_newest(
    inbox: Inbox, standin: XStandIn
) -> None:
    posts = [standin.mention(str(300 + n), f"@ParkeerCentraal vraag {n}") for n in range(3)]

    first = poll_mentions(inbox)
    standin.mention("399", "@ParkeerCentraal nog een vraag")
    second = poll_mentions(inbox)
    third = poll_mentions(inbox)

    assert (first.stored, second.stored, third.stored) == (3, 1, 0)
    assert Message.objects.count() == 4
    state = ConnectorState.objects.get(inbox=inbox)
    assert state.cursor["since_id"] == max(standin.mention_ids, key=int)
    calls = standin.calls("/mentions")
    assert "since_id" not in calls[0].query and calls[0].query["start_time"]
    assert calls[1].query["since_id"] == posts[-1]["id"]
    assert calls[0].query["tweet.fields"] == x.POST_FIELDS
    assert calls[0].query["expansions"] == "author_id"


def test_the_fields_parameter_can_use_the_2026_spelling(inbox: Inbox, standin: XStandIn) -> None:
    inbox.settings["fields_param"] = "post.fields"
    inbox.save()
    standin.mention("301", "@ParkeerCentraal hoi")

    assert poll_mentions(inbox).stored == 1
    query = standin.calls("/mentions")[0].query
    assert query["post.fields"] == x.POST_FIELDS and "tweet.fields" not in query


def test_a_mention_seen_by_webhook_and_by_polling_is_one_message(
    inbox: Inbox, standin: XStandIn
) -> None:
    post = standin.mention("111", "@ParkeerCentraal beide kanten")
    deliver(standin, inbox, standin.activity_body(post))

    result = poll_mentions(inbox)

    assert (result.fetched, result.stored) == (1, 0)
    assert Message.objects.filter(external_id=post["id"]).count() == 1


@pytest.mark.slow
def test_two_thousand_mentions_during_downtime_are_each_fetched_exactly_once(
    inbox: Inbox, standin: XStandIn
) -> None:
    standin.mention("100", "@ParkeerCentraal eerste")
    assert poll_mentions(inbox).stored == 1
    # The poller is down while 2,000 customers post, more than the timeline's 800.
    for n in range(2000):
        standin.mention(str(1000 + n % 50), f"@ParkeerCentraal melding {n}")

    result = poll_mentions(inbox)
    again = poll_mentions(inbox)

    assert result.error == ""
    assert (result.fetched, result.stored) == (2000, 2000)
    assert result.from_search == 2000 - MENTIONS_CAP
    assert again.stored == 0
    ids = list(Message.objects.values_list("external_id", flat=True))
    assert len(ids) == len(set(ids)) == 2001
    assert set(ids) == set(standin.mention_ids)


def test_after_a_429_no_poll_reaches_x_before_the_reset(inbox: Inbox, standin: XStandIn) -> None:
    standin.mention("301", "@ParkeerCentraal hoi")
    reset = standin.exhaust("mentions", reset_in=3)

    refused = poll_mentions(inbox)
    calls_after_429 = len(standin.calls("/mentions"))
    held_back = poll_mentions(inbox)

    assert "rate limiting" in refused.error
    state = ConnectorState.objects.get(inbox=inbox)
    assert state.rate_limited_until.timestamp() >= reset
    assert held_back.skipped.startswith("rate limited until")
    assert len(standin.calls("/mentions")) == calls_after_429
    while time.time() < state.rate_limited_until.timestamp():
        time.sleep(0.2)
    assert poll_mentions(inbox).stored == 1
    first_after = standin.calls("/mentions")[calls_after_429]
    assert first_after.at >= reset


def test_a_poll_error_is_shown_on_the_connector_and_nothing_is_skipped(
    inbox: Inbox, standin: XStandIn
) -> None:
    standin.mention("301", "@ParkeerCentraal een")
    standin.fail_next("mentions", 503)

    failed = poll_mentions(inbox)
    state = ConnectorState.objects.get(inbox=inbox)

    assert "503" in failed.error and "503" in state.last_error
    assert state.cursor == {}
    assert poll_mentions(inbox).stored == 1
    assert ConnectorState.objects.get(inbox=inbox).last_error == ""


# Replies ---------------------------------------------------------------------------------------


def customer_mention(
    standin: XStandIn, inbox: Inbox, text: str = "@ParkeerCentraal help"
) -> Conversation:
    post = standin.mention("111", text)
    deliver(standin, inbox, standin.activity_body(post))
    return Conversation.objects.get(messages__external_id=post["id"])


def test_a_public_reply_is_exactly_the_documented_request(
    agent_anna: User, inbox: Inbox, standin: XStandIn
) -> None:
    conversation = customer_mention(standin, inbox)
    mention = conversation.messages.get()

    reply = queue_reply(agent_anna, conversation, "@klant111 Sorry! We openen hem op afstand.")
    work_until(lambda: reloaded(reply).delivery_status == DeliveryStatus.DELIVERED)

    (call,) = standin.calls("/2/tweets", method="POST")
    assert call.body == {
        "text": "@klant111 Sorry! We openen hem op afstand.",
        "reply": {"in_reply_to_tweet_id": mention.external_id},
    }
    assert call.status == 201
    assert reloaded(reply).external_id == standin.brand_post_ids[0]


def test_a_dm_reply_goes_to_the_customers_conversation(
    agent_anna: User, inbox: Inbox, standin: XStandIn
) -> None:
    deliver(standin, inbox, standin.dm_body(standin.dm_from("222", "Hallo?")))
    conversation = Conversation.objects.get()

    reply = queue_reply(agent_anna, conversation, "Goedemiddag, waarmee kunnen we helpen?")
    work_until(lambda: reloaded(reply).delivery_status == DeliveryStatus.DELIVERED)

    (call,) = standin.calls("/2/dm_conversations/with/222/messages", method="POST")
    assert call.body == {"text": "Goedemiddag, waarmee kunnen we helpen?"}
    assert reloaded(reply).external_id == f"dm:{standin.sent_dms()[0]['id']}"


def test_after_a_429_no_reply_reaches_x_before_the_reset(
    agent_anna: User, inbox: Inbox, standin: XStandIn
) -> None:
    reset = standin.exhaust("post_tweet", reset_in=2)
    reply = queue_reply(agent_anna, customer_mention(standin, inbox), "@klant111 Komt eraan")

    work_until(lambda: reloaded(reply).delivery_status == DeliveryStatus.DELIVERED)

    calls = standin.calls("/2/tweets", method="POST")
    assert [c.status for c in calls] == [429, 201]
    assert calls[1].at >= reset


def test_an_interrupted_reply_is_found_on_x_and_not_posted_again(
    agent_anna: User, inbox: Inbox, standin: XStandIn
) -> None:
    reply = queue_reply(agent_anna, customer_mention(standin, inbox), "@klant111 Eén keer")
    claim = outbox.claim_next()
    # The worker posts, X takes it, and the worker dies before recording it.
    registry.sender_for(inbox).send(inbox, claim.message)
    Message.objects.filter(pk=reply.pk).update(next_attempt_at=timezone.now())

    work_until(lambda: reloaded(reply).delivery_status == DeliveryStatus.DELIVERED)

    assert len(standin.replies()) == 1
    assert reloaded(reply).external_id == standin.brand_post_ids[0]
    assert len(standin.calls("/2/tweets", method="POST")) == 1


def test_a_refusal_is_shown_in_xs_words(agent_anna: User, inbox: Inbox, standin: XStandIn) -> None:
    conversation = customer_mention(standin, inbox)
    # The post was deleted on X in the meantime.
    del standin.posts[conversation.messages.get().external_id]
    reply = queue_reply(agent_anna, conversation, "@klant111 Hallo")

    work_until(lambda: reloaded(reply).delivery_status == DeliveryStatus.FAILED)

    assert "does not exist" in reloaded(reply).delivery_error


# Setting up ------------------------------------------------------------------------------------


def test_inbox_add_x_prints_the_webhook_url(db: None) -> None:
    out = StringIO()
    call_command(
        "inbox",
        "add",
        "x",
        "@ParkeerCentraal",
        "--account",
        "Parkeergarage Centraal",
        "--handle",
        "ParkeerCentraal",
        "--set",
        "consumer_secret=cs",
        "--set",
        "user_id=2244994945",
        "--set",
        "bearer_token=bt",
        "--set",
        "api_base=http://127.0.0.1:9",
        stdout=out,
    )

    printed = json.loads(out.getvalue())
    inbox = Inbox.objects.get()
    assert printed["webhook_url"].endswith(f"/hooks/x/{inbox.token}")
    assert {key: inbox.setting(key) for key in inbox.settings} == {
        "consumer_secret": "cs",
        "user_id": "2244994945",
        "bearer_token": "bt",
        "api_base": "http://127.0.0.1:9",
    }
    # Credentials are stored encrypted and printed masked.
    assert inbox.settings["consumer_secret"].startswith("enc:v1:")
    assert inbox.settings["bearer_token"].startswith("enc:v1:")
    assert inbox.settings["user_id"] == "2244994945"
    assert printed["settings"]["bearer_token"] == "…"
    assert "bt" not in json.dumps(printed["settings"])


def test_an_unknown_x_setting_is_refused_naming_the_known_ones(db: None) -> None:
    with pytest.raises(Exception, match="consumer_secret"):
        call_command("inbox", "add", "x", "@A", "--account", "A", "--set", "secret=1")


def test_a_reply_over_280_is_refused_before_x_sees_it(
    agent_anna: User, inbox: Inbox, standin: XStandIn
) -> None:
    conversation = customer_mention(standin, inbox)

    with pytest.raises(ActionError, match=r"1 weighted too long for X .* private message"):
        queue_reply(agent_anna, conversation, "a" * 281)

    assert standin.calls("/2/tweets", method="POST") == []
    assert not conversation.messages.filter(direction=Direction.OUTBOUND).exists()


@pytest.mark.usefixtures("transactional_db")
def test_the_workers_poller_brings_mentions_in(inbox: Inbox, standin: XStandIn) -> None:
    stop = threading.Event()
    poller = threading.Thread(target=poll_forever, args=(stop, 0.1), daemon=True)
    poller.start()
    try:
        post = standin.mention("111", "@ParkeerCentraal via de poller")
        deadline = time.monotonic() + 30
        while not Message.objects.filter(external_id=post["id"]).exists():
            assert time.monotonic() < deadline, "the poller did not bring the mention in"
            time.sleep(0.1)
    finally:
        stop.set()
        poller.join(timeout=10)
