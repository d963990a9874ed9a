"""Proactive webcare: posts that name the brand without addressing it.

A listening query (X recent search, per inbox) finds people talking about the brand. Those
posts are worth seeing, and sometimes worth an unprompted answer, but nobody asked us
anything: mixing them into Needs reply would bury the customers who did. So they come in
settled by the system as `unprompted` (no reply needed), their conversation is `proactive`
and shows in the Listening view, and nobody is assigned or warned about them.

An agent who takes one up (the Take up button, or simply replying) turns it into an ordinary
conversation: its messages wait again, so promises and Needs reply apply from then on. A
customer who addresses us in the same thread does the same by themselves.
"""

from django.utils import timezone

from webcare.conversations.models import (
    Conversation,
    Direction,
    Message,
    NoReplyReason,
    ReplyState,
)


def unprompted_state() -> dict[str, object]:
    """The reply-state columns of a message found by listening, as it is created."""
    return {
        "reply_state": ReplyState.NO_REPLY_NEEDED,
        "no_reply_reason": NoReplyReason.UNPROMPTED,
        "settled_at": timezone.now(),
    }


def _wake_unprompted(conversation: Conversation) -> int:
    """Its unprompted messages wait again (or count as answered, once refreshed)."""
    return Message.objects.filter(
        conversation=conversation,
        direction=Direction.INBOUND,
        no_reply_reason=NoReplyReason.UNPROMPTED,
    ).update(reply_state=ReplyState.WAITING, no_reply_reason="", settled_at=None)


def end_proactive(conversation: Conversation) -> bool:
    """Make a proactive conversation an ordinary one; the caller refreshes its state.

    Used inside the caller's transaction (do_take_up, a reply, the customer addressing us).
    """
    updated = Conversation.objects.filter(pk=conversation.pk, proactive=True).update(
        proactive=False
    )
    if not updated:
        return False
    conversation.proactive = False
    _wake_unprompted(conversation)
    return True
