"""The ingest path: store the verbatim event, then thread what it says.

Webhooks, importers and the demo all come through `ingest`. Storing commits before processing
starts, so whatever happens next, the customer's message is on disk with its state.
"""

import logging
from dataclasses import dataclass
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from webcare.channels import registry, whatsapp_media
from webcare.channels.adapters.base import ChannelError, PayloadError
from webcare.channels.models import EventState, RawInboundEvent
from webcare.conversations.actions import receive_message
from webcare.conversations.models import Message
from webcare.inboxes.models import Inbox
from webcare.replies import acknowledgements
from webcare.triage import actions as triage

logger = logging.getLogger(__name__)


@dataclass
class IngestResult:
    event: RawInboundEvent
    stored: bool  # False: a redelivery of an event we already had
    messages: list[Message]


def store_event(
    inbox: Inbox, source: str, dedupe_key: str, payload: str
) -> tuple[RawInboundEvent, bool]:
    """Store the event once per (inbox, dedupe key); a redelivery returns the stored one."""
    existing = RawInboundEvent.objects.filter(inbox=inbox, dedupe_key=dedupe_key).first()
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():
            event = RawInboundEvent.objects.create(
                inbox=inbox, source=source, dedupe_key=dedupe_key, payload=payload
            )
            return event, True
    except IntegrityError:
        return RawInboundEvent.objects.get(inbox=inbox, dedupe_key=dedupe_key), False


def process_event(event: RawInboundEvent) -> list[Message]:
    """Parse and thread one stored event. A failure is recorded on the event, never raised.

    The broad except is deliberate: this is the boundary where one bad event must not stop
    the stream, and where the reason must be kept for an admin to see and retry.
    """
    event.attempts += 1
    try:
        with transaction.atomic():
            parsed = registry.parser_for(event.source)(event.payload.encode())
            messages = []
            for msg in parsed:
                message, _created = receive_message(event.inbox, msg, event)
                messages.append(message)
                if msg.media:
                    # Named, not carried: fetched after commit, outside this request.
                    whatsapp_media.queue_downloads(message, msg.media)
            # In the same transaction: the messages and "processed" commit together.
            event.state = EventState.PROCESSED
            event.error = ""
            event.processed_at = timezone.now()
            event.save(update_fields=["state", "error", "attempts", "processed_at"])
            # This process's triage thread takes the new messages once they are committed.
            transaction.on_commit(triage.wake)
    except (PayloadError, ChannelError) as exc:
        _mark_failed(event, str(exc))
        return []
    except Exception as exc:
        logger.exception("ingest.event_failed", extra={"event_id": event.pk})
        _mark_failed(event, f"{type(exc).__name__}: {exc}")
        return []
    return messages


def _mark_failed(event: RawInboundEvent, reason: str) -> None:
    event.state = EventState.FAILED
    event.error = reason
    event.save(update_fields=["state", "error", "attempts"])
    logger.warning("ingest.event_failed", extra={"event_id": event.pk, "reason": reason})


def ingest(inbox: Inbox, source: str, dedupe_key: str, payload: str) -> IngestResult:
    """Store, then process. A redelivered event is processed again only if it had not been.

    A new e-mail conversation may be acknowledged (replies/acknowledgements.py), after the
    message is committed; an automatic mail never is.
    """
    event, stored = store_event(inbox, source, dedupe_key, payload)
    if event.state == EventState.PROCESSED:
        return IngestResult(event, stored, [])
    messages = process_event(event)
    acknowledgements.after_ingest(inbox, messages)
    return IngestResult(event, stored, messages)


def retry_event(event: RawInboundEvent) -> list[Message]:
    """An admin's retry of a failed or stuck event."""
    if event.state == EventState.PROCESSED:
        return []
    return process_event(event)


# An event younger than this is probably being processed by the request that stored it.
PENDING_GRACE = timedelta(seconds=60)


def retry_pending(limit: int = 500) -> int:
    """Process events stored before a crash that never got processed; returns how many."""
    pending = RawInboundEvent.objects.filter(
        state=EventState.PENDING, received_at__lt=timezone.now() - PENDING_GRACE
    ).order_by("received_at")
    count = 0
    for event in pending.select_related("inbox")[:limit]:
        process_event(event)
        count += 1
    return count
