"""The reply outbox against a stand-in integrator over real HTTP: one send per reply, retries
with backoff, rate-limit resets honoured, permanent refusals shown, and no second copy after a
send that was interrupted."""

import time
import uuid
from datetime import timedelta

from django.utils import timezone
from pytest_django import Settings

from tests.delivery.conftest import customer_on, queue_reply, reloaded, work_until
from webcare.accounts.models import User
from webcare.channels import registry
from webcare.conversations.models import Conversation, DeliveryStatus, Message
from webcare.inboxes.models import Inbox
from webcare.replies import outbox
from webcare.replies.delivery import deliver, deliver_next
from webcare.sandbox.standins.callback import CallbackStandIn


def delivered(message: Message) -> bool:
    return reloaded(message).delivery_status == DeliveryStatus.DELIVERED


def waiting(conversation: Conversation) -> bool:
    return Conversation.objects.get(pk=conversation.pk).waiting_since is not None


def test_reply_is_queued_with_its_key_and_reaches_the_platform_once(
    agent_anna: User, callback_inbox: Inbox, stand_in: CallbackStandIn
) -> None:
    reply = queue_reply(agent_anna, customer_on(callback_inbox, "m1"), "We kijken ernaar.")

    assert reply.delivery_status == DeliveryStatus.QUEUED
    assert isinstance(reply.idempotency_key, uuid.UUID)
    work_until(lambda: delivered(reply))

    key = str(reply.idempotency_key)
    assert stand_in.posts == {key: 1}
    assert stand_in.accepted[key].body["text"] == "We kijken ernaar."
    assert stand_in.accepted[key].body["id"] == f"webcare-{reply.pk}"
    sent = reloaded(reply)
    assert sent.external_id == "standin-1"
    assert sent.delivery_attempts == 1
    assert sent.next_attempt_at is None
    assert sent.delivery_error == ""


def test_5xx_is_retried_with_the_same_key_until_accepted(
    agent_anna: User,
    callback_inbox: Inbox,
    stand_in: CallbackStandIn,
    fast_retries: Settings,
) -> None:
    stand_in.then("500", 2)
    reply = queue_reply(agent_anna, customer_on(callback_inbox, "m2"), "Excuses!")

    assert deliver_next()
    after_first = reloaded(reply)
    work_until(lambda: delivered(reply))

    assert after_first.delivery_status == DeliveryStatus.QUEUED
    assert after_first.delivery_attempts == 1
    assert after_first.delivery_error == f"{stand_in.url} answered 500 Internal Server Error"
    assert after_first.next_attempt_at > after_first.received_at
    key = str(reply.idempotency_key)
    assert [(a.key, a.answer) for a in stand_in.post_arrivals()] == [
        (key, 500),
        (key, 500),
        (key, 200),
    ]
    assert reloaded(reply).delivery_attempts == 3
    assert reloaded(reply).delivery_error == ""


def test_after_a_429_nothing_reaches_the_platform_before_its_retry_after(
    agent_anna: User,
    callback_inbox: Inbox,
    stand_in: CallbackStandIn,
    fast_retries: Settings,
) -> None:
    stand_in.then("429", value=2)
    first = queue_reply(agent_anna, customer_on(callback_inbox, "m3"), "Eerste")
    second = queue_reply(agent_anna, customer_on(callback_inbox, "m4"), "Tweede")

    assert deliver_next()
    refused_at = stand_in.post_arrivals()[0].at
    work_until(lambda: delivered(first) and delivered(second))

    later = stand_in.post_arrivals()[1:]
    assert [a.answer for a in later] == [200, 200]
    assert all(a.at >= refused_at + 2 for a in later)
    # A rate limit that says when to come back is not a failed attempt.
    assert reloaded(first).delivery_attempts == 1


