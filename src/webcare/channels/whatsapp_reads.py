"""Read receipts: the customer sees blue ticks once an agent opened their WhatsApp message.

Why: on WhatsApp two grey ticks mean "delivered, nobody looked"; a customer who sees the
blue ticks knows a person has it. Meta takes `{"status": "read", "message_id": wamid}` on the
messages endpoint, and marking one message read marks the earlier ones too, so only the
customer's newest message is marked, once (`Message.read_receipt_at`), when an agent opens the
conversation or replies in it.

In the background, never in the agent's request: `request_read_receipt` only queues a task
after commit (in the durable task queue; the test settings run it at commit). A refusal or a
network failure is logged and kept on the message (`read_receipt_error`), never shown to the
agent as an error; the next open tries again, since the message is still unmarked.
"""

import logging

from django.db import transaction
from django.utils import timezone
from django_tasks import task

from webcare.channels import registry
from webcare.channels.adapters import whatsapp
from webcare.channels.adapters.base import ChannelError
from webcare.conversations.models import Conversation, Direction, Message, MessageKind
from webcare.inboxes.models import InboxKind

logger = logging.getLogger(__name__)


def unread_newest(conversation: Conversation) -> Message | None:
    """The customer's newest WhatsApp message if it still needs its read receipt."""
    if conversation.inbox.kind != InboxKind.WHATSAPP or registry.is_sandboxed(conversation.inbox):
        return None
    newest = (
        Message.objects.filter(
            conversation=conversation, direction=Direction.INBOUND, kind=MessageKind.MESSAGE
        )
        .exclude(external_id=None)
        .order_by("-created_at", "-pk")
        .only("pk", "read_receipt_at")
        .first()
    )
    return newest if newest is not None and newest.read_receipt_at is None else None


def request_read_receipt(conversation: Conversation) -> None:
    """An agent opened (or answered) the conversation: mark the newest message read, later."""
    newest = unread_newest(conversation)
    if newest is not None:
        message_id = newest.pk
        transaction.on_commit(lambda: send_read_receipt_task.enqueue(message_id))


def send_read_receipt(message_id: int) -> bool:
    """Send one read receipt unless it went already; True when WhatsApp confirmed it."""
    message = Message.objects.select_related("inbox").filter(pk=message_id).first()
    if message is None or message.read_receipt_at is not None or not message.external_id:
        return False
    try:
        whatsapp.mark_read(message.inbox, message.external_id)
    except ChannelError as exc:
        logger.warning(
            "whatsapp.read_receipt_failed", extra={"message_id": message_id, "reason": str(exc)}
        )
        Message.objects.filter(pk=message_id, read_receipt_at=None).update(
            read_receipt_error=str(exc)
        )
        return False
    Message.objects.filter(pk=message_id).update(
        read_receipt_at=timezone.now(), read_receipt_error=""
    )
    logger.info("whatsapp.read_receipt_sent", extra={"message_id": message_id})
    return True


@task()
def send_read_receipt_task(message_id: int) -> None:
    """The background half of request_read_receipt."""
    send_read_receipt(message_id)
