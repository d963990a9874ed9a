"""The one send path: a reply is written as queued, then delivered by the outbox worker.

Every inbox kind sends through `channels.registry.sender_for`, so the UI, the API and later
automations cannot take different routes to the customer.

The collision guard lives here too: a reply names the newest message its author saw, and is
refused when a colleague's reply came after it. The check and the insert run under a lock on
the conversation row (on SQLite, the write lock BEGIN IMMEDIATE takes), so of many agents
answering the same customer at the same moment exactly one gets through; the others see the
reply that won and can still send theirs, explicitly, with `send_anyway`.
"""

import logging
import uuid
from typing import Any

from django.db import transaction
from django.utils import timezone

from webcare.accounts.models import User
from webcare.channels import limits, whatsapp_reads, windows
from webcare.conversations import listening
from webcare.conversations.actions import record_activity, refresh_conversation_state
from webcare.conversations.live import conversation_changed
from webcare.conversations.models import (
    Conversation,
    DeliveryStatus,
    Direction,
    Message,
    MessageKind,
)
from webcare.core.errors import ActionError
from webcare.replies import outbox, private_replies
from webcare.replies.drafts import discard_draft
from webcare.replies.tasks import deliver_reply_task

logger = logging.getLogger(__name__)


def _latest_customer_message(conversation: Conversation) -> Message | None:
    return (
        Message.objects.filter(
            conversation=conversation, direction=Direction.INBOUND, kind=MessageKind.MESSAGE
        )
        .order_by("-created_at", "-pk")
        .first()
    )


def reply_is_public(conversation: Conversation) -> bool:
    """A reply goes where the customer spoke: in public under a public post, else privately."""
    latest = _latest_customer_message(conversation)
    return latest.public if latest is not None else conversation.kind == "public_thread"


class ReplyCollision(ActionError):
    """A colleague replied after the newest message the author saw; `replies` are theirs."""

    def __init__(self, replies: list[Message]) -> None:
        names = sorted({_sender_name(reply) for reply in replies})
        super().__init__(
            f"{' and '.join(names)} replied to this customer while you were writing. "
            "Read their reply; send yours anyway only if it adds something.",
            status=409,
        )
        self.replies = replies


def _sender_name(reply: Message) -> str:
    if reply.sender_user is not None:
        return reply.sender_user.display_name()
    return "A colleague (on the platform itself)"


def replies_since(conversation: Conversation, message_id: int) -> list[Message]:
    """Our replies in the conversation written after message `message_id`, failed ones aside.

    Ids grow with every insert, so "after" is "with a larger id". A reply posted by the brand
    straight on the platform (ingested as outbound) counts as a colleague's reply too.
    """
    return list(
        Message.objects.filter(
            conversation=conversation,
            direction=Direction.OUTBOUND,
            kind=MessageKind.MESSAGE,
            pk__gt=message_id,
        )
        .exclude(delivery_status=DeliveryStatus.FAILED)
        .select_related("sender_user")
        .order_by("pk")
    )


def check_seen(conversation: Conversation, expected_last_message_id: int) -> None:
    """The collision guard's input must be a message of this conversation."""
    if not Message.objects.filter(pk=expected_last_message_id, conversation=conversation).exists():
        raise ActionError(
            f"Message {expected_last_message_id} is not part of conversation "
            f"#{conversation.display_id}; send the id of the newest message you have seen in it.",
            field="expected_last_message_id",
        )


def check_send_reply(
    actor: User,
    conversation: Conversation,
    text: str,
    *,
    expected_last_message_id: int,
    send_anyway: bool = False,
    private_reply: bool = False,
) -> Message:
    """Validate a reply and queue it; raise ActionError with a message for the agent.

    `expected_last_message_id` is the newest message of the conversation the author saw;
    ReplyCollision (409) when a colleague replied after it, unless `send_anyway`.
    `private_reply`: answer the customer's public comment with a private message instead
    (Facebook, Instagram; replies/private_replies.py).
    """
    text = text.strip()
    if not text:
        raise ActionError("Write a reply before sending.", field="text")
    if conversation.merged_into_id:
        raise ActionError(
            f"This conversation was merged into #{conversation.merged_into.display_id}; "
            "reply there.",
            status=409,
        )
    if private_reply:
        private_replies.check_private_reply(conversation)
    public = False if private_reply else reply_is_public(conversation)
    kind = conversation.inbox.kind
    over = limits.over_limit(kind, public, text)
    if over:
        limit = limits.text_limit(kind, public)
        instead = (
            "Shorten it, or continue in a private message."
            if public
            else "Shorten it, or split it over two messages."
        )
        raise ActionError(
            f"The reply is {over} {limit.unit} too long for {conversation.inbox.get_kind_display()}"
            f" (maximum {limit.maximum}). {instead}",
            field="text",
        )
    # A private reply to a comment has its own rule (checked above), not the DM window.
    window = None if private_reply else windows.reply_window(conversation, public=public)
    if window is not None and window.state == "closed":
        raise ActionError(window.reason, field="text", status=409)
    check_seen(conversation, expected_last_message_id)
    return do_send_reply(
        actor,
        conversation,
        text,
        public=public,
        expected_last_message_id=expected_last_message_id,
        send_anyway=send_anyway,
    )


