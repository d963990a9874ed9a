"""`/api/v1/messages`: what is done to one message rather than to its conversation."""

from django.http import HttpRequest
from ninja import Router

from webcare.accounts.access import access_message
from webcare.api.auth import actor
from webcare.api.schemas import ERRORS, MessageOut
from webcare.conversations.models import Message
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