def test_after_a_429_nothing_reaches_the_platform_before_x_rate_limit_reset(
    agent_anna: User,
    callback_inbox: Inbox,
    stand_in: CallbackStandIn,
    fast_retries: Settings,
) -> None:
    reset = int(time.time()) + 3
    stand_in.reset_style = "x-rate-limit-reset"
    stand_in.then("429", value=reset)
    reply = queue_reply(agent_anna, customer_on(callback_inbox, "m5"), "Hallo")

    assert deliver_next()
    scheduled = reloaded(reply)
    work_until(lambda: delivered(reply))

    assert scheduled.delivery_status == DeliveryStatus.QUEUED
    assert scheduled.next_attempt_at.timestamp() >= reset
    assert "rate limiting" in scheduled.delivery_error
    (refused, accepted) = stand_in.post_arrivals()
    assert refused.answer == 429
    assert accepted.answer == 200
    assert accepted.at >= reset


def test_a_429_holds_back_the_inboxs_other_replies_of_the_same_kind(
    agent_anna: User, callback_inbox: Inbox, stand_in: CallbackStandIn
) -> None:
    stand_in.then("429", value=60)
    first = queue_reply(agent_anna, customer_on(callback_inbox, "m6"), "Eerste")
    public_too = queue_reply(agent_anna, customer_on(callback_inbox, "m7"), "Tweede")
    private = queue_reply(
        agent_anna, customer_on(callback_inbox, "m8", public=False), "Privé bericht"
    )

    assert deliver_next()
    reset = reloaded(first).next_attempt_at
    # The private one goes; the public ones wait for the reset.
    assert deliver_next()
    assert not deliver_next()

    assert reloaded(public_too).next_attempt_at == reset
    assert reloaded(public_too).delivery_status == DeliveryStatus.QUEUED
    assert reloaded(private).delivery_status == DeliveryStatus.DELIVERED
    assert len(stand_in.post_arrivals()) == 2


def test_a_permanent_refusal_fails_at_once_with_the_platforms_words(
    agent_anna: User, callback_inbox: Inbox, stand_in: CallbackStandIn
) -> None:
    stand_in.secret = "not-the-inbox-secret"
    conversation = customer_on(callback_inbox, "m9")
    reply = queue_reply(agent_anna, conversation, "Dit komt niet aan")
    assert not waiting(conversation)

    assert deliver_next()

    failed = reloaded(reply)
    assert failed.delivery_status == DeliveryStatus.FAILED
    assert failed.delivery_error == (
        f'{stand_in.url} refused the reply: 401 Unauthorized {{"error": "bad signature"}}'
    )
    assert failed.next_attempt_at is None
    assert len(stand_in.post_arrivals()) == 1
    assert waiting(conversation)
    assert not deliver_next()


def test_temporary_failures_give_up_after_the_last_attempt_and_say_so(
    agent_anna: User,
    callback_inbox: Inbox,
    stand_in: CallbackStandIn,
    fast_retries: Settings,
) -> None:
    fast_retries.WEBCARE_DELIVERY_MAX_ATTEMPTS = 3
    stand_in.then("500", 5)
    conversation = customer_on(callback_inbox, "m10")
    reply = queue_reply(agent_anna, conversation, "Nog een poging")

    work_until(lambda: reloaded(reply).delivery_status == DeliveryStatus.FAILED)

    failed = reloaded(reply)
    assert failed.delivery_error == (
        f"{stand_in.url} answered 500 Internal Server Error. Gave up after 3 attempts."
    )
    assert len(stand_in.post_arrivals()) == 3
    assert waiting(conversation)


def test_a_connection_dropped_after_the_platform_accepted_is_resent_under_the_same_key(
    agent_anna: User,
    callback_inbox: Inbox,
    stand_in: CallbackStandIn,
    fast_retries: Settings,
) -> None:
    stand_in.then("drop")
    reply = queue_reply(agent_anna, customer_on(callback_inbox, "m11"), "Bijna kwijt")

    assert deliver_next()
    after_drop = reloaded(reply)
    work_until(lambda: delivered(reply))

    assert after_drop.delivery_status == DeliveryStatus.QUEUED
    assert "RemoteProtocolError" in after_drop.delivery_error
    key = str(reply.idempotency_key)
    assert stand_in.posts == {key: 2}
    assert list(stand_in.accepted) == [key]
    assert reloaded(reply).external_id == stand_in.accepted[key].external_id


