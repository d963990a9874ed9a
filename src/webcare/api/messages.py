"""`/api/v1/messages`: what is done to one message rather than to its conversation."""

from django.http import HttpRequest
from ninja import Router

from webcare.accounts.access import access_message
from webcare.api.auth import actor
from webcare.api.schemas import ERRORS, MessageOut, ModerationIn
from webcare.conversations.actions import check_unsettle
from webcare.conversations.models import Message
from webcare.conversations.moderation import check_moderate
from webcare.conversations.selectors import timeline
from webcare.replies.actions import check_mark_sent, check_retry_delivery

router = Router(tags=["messages"])


@router.post(
    "/{message_id}/retry",
    response={200: MessageOut, **ERRORS},
    summary="Send a failed reply again",
)
def retry_delivery(request: HttpRequest, message_id: int) -> Message:
    """Queue a failed reply once more, or an uncertain one you did not find on the platform;
    409 for any other message. It keeps its idempotency key."""
    user = actor(request)
    message = access_message(user, message_id)
    check_retry_delivery(user, message)
    return timeline(message.conversation).get(pk=message.pk)


@router.post(
    "/{message_id}/mark-sent",
    response={200: MessageOut, **ERRORS},
    summary="Record an uncertain reply as sent",
)
def mark_sent(request: HttpRequest, message_id: int) -> Message:
    """You found an `uncertain` reply on the platform: record it as sent, never send it again.
    409 for any other message."""
    user = actor(request)
    message = access_message(user, message_id)
    check_mark_sent(user, message)
    return timeline(message.conversation).get(pk=message.pk)


@router.post(
    "/{message_id}/needs-reply",
    response={200: MessageOut, **ERRORS},
    summary="Put a message marked 'no reply needed' back in Needs reply",
)
def needs_reply_again(request: HttpRequest, message_id: int) -> Message:
    """Undo 'no reply needed': the message waits again (or counts as answered if a reply
    followed it). 409 for any other message."""
    user = actor(request)
    message = access_message(user, message_id)
    check_unsettle(user, message)
    return timeline(message.conversation).get(pk=message.pk)


def _moderate(request: HttpRequest, message_id: int, action: str, reason: str) -> Message:
    user = actor(request)
    message = access_message(user, message_id)
    check_moderate(user, message, action, reason)
    return timeline(message.conversation).get(pk=message.pk)


@router.post(
    "/{message_id}/hide",
    response={200: MessageOut, **ERRORS},
    summary="Hide a customer's public comment on the platform",
)
def hide(request: HttpRequest, message_id: int, payload: ModerationIn) -> Message:
    """Facebook and Instagram: the comment stays visible to its author only, and can be shown
    again. The step to take before deleting. 409 for a message that is not such a comment,
    502 when the platform refuses (nothing changes then)."""
    return _moderate(request, message_id, "hide", payload.reason)


@router.post(
    "/{message_id}/unhide",
    response={200: MessageOut, **ERRORS},
    summary="Show a hidden comment again",
)
def unhide(request: HttpRequest, message_id: int) -> Message:
    return _moderate(request, message_id, "unhide", "")


@router.post(
    "/{message_id}/delete",
    response={200: MessageOut, **ERRORS},
    summary="Delete a customer's public comment on the platform, permanently",
)
def delete(request: HttpRequest, message_id: int, payload: ModerationIn) -> Message:
    """Permanent on the platform; the message stays in Webcare, marked deleted, with who and
    why in the timeline. Prefer hide."""
    return _moderate(request, message_id, "delete", payload.reason)
