"""Handing a queued reply to its platform, and recording the outcome on the message."""

import logging

from django.db import transaction

from webcare.channels import registry
from webcare.channels.adapters.base import ChannelError
from webcare.conversations.actions import refresh_conversation_state
from webcare.conversations.models import DeliveryStatus, Message

logger = logging.getLogger(__name__)


def deliver(message: Message) -> None:
    """Hand a queued reply to its inbox's sender and record what happened."""
    if message.delivery_status != DeliveryStatus.QUEUED:
        return
    try:
        result = registry.sender_for(message.inbox).send(message.inbox, message)
    except ChannelError as exc:
        mark_failed(message, str(exc))
        return
    message.delivery_status = DeliveryStatus.DELIVERED if result.delivered else DeliveryStatus.SENT
    message.delivery_error = ""
    if result.external_id:
        message.external_id = result.external_id
    message.save(update_fields=["delivery_status", "delivery_error", "external_id"])
    logger.info("reply.delivered", extra={"message_id": message.pk})


@transaction.atomic
def mark_failed(message: Message, reason: str) -> None:
    """A failed reply is shown on the message, and the customer counts as waiting again."""
    message.delivery_status = DeliveryStatus.FAILED
    message.delivery_error = reason
    message.save(update_fields=["delivery_status", "delivery_error"])
    refresh_conversation_state(message.conversation)
    logger.warning("reply.failed", extra={"message_id": message.pk, "reason": reason})