def expire_lease(message: Message) -> None:
    """What a crash leaves behind, seen once its lease has run out."""
    Message.objects.filter(pk=message.pk).update(
        next_attempt_at=timezone.now() - timedelta(seconds=1)
    )


def test_a_send_interrupted_after_the_platform_took_it_is_not_posted_twice(
    agent_anna: User, callback_inbox: Inbox, stand_in: CallbackStandIn
) -> None:
    reply = queue_reply(agent_anna, customer_on(callback_inbox, "m12"), "Eén keer")
    claim = outbox.claim_next()
    # The worker posts, the integrator stores it, and the worker dies before recording it.
    callback_inbox_sender_posts(claim.message)
    expire_lease(reply)

    assert deliver_next()

    recovered = reloaded(reply)
    assert recovered.delivery_status == DeliveryStatus.DELIVERED
    assert recovered.delivery_attempts == 2
    key = str(reply.idempotency_key)
    assert list(stand_in.accepted) == [key]
    assert recovered.external_id == stand_in.accepted[key].external_id


def callback_inbox_sender_posts(message: Message) -> None:
    """The platform call of a claimed reply, without its outcome being recorded."""
    registry.sender_for(message.inbox).send(message.inbox, message)


def test_an_interrupted_send_is_looked_up_on_a_platform_that_offers_it(
    agent_anna: User, lookup_inbox: Inbox, stand_in: CallbackStandIn
) -> None:
    found = queue_reply(agent_anna, customer_on(lookup_inbox, "w1"), "Al geplaatst")
    missing = queue_reply(agent_anna, customer_on(lookup_inbox, "w2"), "Nooit aangekomen")
    posted = outbox.claim(found.pk)
    callback_inbox_sender_posts(posted.message)
    outbox.claim(missing.pk)
    expire_lease(found)
    expire_lease(missing)

    work_until(lambda: delivered(found) and delivered(missing))

    assert stand_in.posts == {str(found.idempotency_key): 1, str(missing.idempotency_key): 1}
    assert reloaded(found).external_id == "standin-1"
    assert reloaded(missing).external_id == "standin-2"
    assert [a.method for a in stand_in.arrivals] == ["POST", "GET", "GET", "POST"]


def test_an_interrupted_send_on_a_channel_that_cannot_tell_is_parked_for_a_person(
    agent_anna: User, x_inbox: Inbox
) -> None:
    conversation = customer_on(x_inbox, "1860000000000000001")
    reply = queue_reply(agent_anna, conversation, "Misschien al geplaatst")
    assert outbox.claim_next() is not None  # ...and the worker is killed here.
    expire_lease(reply)

    assert deliver_next()

    parked = reloaded(reply)
    assert parked.delivery_status == DeliveryStatus.UNCERTAIN
    assert parked.delivery_error == (
        "Sending was interrupted, and this channel cannot be asked whether the reply arrived."
    )
    assert parked.next_attempt_at is None
    assert parked.external_id is None
    assert waiting(conversation)
    assert not deliver_next()


def test_a_claim_that_lost_its_lease_cannot_overwrite_the_newer_outcome(
    agent_anna: User, callback_inbox: Inbox, stand_in: CallbackStandIn
) -> None:
    reply = queue_reply(agent_anna, customer_on(callback_inbox, "m13"), "Twee werkers")
    stale = outbox.claim_next()
    expire_lease(reply)
    assert deliver_next()  # the second worker takes it over and delivers it

    deliver(stale)  # the first worker wakes up late and finishes its send

    final = reloaded(reply)
    assert final.delivery_status == DeliveryStatus.DELIVERED
    assert final.delivery_attempts == 2
    assert list(stand_in.accepted) == [str(reply.idempotency_key)]


def test_claims_never_hand_one_reply_to_two_workers(
    agent_anna: User, callback_inbox: Inbox
) -> None:
    reply = queue_reply(agent_anna, customer_on(callback_inbox, "m14"), "Eén werker")

    first = outbox.claim_next()
    second = outbox.claim_next()

    assert first is not None
    assert first.message.pk == reply.pk
    assert not first.interrupted
    assert second is None
    assert outbox.claim(reply.pk) is None
