"""Needs-reply accounting: every customer message ends answered, settled, or still waiting.

A message leaves Needs reply only two ways: a reply that was not lost answers it (derived
here, so a reply that fails puts the message back), or an agent says it needs no reply and
why (`settle_no_reply`). Resolving a conversation with a customer still waiting is refused
unless the agent gives that reason for all of them at once.
"""

from django.db.models import Case, Exists, OuterRef, Subquery, Value, When
from django.utils import timezone

from webcare.accounts.models import User
from webcare.channels.adapters.base import InboundMessage
from webcare.conversations.models import (
    AGENT_REASONS,
    Conversation,
    DeliveryStatus,
    Direction,
    Message,
    MessageKind,
    ReplyState,
)
from webcare.core.errors import ActionError


def settle_answers(conversation: Conversation) -> None:
    """Point every unsettled customer message at the first good reply at or after it.

    One UPDATE: the reply states of a conversation are a function of its messages, so they are
    recomputed, never patched; a failed or uncertain reply answers nothing.
    """
    good_replies = Message.objects.filter(
        conversation=conversation,
        direction=Direction.OUTBOUND,
        kind=MessageKind.MESSAGE,
        created_at__gte=OuterRef("created_at"),
    ).exclude(delivery_status__in=[DeliveryStatus.FAILED, DeliveryStatus.UNCERTAIN])
    first_answer = good_replies.order_by("created_at", "pk").values("pk")[:1]
    Message.objects.filter(conversation=conversation, direction=Direction.INBOUND).exclude(
        reply_state=ReplyState.NO_REPLY_NEEDED
    ).update(
        answered_by=Subquery(first_answer),
        reply_state=Case(
            When(Exists(good_replies), then=Value(ReplyState.ANSWERED)),
            default=Value(ReplyState.WAITING),
        ),
    )


def answered_after(conversation: Conversation, message: InboundMessage) -> bool:
    """Whether a good reply of ours is already at or after `message`'s time: a customer
    message that arrived late (out of order) is answered rather than waiting."""
    if conversation.message_count == 0:
        return False  # the conversation this message just started
    return (
        Message.objects.filter(
            conversation=conversation,
            direction=Direction.OUTBOUND,
            kind=MessageKind.MESSAGE,
            created_at__gte=message.created_at,
        )
        .exclude(delivery_status__in=[DeliveryStatus.FAILED, DeliveryStatus.UNCERTAIN])
        .exists()
    )


def waiting_messages(conversation: Conversation) -> list[Message]:
    return list(
        Message.objects.filter(
            conversation=conversation,
            direction=Direction.INBOUND,
            reply_state=ReplyState.WAITING,
        ).order_by("created_at", "pk")
    )


class StillWaiting(ActionError):
    """A status change would leave customers unanswered; `messages` are theirs."""

    def __init__(self, messages: list[Message]) -> None:
        count = len(messages)
        super().__init__(
            f"{count} customer message{'s are' if count != 1 else ' is'} still waiting for an "
            "answer. Reply first, or say why no reply is needed (no_reply_reason).",
            status=409,
            field="no_reply_reason",
        )
        self.messages = messages


def check_reason(reason: str) -> str:
    reasons = [value for value, _label in AGENT_REASONS]
    if reason not in reasons:
        raise ActionError(
            f"Unknown reason {reason!r}; use one of {', '.join(reasons)}.",
            field="reason",
        )
    return reason


def settle_no_reply(actor: User, messages: list[Message], reason: str) -> int:
    """Mark customer messages as needing no reply, with the reason; returns how many changed.

    Only waiting messages change: one that a reply answered keeps its answer.
    """
    check_reason(reason)
    return Message.objects.filter(
        pk__in=[message.pk for message in messages], reply_state=ReplyState.WAITING
    ).update(
        reply_state=ReplyState.NO_REPLY_NEEDED,
        no_reply_reason=reason,
        answered_by=None,
        settled_by=actor,
        settled_at=timezone.now(),
    )


def unsettle(message: Message) -> bool:
    """Undo 'no reply needed': the message waits again (or is answered, if a reply followed)."""
    return bool(
        Message.objects.filter(pk=message.pk, reply_state=ReplyState.NO_REPLY_NEEDED).update(
            reply_state=ReplyState.WAITING, no_reply_reason="", settled_by=None, settled_at=None
        )
    )
