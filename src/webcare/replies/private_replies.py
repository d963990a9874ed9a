"""Private replies: answering a public comment with a private message (Facebook, Instagram).

The way a webcare team moves a case out of public view: the customer complained under a post,
and the order number, licence plate or address belongs in a private message. Meta allows
exactly one private message per comment, within 7 days of it; the customer's answer opens the
ordinary messaging window (../shared/docs/platforms.md §2.6). Checked here before the reply is
queued, so the agent learns at once that the comment already had its private reply, or is too
old, instead of finding a failed reply later.
"""

from datetime import timedelta

from django.utils import timezone
from django.utils.translation import gettext as _

from webcare.conversations.models import (
    Conversation,
    DeliveryStatus,
    Direction,
    Message,
    MessageKind,
)
from webcare.core.errors import ActionError
from webcare.inboxes.models import InboxKind

KINDS = (InboxKind.FACEBOOK, InboxKind.INSTAGRAM)
WINDOW = timedelta(days=7)


def offers_private_reply(conversation: Conversation) -> bool:
    """Whether the composer should offer "reply privately" at all."""
    return conversation.inbox.kind in KINDS and _comment(conversation) is not None


def _comment(conversation: Conversation) -> Message | None:
    """The customer's newest public message: the comment a private reply answers."""
    return (
        Message.objects.filter(
            conversation=conversation,
            direction=Direction.INBOUND,
            kind=MessageKind.MESSAGE,
            public=True,
        )
        .order_by("-created_at", "-pk")
        .first()
    )


def check_private_reply(conversation: Conversation) -> Message:
    """The comment a private reply would answer; ActionError when Meta would refuse it."""
    comment = _comment(conversation) if conversation.inbox.kind in KINDS else None
    if comment is None:
        raise ActionError(
            _("A private reply answers a public comment on Facebook or Instagram."),
            field="private",
        )
    if timezone.now() - comment.created_at > WINDOW:
        raise ActionError(
            _(
                "This comment is more than 7 days old, so it can no longer get a private "
                "reply. Answer in public and ask the customer to send a private message."
            ),
            field="private",
            status=409,
        )
    already = Message.objects.filter(
        conversation=conversation,
        direction=Direction.OUTBOUND,
        kind=MessageKind.MESSAGE,
        public=False,
        in_reply_to=comment,
    ).exclude(delivery_status=DeliveryStatus.FAILED)
    if already.exists():
        raise ActionError(
            _(
                "This comment already had its one private reply. Wait for the customer to "
                "answer it in their messages, or reply in public."
            ),
            field="private",
            status=409,
        )
    return comment
