"""Confirming receipt of a customer's first e-mail, and never of an automatic one.

An e-mail inbox with an `acknowledgement` text answers the first mail of every new
conversation with it, at once, marked as automatic (Auto-Submitted: auto-replied, X-Loop:
our address; RFC 3834), so other robots do not answer it in turn. A mail that is itself
automatic (an out-of-office, a bounce, a list mail; channels/adapters/email.py) is never
acknowledged, which is what breaks mail loops. The acknowledgement answers nobody's
question, so it is recorded as an activity entry, not as a reply: the customer still waits
for a person.
"""

import logging

from django.db import transaction
from django_tasks import task

from webcare.channels.adapters import email
from webcare.channels.adapters.base import ChannelError
from webcare.conversations.actions import record_activity
from webcare.conversations.live import conversation_changed
from webcare.conversations.models import Direction, Message, MessageKind
from webcare.inboxes.models import Inbox, InboxKind

logger = logging.getLogger(__name__)


def wants_acknowledgement(inbox: Inbox, message: Message) -> bool:
    return (
        inbox.kind == InboxKind.EMAIL
        and bool(str(inbox.setting("acknowledgement") or "").strip())
        and message.direction == Direction.INBOUND
        and message.kind == MessageKind.MESSAGE
        and not message.automated
        and message.conversation.message_count == 1
    )


def after_ingest(inbox: Inbox, messages: list[Message]) -> None:
    """Queue an acknowledgement for each new conversation that should get one."""
    for message in messages:
        if wants_acknowledgement(inbox, message):
            acknowledge_task.enqueue(message.pk)


def do_acknowledge(message_id: int) -> bool:
    """Send the acknowledgement of one customer mail, once; True when it went out."""
    message = (
        Message.objects.select_related("conversation", "inbox", "sender_identity")
        .filter(pk=message_id)
        .first()
    )
    if message is None or not wants_acknowledgement(message.inbox, message):
        return False
    conversation = message.conversation
    if conversation.messages.filter(activity__verb="acknowledged").exists():
        return False
    text = str(message.inbox.setting("acknowledgement")).strip()
    try:
        message_id_sent = email.send_acknowledgement(message.inbox, message, text)
    except ChannelError as exc:
        logger.warning(
            "email.acknowledgement_failed", extra={"message_id": message.pk, "reason": str(exc)}
        )
        return False
    with transaction.atomic():
        record_activity(
            conversation, None, "acknowledged", {"message": message.pk, "id": message_id_sent}
        )
        conversation_changed(conversation, "message")
    return True


@task()
def acknowledge_task(message_id: int) -> None:
    """The background half of after_ingest: one acknowledgement, outside the ingest path."""
    do_acknowledge(message_id)
