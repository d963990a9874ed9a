"""Read side of triage: a message's result, and its priority at the moment of reading."""

from datetime import datetime

from django.db.models import F
from django.utils import timezone

from webcare.conversations.models import Direction, ReplyState
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


def top_waiting_results(conversation_ids: list[int]) -> dict[int, TriageResult]:
    """Per conversation, the triage of its most urgent waiting customer message: what the
    list shows as badges. One query for a page of conversations."""
    rows = TriageResult.objects.filter(
        message__conversation_id__in=conversation_ids,
        message__direction=Direction.INBOUND,
        message__reply_state=ReplyState.WAITING,
    ).annotate(conversation_id=F("message__conversation_id"))
    top: dict[int, TriageResult] = {}
    for row in rows:
        best = top.get(row.conversation_id)  # type: ignore[attr-defined]
        if best is None or row.priority > best.priority:
            top[row.conversation_id] = row  # type: ignore[attr-defined]
    return top
