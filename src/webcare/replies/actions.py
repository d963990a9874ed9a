"""The one send path: a reply is written as queued, then delivered by a task after commit.

Every inbox kind sends through `channels.registry.sender_for`, so the UI, the API and later
automations cannot take different routes to the customer.
"""

import logging

from django.db import transaction
from django.utils import timezone

from webcare.accounts.models import User
from webcare.channels import limits
from webcare.conversations.actions import refresh_conversation_state
from webcare.conversations.models import (
    Conversation,
    DeliveryStatus,
    Direction,
    Message,
    MessageKind,
)
from webcare.core.errors import ActionError
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


def check_send_reply(actor: User, conversation: Conversation, text: str) -> Message:
    """Validate a reply and queue it; raise ActionError with a message for the agent."""
    text = text.strip()
    if not text:
        raise ActionError("Write a reply before sending.", field="text")
    if conversation.merged_into_id:
        raise ActionError(
            f"This conversation was merged into #{conversation.merged_into.display_id}; "
            "reply there.",
            status=409,
        )
    public = reply_is_public(conversation)
    kind = conversation.inbox.kind
    over = limits.over_limit(kind, public, text)
    if over:
        limit = limits.text_limit(kind, public)
        raise ActionError(
            f"The reply is {over} {limit.unit} too long for {conversation.inbox.get_kind_display()}"
            f" (maximum {limit.maximum}).",
            field="text",
        )
    return do_send_reply(actor, conversation, text, public=public)


@transaction.atomic
def do_send_reply(actor: User, conversation: Conversation, text: str, *, public: bool) -> Message:
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
        public=public,
        created_at=timezone.now(),
        delivery_status=DeliveryStatus.QUEUED,
    )
    refresh_conversation_state(conversation)
    transaction.on_commit(lambda: enqueue_delivery(message.pk))
    logger.info("reply.queued", extra={"message_id": message.pk})
    return message


def enqueue_delivery(message_id: int) -> None:
    deliver_reply_task.enqueue(message_id)


@transaction.atomic
def check_retry_delivery(actor: User, message: Message) -> Message:
    if message.delivery_status != DeliveryStatus.FAILED:
        raise ActionError("Only a failed reply can be sent again.", status=409)
    message.delivery_status = DeliveryStatus.QUEUED
    message.delivery_error = ""
    message.save(update_fields=["delivery_status", "delivery_error"])
    refresh_conversation_state(message.conversation)
    transaction.on_commit(lambda: enqueue_delivery(message.pk))
    return message
