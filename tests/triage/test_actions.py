"""TriageResult is stored by the action, and by the worker's batch for new messages."""

from datetime import timedelta

import pytest

from tests.factories import ContactIdentityFactory, ConversationFactory, MessageFactory
from webcare.conversations.models import Conversation
from webcare.triage import pipeline, selectors
from webcare.triage.actions import triage_message, triage_pending
from webcare.triage.models import TriageResult

pytestmark = pytest.mark.django_db


def test_the_action_stores_the_triage_with_the_model_version() -> None:
    message = MessageFactory(
        text="@ParkeerCentraal de slagboom is kapot! Mijn kenteken is 12-ABC-3",
        sender_identity__follower_count=12_000,
    )

    result = triage_message(message)

    stored = TriageResult.objects.get(message=message)
    assert stored == result
    assert stored.language == "nl"
    assert stored.intent == "complaint"
    assert stored.needs_reply is True
    assert stored.sentiment == "negative"
    assert stored.pii == [{"type": "plate", "start": 56, "end": 64}]
    assert stored.has_pii is True
    assert "12k followers" in stored.reasons
    assert "personal data in public" in stored.reasons
    assert stored.model_version == pipeline.model_version()


def test_triaging_again_replaces_the_result() -> None:
    message = MessageFactory(text="Hoe laat sluit de garage?")
    triage_message(message)
    message.text = "Bedankt, top geregeld!"
    triage_message(message)
    assert TriageResult.objects.filter(message=message).count() == 1
    assert TriageResult.objects.get(message=message).intent == "praise"


def test_our_own_messages_are_not_triaged() -> None:
    conversation = ConversationFactory()
    note = MessageFactory(
        conversation=conversation,
        direction="outbound",
        kind="note",
        public=False,
        reply_state="",
        sender_identity=None,
        external_id=None,
    )
    assert triage_message(note) is None
    assert not TriageResult.objects.exists()


def test_the_worker_triages_every_new_customer_message_once() -> None:
    refund = MessageFactory(
        text="Where is my refund? Still waiting after 3 weeks",
        sender_identity__follower_count=25_000,
    )
    question = MessageFactory(text="Hoe laat sluit de garage vanavond?", public=False)
    note = MessageFactory(
        conversation=question.conversation,
        direction="outbound",
        kind="note",
        public=False,
        reply_state="",
        sender_identity=None,
        external_id=None,
    )

    assert triage_pending() == 2
    assert triage_pending() == 0

    stored = {r.message_id: r for r in TriageResult.objects.all()}
    assert set(stored) == {refund.pk, question.pk}
    assert stored[refund.pk].intent == "complaint"
    assert "25k followers" in stored[refund.pk].reasons
    assert "public" in stored[refund.pk].reasons
    assert "public" not in stored[question.pk].reasons
    assert (
        stored[refund.pk].priority
        == pipeline.triage(refund.text, refund.inbox.kind, public=True, followers=25_000).priority
    )
    note.refresh_from_db()
    assert note.triaged_at is None
    refund.refresh_from_db()
    assert refund.triaged_at is not None


def test_the_conversation_carries_its_waiting_messages_top_priority() -> None:
    message = MessageFactory(text="The barrier is broken, this is ridiculous, refund me now!")

    triage_pending()

    conversation = Conversation.objects.get(pk=message.conversation_id)
    assert conversation.triage_priority == TriageResult.objects.get(message=message).priority
    assert conversation.triage_priority > 0


def test_priority_now_adds_the_waiting_time() -> None:
    identity = ContactIdentityFactory(follower_count=None)
    message = MessageFactory(text="Why is the barrier not opening?", sender_identity=identity)
    result = triage_message(message)
    later = message.created_at + timedelta(minutes=30)
    points, reasons = selectors.priority_now(result, message.created_at, now=later)
    assert reasons[-1] == "waiting 30 min"
    assert points == result.priority + 5


def test_conversations_are_ordered_by_their_waiting_priority() -> None:
    calm = MessageFactory(text="Hoe laat gaat de garage open?")
    angry = MessageFactory(text="The barrier is broken, this is ridiculous, refund me now!")
    triage_message(calm)
    triage_message(angry)
    ordered = list(
        Conversation.objects.filter(pk__in=[calm.conversation_id, angry.conversation_id])
        .order_by("-triage_priority")
        .values_list("pk", flat=True)
    )
    assert ordered == [angry.conversation_id, calm.conversation_id]
