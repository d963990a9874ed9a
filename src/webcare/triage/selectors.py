"""Read side of triage: a message's result, and its priority at the moment of reading."""

from datetime import datetime

from django.db.models import IntegerField, OuterRef, Subquery
from django.utils import timezone

from webcare.conversations.models import ReplyState
from webcare.triage import priority
from webcare.triage.models import TriageResult


def result_for(message_id: int) -> TriageResult | None:
    return TriageResult.objects.filter(message_id=message_id).first()


def priority_now(
    result: TriageResult, waiting_since: datetime | None, now: datetime | None = None
) -> tuple[int, list[str]]:
    """The stored priority plus the waiting part, and the reasons to show as badges
    ("complaint · negative · 12k followers · public · waiting 18 min")."""
    if waiting_since is None:
        return result.priority, list(result.reasons)
    minutes = ((now or timezone.now()) - waiting_since).total_seconds() / 60
    return priority.with_waiting(result.priority, list(result.reasons), minutes)


def waiting_priority() -> Subquery:
    """The highest stored priority among a conversation's waiting customer messages, for
    `Conversation.objects.annotate(triage_priority=waiting_priority())` and ordering Needs
    reply by `-triage_priority, waiting_since` (NULL, i.e. not triaged yet, sorts last on
    PostgreSQL with `F("triage_priority").desc(nulls_last=True)`)."""
    return Subquery(
        TriageResult.objects.filter(
            message__conversation=OuterRef("pk"), message__reply_state=ReplyState.WAITING
        )
        .order_by("-priority")
        .values("priority")[:1],
        output_field=IntegerField(),
    )
