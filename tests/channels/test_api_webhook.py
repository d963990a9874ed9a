"""The generic API webhook: signatures, validation, dedupe and storage."""

import json
from datetime import timedelta

from django.utils import timezone

from tests.conftest import WebhookClient, message_payload
from tests.factories import RawInboundEventFactory
from webcare.channels.actions import retry_pending
from webcare.channels.models import EventState, RawInboundEvent
from webcare.conversations.models import Conversation, Message


def test_signed_message_is_stored_and_threaded(webhook: WebhookClient) -> None:
    response = webhook.post(message_payload("m1"))

    assert response.status_code == 200
    assert response.json()["status"] == "processed"
    event = RawInboundEvent.objects.get()
    assert event.state == EventState.PROCESSED
    assert json.loads(event.payload)["id"] == "m1"
    message = Message.objects.get(external_id="m1")
    assert message.raw_event == event
    assert message.conversation.waiting_since is not None


def test_missing_signature_is_refused_and_nothing_stored(webhook: WebhookClient) -> None:
    response = webhook.client.post(
        f"/hooks/api/{webhook.inbox.token}",
        data=json.dumps(message_payload("m1")),
        content_type="application/json",
    )

    assert response.status_code == 401
    assert "X-Webcare-Signature" in response.json()["error"]
    assert RawInboundEvent.objects.count() == 0


def test_wrong_secret_is_refused(webhook: WebhookClient) -> None:
    response = webhook.post(message_payload("m1"), secret="not-the-secret")

    assert response.status_code == 401
    assert RawInboundEvent.objects.count() == 0


def test_unknown_token_is_404(webhook: WebhookClient) -> None:
    response = webhook.client.post("/hooks/api/nope", data="{}", content_type="application/json")

    assert response.status_code == 404


def test_malformed_json_names_the_body(webhook: WebhookClient) -> None:
    response = webhook.post(None, raw=b"{not json")

    assert response.status_code == 400
    assert response.json()["field"] == "body"


def test_missing_author_id_is_named(webhook: WebhookClient) -> None:
    payload = message_payload("m1")
    del payload["author"]["id"]

    response = webhook.post(payload)

    assert response.status_code == 400
    assert response.json()["field"] == "author.id"
    assert "author.id" in response.json()["error"]


def test_missing_text_is_named(webhook: WebhookClient) -> None:
    payload = message_payload("m1")
    del payload["text"]

    response = webhook.post(payload)

    assert response.status_code == 400
    assert response.json()["field"] == "text"


def test_naive_created_at_is_refused(webhook: WebhookClient) -> None:
    response = webhook.post(message_payload("m1", created_at="2026-11-23T09:00:00"))

    assert response.status_code == 400
    assert response.json()["field"] == "created_at"


def test_redelivery_is_stored_once(webhook: WebhookClient) -> None:
    first = webhook.post(message_payload("m1"))
    second = webhook.post(message_payload("m1"))

    assert first.json()["status"] == "processed"
    assert second.json()["status"] == "duplicate"
    assert RawInboundEvent.objects.count() == 1
    assert Message.objects.filter(external_id="m1").count() == 1


def test_reply_before_parent_is_attached_when_parent_arrives(webhook: WebhookClient) -> None:
    webhook.post(message_payload("child", "Nog steeds dicht!", in_reply_to="root"))
    assert Conversation.objects.filter(merged_into__isnull=True).count() == 1

    webhook.post(message_payload("root", "De slagboom gaat niet open"))

    live = Conversation.objects.filter(merged_into__isnull=True)
    assert live.count() == 1
    child = Message.objects.get(external_id="child")
    root = Message.objects.get(external_id="root")
    assert child.in_reply_to == root
    assert child.conversation == root.conversation == live.get()
    assert live.get().message_count == 2


def test_sweep_processes_only_events_a_crash_left_pending(webhook: WebhookClient) -> None:
    fresh = RawInboundEventFactory(inbox=webhook.inbox, payload=json.dumps(message_payload("new")))
    stale = RawInboundEventFactory(inbox=webhook.inbox, payload=json.dumps(message_payload("old")))
    RawInboundEvent.objects.filter(pk=stale.pk).update(
        received_at=timezone.now() - timedelta(minutes=5)
    )

    assert retry_pending() == 1

    fresh.refresh_from_db()
    stale.refresh_from_db()
    assert (fresh.state, stale.state) == (EventState.PENDING, EventState.PROCESSED)
    assert Message.objects.filter(external_id="old").exists()
