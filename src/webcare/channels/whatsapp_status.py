"""WhatsApp's status webhooks (sent, delivered, read, failed) applied to our replies.

Why apart from the ingest path: `process_event` threads *messages*, and a status is not one.
The webhook view stores each status as its own event first (adapters/whatsapp.py; the parser
makes no message of it), then calls `apply_status_items`. That runs for redeliveries too: it
is idempotent, so if the process died between storing and applying, Meta's retry (it retries
until it gets a 200) applies it.

Statuses are not guaranteed to arrive in order (platforms.md §3.3). Each write is one
conditional UPDATE that only moves forward, sent < delivered < read (and sent or delivered <
failed), so a late `sent` never undoes `delivered`, two copies of a status change nothing, and
a reply an agent queued again after a failure is not touched by the old message's statuses.

A status for a wamid we do not know (a message sent from another tool, or a `delivered` that
overtook the send's own answer) is kept as its stored event and otherwise ignored.
"""

import json
import logging
from collections.abc import Iterable
from typing import Any

from django.db import transaction

from webcare.channels.adapters import whatsapp
from webcare.channels.adapters.base import Item
from webcare.conversations.actions import refresh_conversation_state
from webcare.conversations.live import conversation_changed
from webcare.conversations.models import DeliveryStatus, Direction, Message, MessageKind
from webcare.inboxes.models import Inbox

logger = logging.getLogger(__name__)

# WhatsApp's status -> ours. `played` is a voice message's "read".
TARGETS = {
    "sent": DeliveryStatus.SENT,
    "delivered": DeliveryStatus.DELIVERED,
    "read": DeliveryStatus.READ,
    "played": DeliveryStatus.READ,
    "failed": DeliveryStatus.FAILED,
}
# The statuses a reply may move *from* to reach each target: forward only. `sent` is what the
# send's own answer already recorded, so its webhook confirms and changes nothing.
FORWARD_FROM: dict[str, tuple[str, ...]] = {
    DeliveryStatus.SENT: (),
    DeliveryStatus.DELIVERED: (DeliveryStatus.SENT,),
    DeliveryStatus.READ: (DeliveryStatus.SENT, DeliveryStatus.DELIVERED),
    DeliveryStatus.FAILED: (DeliveryStatus.SENT, DeliveryStatus.DELIVERED),
}


def failure_reason(status: dict[str, Any]) -> str:
    """What an agent reads on a failed reply: WhatsApp's title, code and details."""
    errors = status.get("errors")
    error = errors[0] if isinstance(errors, list) and errors and isinstance(errors[0], dict) else {}
    if error.get("code") == whatsapp.OUTSIDE_WINDOW_CODE:
        return whatsapp.OUTSIDE_WINDOW
    title = str(error.get("title") or error.get("message") or "no reason given")
    details = str((error.get("error_data") or {}).get("details") or "")
    code = f" (code {error['code']})" if "code" in error else ""
    return f"WhatsApp could not deliver this reply: {title}{code}. {details}".strip()


def apply_status(inbox: Inbox, status: dict[str, Any]) -> Message | None:
    """Move the reply `status` is about forward; the reply if it changed, else None."""
    target = TARGETS.get(str(status.get("status")))
    if target is None or not FORWARD_FROM[target]:
        return None
    message = (
        Message.objects.select_related("conversation")
        .filter(
            inbox=inbox,
            external_id=str(status.get("id")),
            direction=Direction.OUTBOUND,
            kind=MessageKind.MESSAGE,
        )
        .first()
    )
    if message is None:
        return None
    fields = {"delivery_status": target}
    if target == DeliveryStatus.FAILED:
        fields["delivery_error"] = failure_reason(status)
    with transaction.atomic():
        moved = Message.objects.filter(
            pk=message.pk, delivery_status__in=FORWARD_FROM[target]
        ).update(**fields)
        if not moved:
            return None
        if target == DeliveryStatus.FAILED:
            # As replies/delivery.py does: the customer counts as waiting again.
            refresh_conversation_state(message.conversation)
        conversation_changed(message.conversation, "delivery")
    logger.info("whatsapp.status", extra={"message_id": message.pk, "status": target})
    return message


def apply_status_items(inbox: Inbox, items: Iterable[Item]) -> int:
    """Apply every status among a delivery's items; returns how many replies moved."""
    moved = 0
    for item in items:
        if whatsapp.is_status(item):
            status = json.loads(item.payload)["status"]
            moved += apply_status(inbox, status) is not None
    return moved