@transaction.atomic
def do_send_reply(
    actor: User,
    conversation: Conversation,
    text: str,
    *,
    public: bool,
    expected_last_message_id: int,
    send_anyway: bool = False,
    template: dict[str, Any] | None = None,
    keep_draft: bool = False,
) -> Message:
    """Write the reply as queued, and hand it to the outbox once committed.

    `template`: a WhatsApp template reply (replies/templates.py); `text` is then its rendered
    body. `keep_draft`: the reply did not come from the draft's box, so the draft stays.
    """
    # The lock that makes the guard hold under concurrency: a second sender waits here until
    # the first has committed its reply, then finds it below.
    Conversation.objects.select_for_update().filter(pk=conversation.pk).values_list("pk").get()
    newer = replies_since(conversation, expected_last_message_id)
    if newer and not send_anyway:
        raise ReplyCollision(newer)
    if listening.end_proactive(conversation):
        # Answering a post found by listening takes it up: the reply answers it.
        record_activity(conversation, actor, "taken_up", {})
    parent = _latest_customer_message(conversation)
    message = Message.objects.create(
        account_id=conversation.account_id,
        conversation=conversation,
        inbox_id=conversation.inbox_id,
        direction=Direction.OUTBOUND,
        kind=MessageKind.MESSAGE,
        in_reply_to=parent,
        in_reply_to_external_id=(parent.external_id or "") if parent else "",
        sender_user=actor,
        text=text,
        template=template,
        public=public,
        created_at=timezone.now(),
        delivery_status=DeliveryStatus.QUEUED,
        idempotency_key=uuid.uuid4(),
        next_attempt_at=timezone.now(),
    )
    if not keep_draft:
        discard_draft(actor, conversation)
    if newer:
        record_activity(
            conversation,
            actor,
            "sent_anyway",
            {"message": message.pk, "despite": [reply.pk for reply in newer]},
        )
    refresh_conversation_state(conversation)
    conversation_changed(conversation, "reply")
    transaction.on_commit(lambda: enqueue_delivery(message.pk))
    # Answering is reading: WhatsApp's blue ticks, for a reply through the API too.
    whatsapp_reads.request_read_receipt(conversation)
    logger.info("reply.queued", extra={"message_id": message.pk})
    return message


def enqueue_delivery(message_id: int) -> None:
    """After commit, hand the reply to the outbox worker (docs/choices.md: why it polls).

    Wakes this process's sender threads (the embedded install sends at once); where tasks run
    inline and no worker polls (the test settings), the task delivers it right here.
    """
    if outbox.tasks_run_inline():
        deliver_reply_task.enqueue(message_id)
    else:
        outbox.wake()


@transaction.atomic
def check_retry_delivery(actor: User, message: Message) -> Message:
    """Send a failed reply again, or an uncertain one a person found missing on the platform.

    It keeps its idempotency key, and gets a fresh set of automatic attempts. The change is
    conditional on the status in the database, so two people deciding at once (one marks it
    sent, the other sends it again) cannot both win.
    """
    was = message.delivery_status
    updated = Message.objects.filter(
        pk=message.pk, delivery_status__in=[DeliveryStatus.FAILED, DeliveryStatus.UNCERTAIN]
    ).update(
        delivery_status=DeliveryStatus.QUEUED,
        delivery_error="",
        delivery_attempts=0,
        next_attempt_at=timezone.now(),
        idempotency_key=message.idempotency_key or uuid.uuid4(),
    )
    if not updated:
        raise ActionError("Only a failed reply can be sent again.", status=409)
    message.refresh_from_db()
    if was == DeliveryStatus.UNCERTAIN:
        record_activity(message.conversation, actor, "reply_sent_again", {"message": message.pk})
    refresh_conversation_state(message.conversation)
    conversation_changed(message.conversation, "delivery")
    transaction.on_commit(lambda: enqueue_delivery(message.pk))
    return message


@transaction.atomic
def check_mark_sent(actor: User, message: Message) -> Message:
    """A person found an uncertain reply on the platform: record it as sent, never resend it.

    Recorded in the timeline, because it is a person's word, not the platform's.
    """
    updated = Message.objects.filter(
        pk=message.pk, delivery_status=DeliveryStatus.UNCERTAIN
    ).update(delivery_status=DeliveryStatus.SENT, delivery_error="", next_attempt_at=None)
    if not updated:
        raise ActionError(
            "Only a reply whose delivery is uncertain can be marked as sent.", status=409
        )
    message.refresh_from_db()
    record_activity(message.conversation, actor, "reply_marked_sent", {"message": message.pk})
    refresh_conversation_state(message.conversation)
    conversation_changed(message.conversation, "delivery")
    return message
