"""The end-of-shift handover: what is still waiting or unfinished, and in whose hands.

A read model only. Grouped by the person holding each conversation (then the team, then
nobody), longest waiting first, with what a colleague taking over needs at a glance: how long
the customer has waited, when the answer is due, the alarms, and the last internal note.
"""

from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import F, OuterRef, Q, Subquery

from webcare.accounts.models import User
from webcare.conversations.models import (
    Conversation,
    DeliveryStatus,
    Direction,
    Message,
    MessageKind,
    Status,
)


@dataclass
class HandoverGroup:
    """Conversations in one pair of hands: a person, else a team, else nobody."""

    holder: User | None
    team_name: str
    conversations: list[Conversation] = field(default_factory=list)

    @property
    def waiting(self) -> int:
        return sum(1 for c in self.conversations if c.waiting_since is not None)


@dataclass
class Handover:
    generated_at: datetime
    groups: list[HandoverGroup]
    failed_replies: list[Message]

    @property
    def waiting(self) -> int:
        return sum(group.waiting for group in self.groups)


def _last_note() -> Subquery:
    return Subquery(
        Message.objects.filter(conversation=OuterRef("pk"), kind=MessageKind.NOTE)
        .order_by("-created_at", "-pk")
        .values("text")[:1]
    )


def handover(account_id: int, now: datetime, inbox_id: int | None = None) -> Handover:
    """Everything open that needs a person: waiting customers first, then the rest of the open
    work (pending and snoozed are waiting on the customer or a date, so they are listed but not
    counted as waiting), and every reply that did not reach its customer."""
    qs = Conversation.objects.filter(account_id=account_id, merged_into__isnull=True).filter(
        Q(status=Status.OPEN)
        | Q(status__in=[Status.PENDING, Status.SNOOZED], assignee__isnull=False)
    )
    if inbox_id:
        qs = qs.filter(inbox_id=inbox_id)
    rows = list(
        qs.select_related("inbox", "contact", "assignee", "team", "last_message")
        .prefetch_related("labels")  # the API's conversation summary lists them
        .annotate(last_note=_last_note())
        .order_by(F("waiting_since").asc(nulls_last=True), "-last_activity_at", "pk")
    )
    groups: dict[tuple[int | None, int | None], HandoverGroup] = {}
    for conversation in rows:
        if conversation.assignee_id:
            key = (conversation.assignee_id, None)
            group = groups.setdefault(key, HandoverGroup(conversation.assignee, ""))
        else:
            key = (None, conversation.team_id)
            name = conversation.team.name if conversation.team else ""
            group = groups.setdefault(key, HandoverGroup(None, name))
        group.conversations.append(conversation)
    ordered = sorted(
        groups.values(),
        key=lambda g: (
            g.holder is not None,  # nobody's and the teams' first: they need a new owner
            g.holder.display_name().lower() if g.holder else g.team_name.lower(),
        ),
    )
    failed = list(
        Message.objects.filter(
            account_id=account_id,
            direction=Direction.OUTBOUND,
            kind=MessageKind.MESSAGE,
            delivery_status__in=[DeliveryStatus.FAILED, DeliveryStatus.UNCERTAIN],
        )
        .select_related("conversation", "conversation__contact", "sender_user")
        .order_by("created_at")
    )
    return Handover(generated_at=now, groups=ordered, failed_replies=failed)
