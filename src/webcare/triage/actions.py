"""The one place that writes TriageResult rows, and the conversations' triage priority.

Triage runs in the worker, never in the webhook: a customer message is stored with
`triaged_at` NULL, which puts it in a small partial index (message_untriaged); the worker's
triage thread reads the next batch from there, scores it with the batch path of the pipeline
and writes the results. Nothing is queued per message, so a crash loses nothing (what was
not triaged is still NULL) and an archive import or a storm costs one query per batch.
"""

import logging
import threading
from collections.abc import Iterable

from django.db import transaction
from django.db.models import IntegerField, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from webcare.conversations.live import conversation_changed
from webcare.conversations.models import Conversation, Direction, Message, MessageKind, ReplyState
from webcare.triage import pipeline, topics
from webcare.triage.models import MessageTopic, TriageResult

logger = logging.getLogger(__name__)

BATCH = 256
# Set when new customer messages were committed in this process; the triage thread waits on
# it (or its interval, for messages stored by other processes).
_work = threading.Event()


def wake() -> None:
    """Tell this process's triage thread that there is new work (called on commit)."""
    _work.set()


def wait_for_work(timeout: float) -> None:
    _work.wait(timeout)
    _work.clear()


def _untriaged() -> "list[Message]":
    return list(
        Message.objects.filter(
            direction=Direction.INBOUND, kind=MessageKind.MESSAGE, triaged_at__isnull=True
        )
        .select_related("inbox", "sender_identity")
        .order_by("pk")[:BATCH]
    )


def result_row(message: Message, result: pipeline.Triage, version: str) -> TriageResult:
    return TriageResult(
        message=message,
        language=result.language,
        intent=result.intent,
        needs_reply=result.needs_reply,
        sentiment=result.sentiment,
        sentiment_score=max(-1.0, min(1.0, result.sentiment_score)),
        complaint_probability=result.complaint_probability,
        pii=[span.as_dict() for span in result.pii],
        has_pii=bool(result.pii),
        priority=result.priority,
        reasons=list(result.reasons),
        model_version=version,
        triaged_at=timezone.now(),
    )


def is_negative(result: pipeline.Triage) -> bool:
    """What storm detection counts: complaints, and whatever else is negative."""
    return result.intent == "complaint" or result.sentiment == "negative"


def _brand_words(message: Message) -> frozenset[str]:
    words = f"{message.inbox.handle} {message.inbox.name}".lower().replace("@", " ").split()
    return frozenset(words)


def topic_rows(message: Message, result: pipeline.Triage) -> list[MessageTopic]:
    """The terms of a negative message, for storm detection; none for any other."""
    if not is_negative(result):
        return []
    return [
        MessageTopic(
            account_id=message.account_id,
            message=message,
            term=term,
            created_at=message.created_at,
        )
        for term in topics.terms(message.text, _brand_words(message))
    ]


def _reach(message: Message) -> tuple[bool, int | None]:
    identity = message.sender_identity
    return message.public, identity.follower_count if identity is not None else None


def refresh_priorities(conversation_ids: Iterable[int]) -> None:
    """Set each conversation's triage_priority to the highest stored priority among its
    waiting customer messages (0 when none), in one UPDATE."""
    top = (
        TriageResult.objects.filter(
            message__conversation=OuterRef("pk"),
            message__direction=Direction.INBOUND,
            message__reply_state=ReplyState.WAITING,
        )
        .order_by("-priority")
        .values("priority")[:1]
    )
    Conversation.objects.filter(pk__in=list(conversation_ids)).update(
        triage_priority=Coalesce(Subquery(top, output_field=IntegerField()), Value(0))
    )


def _lock_conversations(conversation_ids: Iterable[int]) -> None:
    """Row locks on the conversations, in id order (no-op on SQLite: its write lock is whole)."""
    list(
        Conversation.objects.select_for_update()
        .filter(pk__in=list(conversation_ids))
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def triage_pending() -> int:
    """Triage the next batch of customer messages that have none yet; returns how many.

    Scored outside any transaction (the CPU work must not hold SQLite's write lock), then
    written in one short one. Two workers that took the same batch write the same results:
    the second's rows are ignored (one result per message) and its update changes nothing.

    The batch's conversations are locked first, in id order, before any of their messages is
    written: every other writer (a reply, ingest) locks its conversation and then updates its
    messages, and a batch that updated messages first and conversations last would deadlock
    with a reply on PostgreSQL (seen under `make bench` at 25 replies/s).
    """
    messages = _untriaged()
    if not messages:
        return 0
    results = pipeline.triage_many(
        ((m.text, m.inbox.kind) for m in messages), reach=[_reach(m) for m in messages]
    )
    version = pipeline.model_version()
    conversation_ids = {m.conversation_id for m in messages}
    with transaction.atomic():
        _lock_conversations(conversation_ids)
        TriageResult.objects.bulk_create(
            [result_row(m, r, version) for m, r in zip(messages, results, strict=True)],
            ignore_conflicts=True,
        )
        MessageTopic.objects.bulk_create(
            [row for m, r in zip(messages, results, strict=True) for row in topic_rows(m, r)],
            ignore_conflicts=True,
        )
        Message.objects.filter(pk__in=[m.pk for m in messages], triaged_at__isnull=True).update(
            triaged_at=timezone.now()
        )
        refresh_priorities(conversation_ids)
        for conversation in Conversation.objects.filter(pk__in=conversation_ids):
            conversation_changed(conversation, "triage")
    logger.info("triage.batch", extra={"messages": len(messages)})
    return len(messages)


def triage_message(message: Message) -> TriageResult | None:
    """Triage one customer message again and store the result (replacing an older one, so a
    re-run after a model update refreshes it). Our own replies, notes and activity entries are
    not triaged: None.

    The priority stored is the part that does not change while the message waits; reach
    comes from the sender's follower count as last seen on the platform.
    """
    if message.direction != Direction.INBOUND or message.kind != MessageKind.MESSAGE:
        return None
    public, followers = _reach(message)
    result = pipeline.triage(message.text, message.inbox.kind, public=public, followers=followers)
    row = result_row(message, result, pipeline.model_version())
    fields = {f.name: getattr(row, f.name) for f in TriageResult._meta.concrete_fields}
    for name in ("id", "message"):
        fields.pop(name)
    with transaction.atomic():
        _lock_conversations([message.conversation_id])
        stored, _ = TriageResult.objects.update_or_create(message=message, defaults=fields)
        MessageTopic.objects.filter(message=message).delete()
        MessageTopic.objects.bulk_create(topic_rows(message, result))
        Message.objects.filter(pk=message.pk).update(triaged_at=stored.triaged_at)
        refresh_priorities([message.conversation_id])
    logger.info(
        "triage.completed",
        extra={"message_id": message.pk, "intent": stored.intent, "priority": stored.priority},
    )
    return stored
