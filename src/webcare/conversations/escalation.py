"""What happens when a promised answer comes close or is late.

The sweep (`sweep`, run by the worker every half minute) reads the due times
conversations/promises.py derived: a warning to the assignee before the breach, and at the
breach an escalation to the team leads and a place in the Escalated view. It also raises the
"skipped" alarm: a message overdue while newer ones in the same inbox were answered is one
that scrolled out of sight. Every step is a conditional UPDATE, so several workers sweeping
at once notify each person once.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from webcare.accounts.models import Availability, Notification, NotificationKind, Role, User
from webcare.conversations.actions import record_activity
from webcare.conversations.live import conversation_changed
from webcare.conversations.models import (
    Conversation,
    Direction,
    Message,
    ReplyState,
    Status,
)
from webcare.inboxes.models import Inbox

logger = logging.getLogger(__name__)

# At most this many conversations per inbox and step in one pass: a backlog (a desk back from
# a long outage) is worked through over a few passes instead of holding the sweeper for long.
BATCH = 200


@dataclass
class SweepResult:
    warned: int = 0
    escalated: int = 0
    skipped: int = 0


def sweep(now: datetime | None = None) -> SweepResult:
    """Warn, escalate and raise the skipped alarm for every inbox; returns what it did."""
    now = now or timezone.now()
    result = SweepResult()
    for inbox in Inbox.objects.all():
        result.warned += _warn(inbox, now)
        result.escalated += _escalate(inbox, now)
        result.skipped += _flag_skipped(inbox, now)
    if result.warned or result.escalated or result.skipped:
        logger.info(
            "sla.swept",
            extra={
                "warned": result.warned,
                "escalated": result.escalated,
                "skipped": result.skipped,
            },
        )
    return result


def _open_in(inbox: Inbox) -> Q:
    return Q(inbox=inbox, status__in=[Status.OPEN, Status.SNOOZED], merged_into__isnull=True)


def _warn(inbox: Inbox, now: datetime) -> int:
    horizon = now + timedelta(minutes=inbox.warn_before_minutes)
    candidates = (
        Conversation.objects.filter(
            _open_in(inbox),
            response_due_at__gt=now,
            response_due_at__lte=horizon,
            sla_warned_at__isnull=True,
        )
        .select_related("assignee", "team", "inbox")
        .order_by("response_due_at", "pk")[:BATCH]
    )
    count = 0
    for conversation in candidates:
        with transaction.atomic():
            if not _claim(conversation, "sla_warned_at", now):
                continue
            people = (
                [conversation.assignee] if conversation.assignee else _team_people(conversation)
            )
            _notify(
                conversation,
                people,
                NotificationKind.SLA_WARNING,
                lambda c: (
                    _("Answer #%(number)s before %(time)s: the response target is close.")
                    % {"number": c.display_id, "time": _local_time(c)}
                ),
            )
            conversation_changed(conversation, "sla")
        count += 1
    return count


def _escalate(inbox: Inbox, now: datetime) -> int:
    # Two range queries, each on its partial index of not-yet-escalated due times, rather than
    # one OR: once a backlog is escalated, a quiet pass reads nothing it has seen before.
    response_late = Conversation.objects.filter(
        _open_in(inbox), escalated_at__isnull=True, response_due_at__lte=now
    ).order_by("response_due_at", "pk")[:BATCH]
    resolution_late = Conversation.objects.filter(
        _open_in(inbox), escalated_at__isnull=True, resolution_due_at__lte=now
    ).order_by("resolution_due_at", "pk")[:BATCH]
    pks = sorted(
        {*response_late.values_list("pk", flat=True), *resolution_late.values_list("pk", flat=True)}
    )[:BATCH]
    candidates = Conversation.objects.filter(pk__in=pks).select_related("assignee").order_by("pk")
    count = 0
    for conversation in candidates:
        with transaction.atomic():
            if not _claim(conversation, "escalated_at", now):
                continue
            late_answer = conversation.response_due_at and conversation.response_due_at <= now
            due = conversation.response_due_at if late_answer else conversation.resolution_due_at
            record_activity(
                conversation,
                None,
                "escalated",
                {
                    "target": "response" if late_answer else "resolution",
                    "due": due.isoformat() if due else None,
                },
            )
            people = _leads(conversation.account_id)
            if conversation.assignee and conversation.assignee not in people:
                people.append(conversation.assignee)
            _notify(
                conversation,
                people,
                NotificationKind.ESCALATED,
                lambda c, late=late_answer: (
                    (
                        _("#%(number)s missed its response target: nobody answered in time.")
                        if late
                        else _("#%(number)s missed its resolution target.")
                    )
                    % {"number": c.display_id}
                ),
            )
            conversation_changed(conversation, "sla")
        count += 1
    return count


def _flag_skipped(inbox: Inbox, now: datetime) -> int:
    """Overdue while a newer customer message in the same inbox got its answer.

    "Newer than the newest answered message" is one comparison with one number per inbox
    (an index seek), not a search of the inbox's messages for every overdue conversation.
    """
    newest_answered = (
        Message.objects.filter(
            inbox=inbox, direction=Direction.INBOUND, reply_state=ReplyState.ANSWERED
        )
        .order_by("-created_at")
        .values_list("created_at", flat=True)
        .first()
    )
    if newest_answered is None:
        return 0
    candidates = Conversation.objects.filter(
        _open_in(inbox),
        skipped_at__isnull=True,
        response_due_at__lte=now,
        waiting_since__lt=newest_answered,
    )
    count = 0
    for conversation in candidates.select_related("assignee").order_by("pk")[:BATCH]:
        with transaction.atomic():
            if not _claim(conversation, "skipped_at", now):
                continue
            people = _leads(conversation.account_id)
            if conversation.assignee and conversation.assignee not in people:
                people.append(conversation.assignee)
            _notify(
                conversation,
                people,
                NotificationKind.SKIPPED,
                lambda c: (
                    _("#%(number)s was skipped: it is overdue while newer messages were answered.")
                    % {"number": c.display_id}
                ),
            )
            conversation_changed(conversation, "sla")
        count += 1
    return count


def _claim(conversation: Conversation, field: str, now: datetime) -> bool:
    """Set `field` unless another sweeper did; True for the one that did it."""
    return bool(
        Conversation.objects.filter(pk=conversation.pk, **{f"{field}__isnull": True}).update(
            **{field: now}
        )
    )


def _leads(account_id: int) -> list[User]:
    return list(
        User.objects.filter(
            memberships__account_id=account_id,
            memberships__role__in=[Role.LEAD, Role.ADMIN],
            is_active=True,
        ).order_by("pk")
    )


def _team_people(conversation: Conversation) -> list[User]:
    """Nobody has it: tell the team's members who are at work, else the leads."""
    if conversation.team_id:
        online = User.objects.filter(
            teams=conversation.team_id,
            memberships__account_id=conversation.account_id,
            is_active=True,
        ).exclude(memberships__availability=Availability.OFFLINE)
        people = list(online.distinct().order_by("pk"))
        if people:
            return people
    return _leads(conversation.account_id)


def _local_time(conversation: Conversation) -> str:
    due = conversation.response_due_at
    if due is None:
        return ""
    return due.astimezone(ZoneInfo(conversation.inbox.timezone)).strftime("%H:%M")


def _notify(
    conversation: Conversation,
    people: list[User],
    kind: str,
    text: Callable[[Conversation], str],
) -> None:
    """One notification per person, worded in that person's language."""
    for person in dict.fromkeys(people):
        with override(person.language):
            Notification.objects.create(
                account_id=conversation.account_id,
                user=person,
                conversation=conversation,
                kind=kind,
                text=str(text(conversation))[:300],
            )
