"""The one place that writes TriageResult rows."""

import logging

from django.db import transaction
from django.utils import timezone

from webcare.conversations.models import Direction, Message, MessageKind
from webcare.triage import pipeline
from webcare.triage.models import TriageResult

logger = logging.getLogger(__name__)


def triage_message(message: Message) -> TriageResult | None:
    """Triage a customer message and store the result (replacing an older one, so a re-run
    after a model update refreshes it). Our own replies, notes and activity entries are not
    triaged: None.

    The priority stored is the part that does not change while the message waits; reach
    comes from the sender's follower count as last seen on the platform.
    """
    if message.direction != Direction.INBOUND or message.kind != MessageKind.MESSAGE:
        return None
    identity = message.sender_identity
    result = pipeline.triage(
        message.text,
        message.inbox.kind,
        public=message.public,
        followers=identity.follower_count if identity is not None else None,
    )
    with transaction.atomic():
        row, _ = TriageResult.objects.update_or_create(
            message=message,
            defaults={
                "language": result.language,
                "intent": result.intent,
                "needs_reply": result.needs_reply,
                "sentiment": result.sentiment,
                "sentiment_score": max(-1.0, min(1.0, result.sentiment_score)),
                "complaint_probability": result.complaint_probability,
                "pii": [span.as_dict() for span in result.pii],
                "has_pii": bool(result.pii),
                "priority": result.priority,
                "reasons": list(result.reasons),
                "model_version": pipeline.model_version(),
                "triaged_at": timezone.now(),
            },
        )
    logger.info(
        "triage.completed",
        extra={"message_id": message.pk, "intent": row.intent, "priority": row.priority},
    )
    return row
